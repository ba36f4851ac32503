// burrow-stamp N SIZE: prints N stream-json assistant events of about SIZE bytes as fast as it can,
// each carrying the CLOCK_REALTIME nanoseconds at which it was written, so a benchmark can measure
// container-to-browser latency. Built statically into the test image (busybox has no %N in date).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 1000;
    long size = argc > 2 ? atol(argv[2]) : 1024;
    char *pad = malloc(size + 1);
    memset(pad, 'x', size);
    pad[size] = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (long i = 0; i < count; i++) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        printf("{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"stamp %ld %lld %s\"}]}}\n",
               i, (long long)now.tv_sec * 1000000000LL + now.tv_nsec, pad);
    }
    return 0;
}
