/* served_file.h - the file net/sendfile.c serves: made nameless in a
 * private directory, filled with the verification pool, warm in the page
 * cache or checked to be droppable (--cold).
 *
 * The file is the pool of bench/verify.h for msg_bytes: msg_bytes +
 * 255 * 64 bytes (never a multiple of the page size), so every message's
 * body lies in it at 64 * slot(k) + header.  Made in a private 0700
 * directory under dir ($TMPDIR or /tmp when NULL), opened O_CREAT|O_EXCL
 * 0600, then unlinked and the directory removed at once: only the
 * descriptor is left, so nothing can leak even on SIGKILL.  Written, then
 * fdatasync()ed, so no writeback falls inside a measured interval.
 *
 * Support code of net/ (SUPPORT_SRC): library code, returns -1 with a
 * message, sets *refused where the run is not possible here (n/a) rather
 * than broken. */
#ifndef IPCLAB_SERVED_FILE_H
#define IPCLAB_SERVED_FILE_H

#include <limits.h>
#include <stddef.h>

#include "../bench/transport.h"
#include "../bench/verify.h"

#define SERVED_EXTRA_BYTES ((size_t)VERIFY_STEP * (VERIFY_SLOTS - 1))

struct served_file {
    int fd;                     /* the file, nameless; -1 when closed */
    size_t bytes;               /* msg_bytes + SERVED_EXTRA_BYTES */
    size_t page_bytes;
    char dir[PATH_MAX];         /* "" once removed */
};

/* Where the file is made: dir, else $TMPDIR, else /tmp. */
const char *served_file_base(const char *dir);
/* check_size(): does the file for msg_bytes fit in the free space of
 * served_file_base(dir)?  0 if so (or the directory cannot be asked:
 * open() then fails and says so), else -1 and the sentence for n/a. */
int served_file_fits(const char *dir, size_t msg_bytes, char *err);
/* Make, fill and sync the file (see above); cold: check that its pages
 * can be dropped from the page cache here (not on tmpfs, and
 * posix_fadvise(DONTNEED) must leave none cached, seen with mincore).
 * 0, or -1 with err and, when not possible here, *refused. */
int served_file_open(struct served_file *f, const char *dir,
                     size_t msg_bytes, int cold, enum tp_refusal *refused,
                     char *err);
/* Close the file and remove the directory if open() stopped half-way;
 * idempotent (f zeroed with fd -1 is closed). */
void served_file_close(struct served_file *f);

#endif
