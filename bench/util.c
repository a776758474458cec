/* util.c - error messages, full reads/writes, sizes, private names. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "util.h"

int err_set(char *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, ERR_LEN, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *errno_name(int e)
{
    const char *name = strerrorname_np(e);

    return name != NULL ? name : "?";
}

int err_sys(char *err, const char *call)
{
    int e = errno;

    return err_set(err, "%s: %s (%s)", call, strerror(e), errno_name(e));
}

int err_sys_ctx(char *err, const char *call, const char *ctx)
{
    int e = errno;

    return err_set(err, "%s %s: %s (%s)", call, ctx, strerror(e),
                   errno_name(e));
}

int read_full(int fd, void *buf, size_t len, char *err)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = read(fd, p, len);

        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n == 0) {
            return err_set(err, "read: unexpected end of file "
                                "(the peer closed its end)");
        } else if (errno != EINTR) {
            return err_sys(err, "read");
        }
    }
    return 0;
}

int write_full(int fd, const void *buf, size_t len, char *err)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n >= 0) {
            p += n;
            len -= (size_t)n;
        } else if (errno != EINTR) {
            return err_sys(err, "write");
        }
    }
    return 0;
}

int send_whole(int fd, const void *buf, size_t len, char *err)
{
    ssize_t n;

    do
        n = send(fd, buf, len, 0);
    while (n == -1 && errno == EINTR);
    if (n == -1)
        return err_sys(err, "send");
    if ((size_t)n != len)
        return err_set(err, "send: %zd of %zu bytes", n, len);
    return 0;
}

int recv_whole(int fd, void *buf, size_t len, char *err)
{
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    do
        n = recvmsg(fd, &mh, 0);
    while (n == -1 && errno == EINTR);
    if (n == -1)
        return err_sys(err, "recvmsg");
    if (n == 0)
        return err_set(err, "recvmsg: the peer closed the connection");
    if (mh.msg_flags & MSG_TRUNC)
        return err_set(err, "recvmsg: datagram longer than %zu bytes", len);
    if ((size_t)n != len)
        return err_set(err, "recvmsg: %zd-byte datagram, expected %zu", n,
                       len);
    return 0;
}

void close_fd(int *fd)
{
    if (*fd >= 0)
        (void)close(*fd);       /* Linux frees the fd even on EINTR */
    *fd = -1;
}

int read_proc_ulong(const char *path, unsigned long *out, char *err)
{
    FILE *f = fopen(path, "re");
    int ok;

    if (f == NULL)
        return err_sys_ctx(err, "fopen", path);
    ok = fscanf(f, "%lu", out) == 1;
    fclose(f);
    if (!ok)
        return err_set(err, "%s: not a number", path);
    return 0;
}

int has_cap_sys_resource(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    unsigned long long caps = 0;

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "CapEff: %llx", &caps) == 1)
            break;
    fclose(f);
    return (caps >> 24) & 1;    /* CAP_SYS_RESOURCE is bit 24 */
}

int parse_ulong(const char *s, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (s == NULL || !isdigit((unsigned char)s[0]))
        return -1;              /* no sign, no space, not empty */
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (s == NULL || !isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    switch (toupper((unsigned char)*end)) {
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    default: break;
    }
    if (shift != 0 && tolower((unsigned char)*end) == 'i')
        end++;
    if (toupper((unsigned char)*end) == 'B')
        end++;
    if (*end != '\0' || v == 0 || v > (SIZE_MAX >> shift))
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

int parse_interval(const char *s, uint64_t *ns)
{
    static const struct { const char *name; uint64_t ns; } units[] = {
        { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
    };
    char *end;
    unsigned long long v;

    if (s == NULL || !isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || v == 0)
        return -1;
    if (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].name) != 0)
            continue;
        if (v > UINT64_MAX / units[i].ns)
            return -1;
        *ns = v * units[i].ns;
        return 0;
    }
    return -1;
}

void format_interval(uint64_t ns, char *out, size_t outlen)
{
    if (ns >= 1000000000 && ns % 1000000000 == 0)
        snprintf(out, outlen, "%llu s", (unsigned long long)(ns / 1000000000));
    else if (ns >= 1000000 && ns % 1000000 == 0)
        snprintf(out, outlen, "%llu ms", (unsigned long long)(ns / 1000000));
    else if (ns >= 1000 && ns % 1000 == 0)
        snprintf(out, outlen, "%llu us", (unsigned long long)(ns / 1000));
    else
        snprintf(out, outlen, "%llu ns", (unsigned long long)ns);
}

void format_size(size_t bytes, char *out, size_t outlen)
{
    static const char units[] = "GMK";
    static const unsigned shifts[] = { 30, 20, 10 };

    for (int i = 0; i < 3; i++) {
        size_t unit = (size_t)1 << shifts[i];

        if (bytes >= unit && bytes % unit == 0) {
            snprintf(out, outlen, "%zu%c", bytes / unit, units[i]);
            return;
        }
    }
    snprintf(out, outlen, "%zu", bytes);
}

int unique_name(char *out, size_t outlen, char *err)
{
    uint64_t r;

    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return err_sys(err, "getrandom");
    snprintf(out, outlen, "/ipclab-%ld-%016llx", (long)getpid(),
             (unsigned long long)r);
    return 0;
}

int private_dir(char *out, size_t outlen, const char *dir, char *err)
{
    const char *base = dir;

    if (base == NULL) {
        base = getenv("TMPDIR");
        if (base == NULL || base[0] == '\0')
            base = "/tmp";
    }
    /* mkdtemp(3), but the name goes into the journal before the
     * directory exists: a SIGKILL at any moment leaves nothing unlisted. */
    for (int tries = 0; tries < 100; tries++) {
        uint32_t r;

        if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
            return err_sys(err, "getrandom");
        if ((size_t)snprintf(out, outlen, "%s/ipclab-%ld-%08x", base,
                             (long)getpid(), (unsigned)r) >= outlen)
            return err_set(err, "directory name too long: %s", base);
        if (journal_record(JOURNAL_DIR, out, err) == -1)
            return -1;
        if (mkdir(out, 0700) == 0)
            return 0;
        journal_forget(JOURNAL_DIR, out);
        if (errno != EEXIST)
            return err_sys_ctx(err, "mkdir", out);
    }
    return err_set(err, "mkdir %s/ipclab-%ld-*: every name taken", base,
                   (long)getpid());
}

void private_dir_remove(const char *path)
{
    DIR *d;
    struct dirent *e;
    char file[PATH_MAX];

    if (path == NULL || path[0] == '\0')
        return;
    d = opendir(path);
    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
            (void)unlink(file);
        }
        closedir(d);
    }
    if (rmdir(path) == 0 || errno == ENOENT)
        journal_forget(JOURNAL_DIR, path);
}
