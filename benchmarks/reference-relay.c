// The cheapest relay there is, as a yardstick for Burrow's egress proxy (benchmarks/sandbox.sh):
// a TCP port forward with no proxy protocol, no policy and no event loop: two threads per
// connection, each moving one direction with blocking splice(2) through a 1 MiB pipe.
// Usage: reference-relay LISTEN_PORT TARGET_PORT (both on 127.0.0.1).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct direction { int from, to; int *alive; };

static void *pump(void *argument) {
    struct direction *d = argument;
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) { perror("pipe"); exit(1); }
    fcntl(pipe_fds[1], F_SETPIPE_SZ, 1 << 20);
    for (;;) {
        ssize_t in = splice(d->from, NULL, pipe_fds[1], NULL, 1 << 20, SPLICE_F_MOVE);
        if (in <= 0) break;
        while (in > 0) {
            ssize_t out = splice(pipe_fds[0], NULL, d->to, NULL, in, SPLICE_F_MOVE);
            if (out <= 0) goto done;
            in -= out;
        }
    }
done:
    shutdown(d->to, SHUT_WR);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    if (__atomic_sub_fetch(d->alive, 1, __ATOMIC_ACQ_REL) == 0) { close(d->from); close(d->to); free(d->alive); }
    free(d);
    return NULL;
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s LISTEN_PORT TARGET_PORT\n", argv[0]); return 2; }
    struct sockaddr_in listen_address = loopback(atoi(argv[1])), target = loopback(atoi(argv[2]));
    int listener = socket(AF_INET, SOCK_STREAM, 0), yes = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (bind(listener, (struct sockaddr *)&listen_address, sizeof listen_address) != 0 || listen(listener, 64) != 0) {
        perror("listen"); return 1;
    }
    for (;;) {
        int client = accept(listener, NULL, NULL);
        if (client < 0) continue;
        int upstream = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(upstream, (struct sockaddr *)&target, sizeof target) != 0) { close(client); close(upstream); continue; }
        struct direction *up = malloc(sizeof *up), *down = malloc(sizeof *down);
        int *alive = malloc(sizeof *alive);
        *alive = 2;
        *up = (struct direction){ client, upstream, alive };
        *down = (struct direction){ upstream, client, alive };
        pthread_t threads[2];
        pthread_create(&threads[0], NULL, pump, up);
        pthread_create(&threads[1], NULL, pump, down);
        pthread_detach(threads[0]);
        pthread_detach(threads[1]);
    }
}
