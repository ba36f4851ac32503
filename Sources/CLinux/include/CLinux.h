// Linux calls that Glibc's Swift module does not expose.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>

// accept4 is declared by glibc only under _GNU_SOURCE, and defining that here would change struct
// definitions that other modules (Dispatch) also import. Declare the one function instead.
extern int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);

static inline int clinux_accept4(int fd, int flags) { return accept4(fd, (struct sockaddr *)0, (socklen_t *)0, flags); }

// splice(2) and pipe2(2) are also _GNU_SOURCE-only declarations: moving bytes socket → pipe → socket
// without copying them through user space (the egress proxy's tunnels).
extern int pipe2(int pipefd[2], int flags);
extern ssize_t splice(int fd_in, __off64_t *off_in, int fd_out, __off64_t *off_out, size_t len, unsigned int flags);

enum { CLINUX_SPLICE_F_MOVE = 1, CLINUX_SPLICE_F_NONBLOCK = 2, CLINUX_F_SETPIPE_SZ = 1031 };

static inline long clinux_splice(int in, int out, unsigned long length) {
    return splice(in, (__off64_t *)0, out, (__off64_t *)0, length, CLINUX_SPLICE_F_MOVE | CLINUX_SPLICE_F_NONBLOCK);
}

static inline int clinux_pipe(int fds[2]) { return pipe2(fds, O_NONBLOCK | O_CLOEXEC); }

static inline int clinux_set_pipe_size(int fd, int size) { return fcntl(fd, CLINUX_F_SETPIPE_SZ, size); }

// Passing a descriptor over a Unix socket (SCM_RIGHTS): burrow-forwarder hands each connection the
// agent opens to Burrow's egress proxy, which then serves it directly (no relaying hop).
struct clinux_fd_message {
    struct msghdr header;
    struct iovec iov;
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
};

// A one-byte message with room for one descriptor. `message` must stay where it is while used.
static inline void clinux_fd_message_init(struct clinux_fd_message *message, unsigned char *byte) {
    memset(message, 0, sizeof *message);
    message->iov.iov_base = byte;
    message->iov.iov_len = 1;
    message->header.msg_iov = &message->iov;
    message->header.msg_iovlen = 1;
    message->header.msg_control = message->control.buf;
    message->header.msg_controllen = sizeof message->control.buf;
}

static inline int clinux_send_fd(int sock, int fd) {
    unsigned char byte = 'F';
    struct clinux_fd_message message;
    clinux_fd_message_init(&message, &byte);
    struct cmsghdr *header = CMSG_FIRSTHDR(&message.header);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof(int));
    return (int)sendmsg(sock, &message.header, MSG_NOSIGNAL);
}

// Reads one byte into *byte; a descriptor sent with it lands in *fd (else -1). Returns recvmsg's result.
static inline long clinux_recv_fd(int sock, unsigned char *byte, int *fd) {
    struct clinux_fd_message message;
    clinux_fd_message_init(&message, byte);
    *fd = -1;
    long count = recvmsg(sock, &message.header, 0x40000000 /* MSG_CMSG_CLOEXEC */);
    if (count <= 0) return count;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message.header);
    if (header && header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(header), sizeof(int));
    return count;
}
