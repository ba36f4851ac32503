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
#include <sys/stat.h>
#include <unistd.h>
#include <malloc.h>
#include <sys/xattr.h>

// glibc serves a block of M_MMAP_THRESHOLD bytes or more with its own mmap, unmapped when freed; but
// each such free raises the threshold to the freed size (up to 32 MiB), after which large request
// bodies come from the heap and stay there once freed. Setting it fixes it (no dynamic raise).
static inline int clinux_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }

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

// Receives one byte and every descriptor sent with it (SCM_RIGHTS, in any number of control
// messages). Up to `capacity` land in `fds` and their count in *count; *truncated is set when the
// kernel had more than fit (MSG_CTRUNC: it dropped those itself). The caller owns every descriptor
// in `fds` and must close each one it does not keep. Returns recvmsg's result.
enum { CLINUX_MAX_RECEIVED_FDS = 16 };

static inline long clinux_recv_fds(int sock, unsigned char *byte, int *fds, int capacity, int *count, int *truncated) {
    union { char buf[CMSG_SPACE(sizeof(int) * CLINUX_MAX_RECEIVED_FDS)]; struct cmsghdr align; } control;
    struct iovec iov = { .iov_base = byte, .iov_len = 1 };
    struct msghdr header;
    memset(&header, 0, sizeof header);
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    header.msg_control = control.buf;
    header.msg_controllen = sizeof control.buf;
    *count = 0;
    *truncated = 0;
    long result = recvmsg(sock, &header, 0x40000000 /* MSG_CMSG_CLOEXEC */ | MSG_DONTWAIT);
    if (result < 0) return result;
    if (header.msg_flags & MSG_CTRUNC) *truncated = 1;
    for (struct cmsghdr *part = CMSG_FIRSTHDR(&header); part; part = CMSG_NXTHDR(&header, part)) {
        if (part->cmsg_level != SOL_SOCKET || part->cmsg_type != SCM_RIGHTS) continue;
        int inPart = (int)((part->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int index = 0; index < inPart; index++) {
            int fd;
            memcpy(&fd, CMSG_DATA(part) + index * sizeof(int), sizeof(int));
            if (*count < capacity) fds[(*count)++] = fd; else { close(fd); *truncated = 1; }
        }
    }
    return result;
}

// Sends one byte with `count` descriptors (up to 64, more than a receiver takes) in one message:
// tests play a hostile sender with it.
static inline int clinux_send_fds(int sock, const int *fds, int count) {
    unsigned char byte = 'F';
    union { char buf[CMSG_SPACE(sizeof(int) * 64)]; struct cmsghdr align; } control;
    if (count < 1 || count > 64) return -1;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    struct msghdr header;
    memset(&header, 0, sizeof header);
    memset(&control, 0, sizeof control);
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    header.msg_control = control.buf;
    header.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    struct cmsghdr *part = CMSG_FIRSTHDR(&header);
    part->cmsg_level = SOL_SOCKET;
    part->cmsg_type = SCM_RIGHTS;
    part->cmsg_len = CMSG_LEN(sizeof(int) * count);
    memcpy(CMSG_DATA(part), fds, sizeof(int) * count);
    return (int)sendmsg(sock, &header, MSG_NOSIGNAL);
}

// What a received descriptor is: its socket family when it is a connected stream socket, else -1
// (not a socket, not SOCK_STREAM, or no peer: a listener or an unconnected socket).
static inline int clinux_connected_stream_family(int fd) {
    struct stat status;
    if (fstat(fd, &status) != 0 || !S_ISSOCK(status.st_mode)) return -1;
    int type = 0, family = 0;
    socklen_t length = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_STREAM) return -1;
    length = sizeof family;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &length) != 0) return -1;
    struct sockaddr_storage peer;
    length = sizeof peer;
    if (getpeername(fd, (struct sockaddr *)&peer, &length) != 0) return -1;
    return family;
}

// The uid of the process that connected a Unix socket (SO_PEERCRED), or -1.
static inline long clinux_peer_uid(int fd) {
    struct { int pid; unsigned int uid; unsigned int gid; } credentials;  // struct ucred is _GNU_SOURCE-only
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, 17 /* SO_PEERCRED */, &credentials, &length) != 0) return -1;
    return (long)credentials.uid;
}

static inline int clinux_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
