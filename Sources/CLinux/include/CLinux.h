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
