/* journal.h - a per-user record of the named kernel objects a run has
 * created and not yet removed, so that a harness killed with SIGKILL
 * (which no handler can catch) leaves nothing that the next run or
 * `ipclab clean` cannot find and remove.
 *
 * Where.  /tmp/.ipclab-journal-UID, a 0700 directory owned by this user
 * (refused otherwise), one file per harness process named PID-STARTTIME
 * (the start time from /proc/PID/stat, so that a recycled pid is never
 * taken for the creator).  The file's first line names the boot and the
 * creator's pid, IPC and mount namespaces; then one line per change:
 * "+ KIND NAME" before an object is created (or just after, when the
 * kernel chooses its name), "- KIND NAME" once it is gone.  The file is
 * removed as soon as nothing is outstanding.
 *
 * Recovery.  journal_clean() replays the files of creators that are no
 * longer alive (no such pid, another start time, or a zombie) and that
 * lived in the caller's namespaces, removes what is outstanding, then the
 * file.  A journal of an earlier boot only has its directories removed:
 * the kernel objects died with that boot.  The first journal_record() of a
 * process does the same, so the next run that creates a named object
 * recovers what a killed one left.
 *
 * Library code: returns -1 with a message; never prints or exits. */
#ifndef IPCLAB_JOURNAL_H
#define IPCLAB_JOURNAL_H

#include <stddef.h>

enum journal_kind {
    JOURNAL_DIR,                /* a private_dir(): its files, then rmdir */
    JOURNAL_POSIX_SHM,          /* shm_open name: shm_unlink */
    JOURNAL_POSIX_MQ,           /* mq_open name: mq_unlink */
    JOURNAL_SYSV_SHM,           /* shmid: IPC_RMID */
    JOURNAL_SYSV_MSG,           /* msqid: IPC_RMID */
};

/* Sweep (once per process) and open this process's journal now, so that
 * a journal_record() right after creating an object is one write(2):
 * call it before creating an object whose name the kernel chooses (a
 * System V id).  0, or -1 with err set. */
int journal_prepare(char *err);
/* Record an object this process is about to create (or has just created,
 * when its name comes from the kernel).  0, or -1 with err set. */
int journal_record(enum journal_kind kind, const char *name, char *err);
int journal_record_id(enum journal_kind kind, int id, char *err);
/* The object is gone (or was never created).  An object this process did
 * not record: nothing happens.  Never fails the caller. */
void journal_forget(enum journal_kind kind, const char *name);
void journal_forget_id(enum journal_kind kind, int id);

/* What journal_clean() did. */
struct journal_report {
    unsigned runs;              /* journals of dead creators replayed */
    unsigned removed;           /* objects found and removed */
    unsigned gone;              /* outstanding, but already gone */
    unsigned failed;            /* could not be removed (last one: err) */
    unsigned skipped;           /* journals of other namespaces */
};

/* Called once per object removed (may be NULL). */
typedef void (*journal_seen_fn)(const char *kind, const char *name,
                                long creator, void *arg);

/* Remove what dead creators left.  0, or -1 with err set when the
 * journal directory cannot be used or an object could not be removed
 * (everything else is still done). */
int journal_clean(struct journal_report *rep, journal_seen_fn seen,
                  void *arg, char *err);
/* The journal directory of this user. */
void journal_dir(char *out, size_t outlen);

#endif
