/* served_file.c - the file net/sendfile.c serves (see served_file.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../bench/util.h"
#include "served_file.h"

const char *served_file_base(const char *dir)
{
    const char *tmp = getenv("TMPDIR");

    if (dir != NULL)
        return dir;
    return tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp";
}

int served_file_fits(const char *dir, size_t msg_bytes, char *err)
{
    const char *base = served_file_base(dir);
    struct statvfs sv;
    size_t need = msg_bytes + SERVED_EXTRA_BYTES;
    unsigned long long avail;

    if (statvfs(base, &sv) == -1)
        return 0;               /* no such directory: create() fails and
                                   says so, a failure rather than n/a */
    avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
    if (need > avail)
        return err_set(err, "the %zu-byte file does not fit in %s (%llu "
                       "bytes free); give --dir on a larger file system",
                       need, base, avail);
    return 0;
}

/* The pool of bench/verify.h, written as the file. */
static int served_fill(struct served_file *f, const char *dir,
                       size_t msg_bytes, enum tp_refusal *refused, char *err)
{
    struct verify_ctx v;
    int rc = posix_fallocate(f->fd, 0, (off_t)f->bytes);

    if (rc == ENOSPC || rc == EDQUOT) { /* check_size raced another run */
        *refused = TP_REFUSED_OVER_LIMIT;
        return err_set(err, "no space in %s for the %zu-byte file",
                       served_file_base(dir), f->bytes);
    }
    if (rc != 0) {
        errno = rc;
        return err_sys(err, "posix_fallocate");
    }
    if (verify_init(&v, msg_bytes, VERIFY_NONE, err) == -1)
        return -1;
    rc = write_full(f->fd, v.pool, f->bytes, err);
    verify_free(&v);
    if (rc == 0 && fdatasync(f->fd) == -1)
        return err_sys(err, "fdatasync");
    return rc;
}

/* --cold: can this file's pages be dropped here?  0 if so, else -1 with
 * *refused set and the reason. */
static int served_cold_possible(struct served_file *f, const char *dir,
                                enum tp_refusal *refused, char *err)
{
    size_t pages = (f->bytes + f->page_bytes - 1) / f->page_bytes;
    unsigned char *vec;
    struct statfs sf;
    size_t cached = 0;
    void *m;

    if (fstatfs(f->fd, &sf) == -1)
        return err_sys(err, "fstatfs");
    if (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC) {
        *refused = TP_REFUSED_NOT_PERMITTED;
        return err_set(err, "--cold: %s is tmpfs, where the page cache is "
                       "the file; give --dir on a disk",
                       served_file_base(dir));
    }
    if (posix_fadvise(f->fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
        return err_set(err, "posix_fadvise(DONTNEED) failed");
    m = mmap(NULL, f->bytes, PROT_READ, MAP_SHARED, f->fd, 0);
    if (m == MAP_FAILED)
        return err_sys(err, "mmap");
    vec = malloc(pages);
    if (vec == NULL || mincore(m, f->bytes, vec) == -1) {
        err_sys(err, vec == NULL ? "malloc" : "mincore");
        free(vec);
        munmap(m, f->bytes);
        return -1;
    }
    for (size_t i = 0; i < pages; i++)
        cached += vec[i] & 1;
    free(vec);
    if (munmap(m, f->bytes) == -1)
        return err_sys(err, "munmap");
    if (cached > 0) {
        *refused = TP_REFUSED_NOT_PERMITTED;
        return err_set(err, "--cold: posix_fadvise(DONTNEED) left %zu of "
                       "%zu pages cached in %s", cached, pages,
                       served_file_base(dir));
    }
    return 0;
}

int served_file_open(struct served_file *f, const char *dir,
                     size_t msg_bytes, int cold, enum tp_refusal *refused,
                     char *err)
{
    long page = sysconf(_SC_PAGESIZE);
    char path[PATH_MAX + 8];

    f->fd = -1;
    f->bytes = msg_bytes + SERVED_EXTRA_BYTES;
    f->page_bytes = page > 0 ? (size_t)page : 4096;
    if (private_dir(f->dir, sizeof(f->dir), dir, err) == -1) {
        f->dir[0] = '\0';
        return -1;
    }
    snprintf(path, sizeof(path), "%s/served", f->dir);
    f->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (f->fd == -1)
        return err_sys_ctx(err, "open", path);
    if (unlink(path) == -1)     /* nameless from now on */
        return err_sys_ctx(err, "unlink", path);
    private_dir_remove(f->dir);
    f->dir[0] = '\0';
    if (served_fill(f, dir, msg_bytes, refused, err) == -1)
        return -1;
    return cold ? served_cold_possible(f, dir, refused, err) : 0;
}

void served_file_close(struct served_file *f)
{
    close_fd(&f->fd);
    if (f->dir[0] != '\0')      /* open() stopped half-way */
        private_dir_remove(f->dir);
    f->dir[0] = '\0';
}
