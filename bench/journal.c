/* journal.c - the record of named objects that makes a SIGKILL of the
 * harness recoverable (see journal.h for the design), and `ipclab clean`.
 *
 * Why a journal and not a guardian process: a guardian (a child with
 * PR_SET_PDEATHSIG that removes the objects when the harness dies) would
 * need to learn every object as it is made, through a pipe, and would be
 * one more process per run that can itself be killed; a journal costs one
 * append per object, outside the measured loops, and also survives the
 * whole process group being killed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command.h"
#include "journal.h"
#include "util.h"

#define JOURNAL_MAX_BYTES (1u << 20)    /* a journal larger than this is
                                           not ours: leave it alone */

static const char *const kind_names[] = {
    [JOURNAL_DIR] = "dir", [JOURNAL_POSIX_SHM] = "posix_shm",
    [JOURNAL_POSIX_MQ] = "posix_mq", [JOURNAL_SYSV_SHM] = "sysv_shm",
    [JOURNAL_SYSV_MSG] = "sysv_msg",
};
#define NKINDS (sizeof(kind_names) / sizeof(kind_names[0]))

/* ---- this process ------------------------------------------------------ */

struct entry {
    enum journal_kind kind;
    char *name;
};

static struct {
    int fd;                     /* our journal file, -1: none open */
    char path[PATH_MAX];
    struct entry *e;            /* outstanding objects */
    size_t n, cap;
    int swept;                  /* journal_clean() ran in this process */
    pid_t pid;                  /* who opened fd (a child must not use it) */
} me = { .fd = -1 };

void journal_dir(char *out, size_t outlen)
{
    snprintf(out, outlen, "/tmp/.ipclab-journal-%ld", (long)geteuid());
}

/* The start time (field 22 of /proc/PID/stat, clock ticks since boot) and
 * state of a process; -1 when there is no such process. */
static int proc_start(long pid, unsigned long long *start, char *state)
{
    char path[64], buf[1024], *p;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    p = strrchr(buf, ')');      /* the name may hold spaces and ')' */
    if (p == NULL || sscanf(p + 1, " %c", state) != 1)
        return -1;
    for (int field = 3; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (p == NULL)
            return -1;
    }
    return sscanf(p + 1, "%llu", start) == 1 ? 0 : -1;
}

/* "boot ID pid:[N] ipc:[N] mnt:[N]": what must match for another
 * process's journal to be ours to judge. */
static void identity(char *out, size_t outlen)
{
    static const char *const ns[] = { "pid", "ipc", "mnt" };
    char boot[64] = "?";
    size_t len;
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

    if (f != NULL) {
        if (fgets(boot, sizeof(boot), f) == NULL)
            snprintf(boot, sizeof(boot), "?");
        fclose(f);
    }
    boot[strcspn(boot, "\n")] = '\0';
    len = (size_t)snprintf(out, outlen, "boot %s", boot);
    for (size_t i = 0; i < 3 && len < outlen; i++) {
        char path[32], link[64];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
        n = readlink(path, link, sizeof(link) - 1);
        link[n > 0 ? n : 0] = '\0';
        len += (size_t)snprintf(out + len, outlen - len, " %s", link);
    }
}

/* The journal directory, made if missing; refused unless it is a real
 * directory of this user that nobody else may enter. */
static int open_dir(char *dir, size_t dirlen, char *err)
{
    struct stat st;

    journal_dir(dir, dirlen);
    if (mkdir(dir, 0700) == -1 && errno != EEXIST)
        return err_sys_ctx(err, "mkdir", dir);
    if (lstat(dir, &st) == -1)
        return err_sys_ctx(err, "lstat", dir);
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0)
        return err_set(err, "journal %s: not a private directory of this "
                            "user; remove it", dir);
    return 0;
}

static int open_journal(char *err)
{
    char dir[PATH_MAX - 64], id[256], head[320];
    unsigned long long start;
    char state;

    if (me.fd != -1 && me.pid == getpid())
        return 0;
    me.fd = -1;                 /* a child's inherited copy is not ours */
    me.n = 0;
    me.pid = getpid();
    if (open_dir(dir, sizeof(dir), err) == -1)
        return -1;
    if (proc_start(me.pid, &start, &state) == -1)
        return err_sys(err, "/proc/self/stat");
    snprintf(me.path, sizeof(me.path), "%s/%ld-%llu", dir, (long)me.pid,
             start);
    me.fd = open(me.path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
                 O_CLOEXEC | O_NOFOLLOW, 0600);
    if (me.fd == -1)
        return err_sys_ctx(err, "open", me.path);
    identity(id, sizeof(id));
    snprintf(head, sizeof(head), "ipclab-journal 1 %s\n", id);
    if (write_full(me.fd, head, strlen(head), err) == -1) {
        close_fd(&me.fd);
        (void)unlink(me.path);
        return -1;
    }
    return 0;
}

static int append(char sign, enum journal_kind kind, const char *name,
                  char *err)
{
    char line[PATH_MAX + 32];

    if ((size_t)snprintf(line, sizeof(line), "%c %s %s\n", sign,
                         kind_names[kind], name) >= sizeof(line))
        return err_set(err, "journal: name too long: %s", name);
    return write_full(me.fd, line, strlen(line), err);
}

int journal_prepare(char *err)
{
    struct journal_report rep;
    char ignored[ERR_LEN];

    if (!me.swept) {            /* recover what killed runs left */
        me.swept = 1;
        (void)journal_clean(&rep, NULL, NULL, ignored);
    }
    return open_journal(err);
}

int journal_record(enum journal_kind kind, const char *name, char *err)
{
    if (strchr(name, '\n') != NULL || (size_t)kind >= NKINDS)
        return err_set(err, "journal: cannot record %s", name);
    if (journal_prepare(err) == -1)
        return -1;
    if (me.n == me.cap) {
        size_t cap = me.cap ? me.cap * 2 : 8;
        struct entry *e = realloc(me.e, cap * sizeof(*e));

        if (e == NULL)
            return err_sys(err, "realloc");
        me.e = e;
        me.cap = cap;
    }
    me.e[me.n].kind = kind;
    me.e[me.n].name = strdup(name);
    if (me.e[me.n].name == NULL)
        return err_sys(err, "strdup");
    if (append('+', kind, name, err) == -1) {
        free(me.e[me.n].name);
        return -1;
    }
    me.n++;
    return 0;
}

void journal_forget(enum journal_kind kind, const char *name)
{
    char err[ERR_LEN];
    size_t i;

    if (me.fd == -1 || me.pid != getpid())
        return;
    for (i = 0; i < me.n; i++)
        if (me.e[i].kind == kind && strcmp(me.e[i].name, name) == 0)
            break;
    if (i == me.n)
        return;                 /* not ours, or forgotten already */
    free(me.e[i].name);
    me.e[i] = me.e[--me.n];
    if (me.n == 0) {            /* nothing outstanding: no journal */
        (void)unlink(me.path);
        close_fd(&me.fd);
        return;
    }
    (void)append('-', kind, name, err); /* at worst, the next clean finds
                                           it gone */
}

int journal_record_id(enum journal_kind kind, int id, char *err)
{
    char name[16];

    snprintf(name, sizeof(name), "%d", id);
    return journal_record(kind, name, err);
}

void journal_forget_id(enum journal_kind kind, int id)
{
    char name[16];

    snprintf(name, sizeof(name), "%d", id);
    journal_forget(kind, name);
}

/* ---- recovery ---------------------------------------------------------- */

/* Each returns 1 removed, 0 already gone (or no longer the creator's), -1
 * could not remove it (err set).  Names are checked against the pattern
 * the creator used, so a damaged journal cannot remove anything else. */
static int owned_name(const char *name, long pid, int slash)
{
    char prefix[48];

    snprintf(prefix, sizeof(prefix), "%sipclab-%ld-", slash ? "/" : "",
             pid);
    if (!slash) {               /* a directory: its last component */
        const char *base = strrchr(name, '/');

        if (name[0] != '/' || base == NULL)
            return 0;
        name = base + 1;
    }
    return strncmp(name, prefix, strlen(prefix)) == 0 &&
           strchr(name + 1, '/') == NULL;
}

static int remove_dir(const char *name, long pid, char *err)
{
    struct stat st;

    if (!owned_name(name, pid, 0) || lstat(name, &st) == -1)
        return 0;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return 0;               /* not what the creator made */
    private_dir_remove(name);
    if (lstat(name, &st) == 0)
        return err_set(err, "could not remove %s", name);
    return 1;
}

static int remove_named(enum journal_kind kind, const char *name, long pid,
                        char *err)
{
    int rc;

    if (!owned_name(name, pid, 1))
        return 0;
    rc = kind == JOURNAL_POSIX_SHM ? shm_unlink(name) : mq_unlink(name);
    if (rc == 0)
        return 1;
    if (errno == ENOENT)
        return 0;
    return err_sys_ctx(err, kind == JOURNAL_POSIX_SHM ? "shm_unlink"
                                                      : "mq_unlink", name);
}

/* A System V object: only if it is still private, this user's, 0600 and
 * (shm, which records it) made by the creator - an id can be reused. */
static int remove_sysv(enum journal_kind kind, const char *name, long pid,
                       char *err)
{
    struct shmid_ds sd;
    struct msqid_ds md;
    struct ipc_perm *perm;
    char *end;
    long id = strtol(name, &end, 10);
    int rc;

    if (*name == '\0' || *end != '\0' || id < 0 || id > INT_MAX)
        return 0;
    if (kind == JOURNAL_SYSV_SHM) {
        if (shmctl((int)id, IPC_STAT, &sd) == -1 || sd.shm_cpid != pid)
            return 0;
        perm = &sd.shm_perm;
    } else {
        if (msgctl((int)id, IPC_STAT, &md) == -1)
            return 0;
        perm = &md.msg_perm;
    }
    if (perm->__key != IPC_PRIVATE || perm->cuid != geteuid() ||
        (perm->mode & 0777) != 0600)
        return 0;
    rc = kind == JOURNAL_SYSV_SHM ? shmctl((int)id, IPC_RMID, NULL)
                                  : msgctl((int)id, IPC_RMID, NULL);
    if (rc == 0)
        return 1;
    if (errno == EINVAL || errno == EIDRM)
        return 0;
    return err_sys(err, "IPC_RMID");
}

static int remove_object(enum journal_kind kind, const char *name, long pid,
                         char *err)
{
    switch (kind) {
    case JOURNAL_DIR:
        return remove_dir(name, pid, err);
    case JOURNAL_POSIX_SHM:
    case JOURNAL_POSIX_MQ:
        return remove_named(kind, name, pid, err);
    case JOURNAL_SYSV_SHM:
    case JOURNAL_SYSV_MSG:
        return remove_sysv(kind, name, pid, err);
    }
    return 0;
}

static int kind_of(const char *word)
{
    for (size_t k = 0; k < NKINDS; k++)
        if (strcmp(word, kind_names[k]) == 0)
            return (int)k;
    return -1;
}

/* The lines "+ KIND NAME" not cancelled by a later "- KIND NAME", kept
 * in place in buf (each line cut at its '\n'); returns how many. */
static size_t outstanding(char *buf, char **line, size_t max)
{
    size_t n = 0;

    for (char *p = buf, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        *nl = '\0';             /* a torn last line has no '\n': ignored */
        if ((p[0] != '+' && p[0] != '-') || p[1] != ' ')
            continue;
        if (p[0] == '+') {
            if (n < max)
                line[n++] = p + 2;
            continue;
        }
        for (size_t i = 0; i < n; i++)
            if (strcmp(line[i], p + 2) == 0) {
                line[i] = line[--n];
                break;
            }
    }
    return n;
}

/* Read a journal file whole (NUL-terminated); NULL if it cannot be. */
static char *slurp(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    char *buf = NULL;
    struct stat st;
    char err[ERR_LEN];

    if (fd == -1)
        return NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_uid == geteuid() && st.st_size < JOURNAL_MAX_BYTES &&
        (buf = malloc((size_t)st.st_size + 1)) != NULL) {
        if (read_full(fd, buf, (size_t)st.st_size, err) == 0) {
            buf[st.st_size] = '\0';
        } else {
            free(buf);
            buf = NULL;
        }
    }
    close(fd);
    return buf;
}

struct clean_ctx {
    struct journal_report *rep;
    journal_seen_fn seen;
    void *arg;
    char *err;
    int rc;
};

/* Replay one dead creator's journal and remove what it left. */
static void replay(struct clean_ctx *c, const char *path, long pid)
{
    char id[256], *line[256], *buf = slurp(path), *head, *rest;
    const char *sp;
    size_t n, boot_len;
    int other_boot, failed = 0;

    if (buf == NULL)
        return;                 /* gone: another clean got there first */
    identity(id, sizeof(id));
    sp = strchr(id + 5, ' ');   /* "boot ID" ends here */
    boot_len = sp != NULL ? (size_t)(sp - id) : strlen(id);
    head = buf;
    rest = strchr(buf, '\n');
    if (rest == NULL) {         /* killed before its first line was out: */
        (void)unlink(path);     /* it cannot list anything */
        free(buf);
        return;
    }
    if (strncmp(head, "ipclab-journal 1 ", 17) != 0) {
        free(buf);
        return;                 /* not a journal of ours: leave it */
    }
    *rest = '\0';
    other_boot = strncmp(head + 17, id, boot_len) != 0 ||
                 (head[17 + boot_len] != ' ' && head[17 + boot_len] != '\0');
    if (!other_boot && strcmp(head + 17, id) != 0) {
        c->rep->skipped++;      /* other namespaces: not ours to judge */
        free(buf);
        return;
    }
    c->rep->runs++;
    n = outstanding(rest + 1, line, sizeof(line) / sizeof(line[0]));
    for (size_t i = 0; i < n; i++) {
        char *name = strchr(line[i], ' ');
        int kind, r;

        if (name == NULL)
            continue;
        *name++ = '\0';
        kind = kind_of(line[i]);
        if (kind < 0 || (other_boot && kind != JOURNAL_DIR))
            continue;           /* the kernel's objects died with the boot */
        r = remove_object((enum journal_kind)kind, name, pid, c->err);
        if (r == 1 && c->seen != NULL)
            c->seen(line[i], name, pid, c->arg);
        c->rep->removed += r == 1;
        c->rep->gone += r == 0;
        c->rep->failed += r == -1;
        failed |= r == -1;
    }
    if (failed)
        c->rc = -1;             /* keep the journal: try again next time */
    else
        (void)unlink(path);
    free(buf);
}

int journal_clean(struct journal_report *rep, journal_seen_fn seen,
                  void *arg, char *err)
{
    struct clean_ctx c = { rep, seen, arg, err, 0 };
    char dir[PATH_MAX - 64], path[PATH_MAX + 256];
    struct dirent *e;
    DIR *d;

    memset(rep, 0, sizeof(*rep));
    if (open_dir(dir, sizeof(dir), err) == -1)
        return -1;
    d = opendir(dir);
    if (d == NULL)
        return err_sys_ctx(err, "opendir", dir);
    while ((e = readdir(d)) != NULL) {
        unsigned long long start, now;
        long pid;
        char state;
        int end = 0;

        if (sscanf(e->d_name, "%ld-%llu%n", &pid, &start, &end) != 2 ||
            e->d_name[end] != '\0' || pid <= 0)
            continue;
        if (proc_start(pid, &now, &state) == 0 && now == start &&
            state != 'Z' && state != 'X')
            continue;           /* alive (this process too) */
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        replay(&c, path, pid);
    }
    closedir(d);
    return c.rc;
}

/* ---- ipclab clean ------------------------------------------------------- */

static void say_removed(const char *kind, const char *name, long creator,
                        void *arg)
{
    (void)arg;
    printf("removed %s %s (run %ld is gone)\n", kind, name, creator);
}

static int clean_main(int argc, char **argv)
{
    struct journal_report rep;
    char err[ERR_LEN], dir[PATH_MAX];
    int quiet = argc == 2 && strcmp(argv[1], "--quiet") == 0;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: ipclab clean [--quiet]\n"
               "Remove the kernel objects (System V segments and queues, "
               "/dev/shm and\n/dev/mqueue entries, FIFO and socket "
               "directories) that runs killed\nbefore they could clean "
               "up left behind, as their journals list them.\n");
        return 0;
    }
    if (argc > 2 || (argc == 2 && !quiet)) {
        fprintf(stderr, "ipclab clean: unknown argument '%s' (try "
                        "--help)\n", argv[1]);
        return 2;
    }
    journal_dir(dir, sizeof(dir));
    if (journal_clean(&rep, quiet ? NULL : say_removed, NULL, err) == -1) {
        fprintf(stderr, "ipclab clean: %s\n", err);
        return 1;
    }
    if (!quiet)
        printf("ipclab clean: %u object(s) removed, left by %u dead "
               "run(s); %u already gone; %u journal(s) of other "
               "namespaces skipped (%s)\n", rep.removed, rep.runs,
               rep.gone, rep.skipped, dir);
    return 0;
}

static const struct ipclab_command clean_command = {
    "clean", "clean [--quiet]",
    "remove what killed runs left (System V, /dev/shm, /dev/mqueue, dirs)",
    clean_main,
};
COMMAND_REGISTER(clean_command);
