/* memfd_seals.h - the two steps of ipc/memfd.c that make a handed-over
 * memfd trustworthy, exported so that tests can check them on their own:
 * a sealed copy that nobody can change any more, and the receiver's check
 * that what arrived is sealed the way it needs.  Defined in ipc/memfd.c. */
#ifndef IPCLAB_MEMFD_SEALS_H
#define IPCLAB_MEMFD_SEALS_H

#include <stddef.h>

/* A new memfd holding a copy of buf[0..len), sealed with F_SEAL_WRITE,
 * F_SEAL_SHRINK, F_SEAL_GROW and F_SEAL_SEAL: its bytes and size are
 * fixed for good.  The descriptor, or -1 with err set. */
int memfd_sealed_copy(const void *buf, size_t len, char *err);

/* Does fd carry every seal in `need` (F_SEAL_* bits) and at least len
 * bytes?  0, or -1 with a sentence saying what is missing. */
int memfd_seals_check(int fd, unsigned need, size_t len, char *err);

#endif
