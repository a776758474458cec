/* lessons.c - the referee loops of the lessons that measure a cost: the
 * same action as the ipclab row, in a bare loop with no harness, so that
 * scripts/baseline-check --lessons can show the row is within 10 % of it.
 *
 *   lessons connections N     connect + accept + close on 127.0.0.1, N
 *                             times (net/connection.c, open-close):
 *                             prints "... connections/s"
 *   lessons fork MIB N        a parent of MIB MiB of touched 4 KiB pages
 *                             forks a child that _exit(0)s and reaps it, N
 *                             times (signals/fork_cost.c, fork-MIBM):
 *                             prints the median "... ns per process"
 *   lessons nanosleep US N    nanosleep(US microseconds), N times
 *                             (signals/timers.c, nanosleep): prints the
 *                             median "... ns per sleep"
 *
 * Every call is checked; errors exit 1 with the call and errno.  Built by
 * scripts/baseline-check with cc -O2; not part of the suite's programs. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *call)
{
    fprintf(stderr, "lessons: %s: %s\n", call, strerror(errno));
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec t;

    if (clock_gettime(CLOCK_MONOTONIC, &t) == -1)
        die("clock_gettime");
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, long n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_u64);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void connections(long n)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);
    int l, c, s;
    uint64_t t0, dt;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((l = socket(AF_INET, SOCK_STREAM, 0)) == -1)
        die("socket");
    if (bind(l, (struct sockaddr *)&a, sizeof(a)) == -1 || listen(l, 1) == -1 ||
        getsockname(l, (struct sockaddr *)&a, &len) == -1)
        die("bind/listen 127.0.0.1:0");
    t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if ((c = socket(AF_INET, SOCK_STREAM, 0)) == -1)
            die("socket");
        if (connect(c, (struct sockaddr *)&a, sizeof(a)) == -1)
            die("connect");
        if ((s = accept(l, NULL, NULL)) == -1)
            die("accept");
        close(c);               /* first: the TIME_WAIT is the client's */
        close(s);
    }
    dt = now_ns() - t0;
    printf("connections: %ld in %.3f s: %.0f connections/s\n", n,
           (double)dt / 1e9, (double)n * 1e9 / (double)dt);
    close(l);
}

static void forks(size_t mib, long n, uint64_t *v)
{
    size_t bytes = mib << 20;
    char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int status;

    if (m == MAP_FAILED)
        die("mmap");
    if (madvise(m, bytes, MADV_NOHUGEPAGE) == -1)
        die("madvise");
    for (size_t off = 0; off < bytes; off += 4096)
        m[off] = 1;
    for (long i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        pid_t pid = fork();

        if (pid == -1)
            die("fork");
        if (pid == 0)
            _exit(0);
        if (waitpid(pid, &status, 0) == -1)
            die("waitpid");
        v[i] = now_ns() - t0;
    }
    printf("fork: parent %zu MiB: median %llu ns per process\n", mib,
           (unsigned long long)median(v, n));
}

static void sleeps(long us, long n, uint64_t *v)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

    for (long i = 0; i < n; i++) {
        uint64_t t0 = now_ns();

        if (nanosleep(&ts, NULL) == -1)
            die("nanosleep");
        v[i] = now_ns() - t0;
    }
    printf("nanosleep: %ld us: median %llu ns per sleep\n", us,
           (unsigned long long)median(v, n));
}

int main(int argc, char **argv)
{
    long a = argc > 2 ? atol(argv[2]) : 0, n = argc > 3 ? atol(argv[3]) : 0;
    uint64_t *v;

    if (argc == 3 && strcmp(argv[1], "connections") == 0 && a > 0) {
        connections(a);
        return 0;
    }
    if (argc != 4 || a <= 0 || n <= 0 ||
        (strcmp(argv[1], "fork") && strcmp(argv[1], "nanosleep"))) {
        fprintf(stderr, "usage: lessons connections N | fork MIB N | "
                        "nanosleep US N\n");
        return 2;
    }
    if ((v = calloc((size_t)n, sizeof(*v))) == NULL)
        die("calloc");
    if (strcmp(argv[1], "fork") == 0)
        forks((size_t)a, n, v);
    else
        sleeps(a, n, v);
    free(v);
    return 0;
}
