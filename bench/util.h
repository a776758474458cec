/* util.h - small helpers shared by the harness and every transport.
 * Library code: nothing here prints or exits. */
#ifndef IPCLAB_UTIL_H
#define IPCLAB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "transport.h"

/* Write a formatted one-line message into err (ERR_LEN bytes); returns -1
 * so that `return err_set(err, "...")` reads naturally. */
int err_set(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "CALL: strerror (ENAME)" from the current errno; returns -1. */
int err_sys(char *err, const char *call);
/* Same with a context: "CALL PATH: strerror (ENAME)". */
int err_sys_ctx(char *err, const char *call, const char *ctx);

/* Read/write exactly len bytes, looping on short transfers and EINTR.
 * read_full returns 0 on success, -1 with err set on error, and -1 with
 * "unexpected end of file" when the peer closed early. */
int read_full(int fd, void *buf, size_t len, char *err);
int write_full(int fd, const void *buf, size_t len, char *err);

/* Datagram/message sockets: one call moves one whole message.  send_whole
 * fails unless all len bytes went as one datagram; recv_whole fails unless
 * exactly one datagram of exactly len bytes arrived (a longer one is
 * reported, never silently truncated).  Both retry on EINTR. */
int send_whole(int fd, const void *buf, size_t len, char *err);
int recv_whole(int fd, void *buf, size_t len, char *err);

/* Close, ignoring EINTR (Linux always releases the descriptor) and
 * accepting -1; sets *fd to -1. */
void close_fd(int *fd);

/* A number from a /proc file such as /proc/sys/kernel/msgmax. */
int read_proc_ulong(const char *path, unsigned long *out, char *err);
/* Does this process have CAP_SYS_RESOURCE (lets it exceed some limits)? */
int has_cap_sys_resource(void);

/* "64", "4K", "1M", "2G" (binary multiples, case-insensitive, optional
 * trailing "B" / "iB").  0 on success; -1 on junk, 0, or overflow. */
int parse_size(const char *s, size_t *out);
/* Decimal, no sign, no junk. */
int parse_ulong(const char *s, unsigned long *out);
/* Format bytes as "64", "4K", "1M" when exact, else plain decimal. */
void format_size(size_t bytes, char *out, size_t outlen);

/* A duration: a whole number and a unit, "250ns", "100us", "5ms", "1s"
 * (a space before the unit is allowed).  0 on success; -1 on junk, a
 * missing unit, 0, or overflow. */
int parse_interval(const char *s, uint64_t *ns);
/* Format nanoseconds as "100 us", "5 ms" with the largest exact unit. */
void format_interval(uint64_t ns, char *out, size_t outlen);

/* A name nobody can predict, for shm_open/mq_open: "/ipclab-PID-RANDOM". */
int unique_name(char *out, size_t outlen, char *err);
/* A private directory (0700) for FIFOs, sockets and files:
 * "$TMPDIR/ipclab-PID-RANDOM" (or under dir when non-NULL).  It stays in
 * the run's journal (bench/journal.h) until private_dir_remove(), or a
 * journal_forget(JOURNAL_DIR, path) after the caller's own rmdir. */
int private_dir(char *out, size_t outlen, const char *dir, char *err);
/* Remove a private directory and everything in it (one level deep). */
void private_dir_remove(const char *path);

#endif
