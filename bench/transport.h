/* transport.h - the contract between one IPC mechanism and the harness.
 *
 * A mechanism file (ipc/pipe.c, net/tcp.c, signals/rt_signal.c ...) fills in
 * one `struct transport` per variant and registers it with
 * TRANSPORT_REGISTER().  The harness (bench/harness.c) does everything else:
 * it forks the two processes, pins them to CPUs, reads the clock, verifies
 * the bytes, reaps the children, enforces the timeout and prints results.
 *
 * Life of one run, as the harness drives it:
 *
 *      harness (parent)              producer child        consumer child
 *      ----------------              --------------        --------------
 *      check_size()
 *      create()      kernel objects
 *      fork, fork ------------------> attach()             attach()
 *      wait until both attached <---- "ready"              "ready"
 *      ready()       e.g. unlink names, IPC_RMID
 *      "go" -----------------------> send()/recv() loop   recv()/send() loop
 *                                    finish()              (until done)
 *                                    detach(), _exit       detach(), _exit
 *      reap both (wait4)
 *      destroy()     remove anything left, always
 *
 * Rules for transports:
 *   - never read the clock, never fork (except a transport whose subject is
 *     fork itself, signals/sigchld.c, and one that needs a third process,
 *     which forks it through bench/helper.h), never print, never exit;
 *   - report failure by returning -1 with a one-line message in `err`
 *     (ERR_LEN bytes; use err_set()/err_sys() from bench/util.h);
 *   - destroy() runs in the parent after every run - success, failure,
 *     timeout, crash or SIGINT - and must remove every kernel object and
 *     file the run may have created.  It must be idempotent and must not
 *     assume attach() or ready() ran.
 */
#ifndef IPCLAB_TRANSPORT_H
#define IPCLAB_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ERR_LEN  256            /* size of every error-message buffer */
#define NOTE_LEN 192            /* size of a row's free-text note */

enum tp_family { TP_IPC, TP_NET, TP_SIGNALS, TP_LIMIT };
/* MODE_PACED is latency with a pause before each round trip (--interval):
 * the harness runs it with ch->mode == MODE_LATENCY, so a transport only
 * ever sees the first two, and check_size() is asked about MODE_LATENCY. */
enum tp_mode { MODE_THROUGHPUT, MODE_LATENCY, MODE_PACED };

/* The mode a transport is set up and asked about for a cell's mode. */
static inline enum tp_mode tp_channel_mode(enum tp_mode mode)
{
    return mode == MODE_PACED ? MODE_LATENCY : mode;
}
enum tp_role { ROLE_PRODUCER = 0, ROLE_CONSUMER = 1 };

/* Capabilities (struct transport.caps). */
#define TP_STREAM        0x01u  /* a byte stream: recv() must loop until len */
#define TP_MESSAGES      0x02u  /* message boundaries are preserved */
#define TP_DUPLEX        0x04u  /* one kernel object carries both directions */
#define TP_NO_THROUGHPUT 0x08u  /* mode not supported: the row says so */
#define TP_NO_LATENCY    0x10u
#define TP_NO_SIZE       0x20u  /* message size does not apply: run once, not
                                   per size, reported with size 0; the
                                   message is the 4-byte sequence number
                                   (msg_bytes = 4) unless TP_NO_PAYLOAD */
#define TP_LOSSY         0x40u  /* may lose/duplicate/reorder: recv() may
                                   return TP_RECV_END; the harness counts by
                                   the sequence number in each message */
#define TP_NO_PAYLOAD    0x100u /* nothing but the event itself crosses (a
                                   bare signal, a child's exit): send/recv
                                   get len 0 and the row's verified is n/a */
#define TP_SOLO          0x80u  /* no consumer process is forked: only the
                                   producer runs (custom(), or a latency
                                   loop that talks to itself/its own kids) */
#define TP_NOT_ONE_WAY   0x400u /* a round trip that is not two symmetric
                                   one-way trips (fork + exit + reap, a
                                   timer's expiry): no one-way figure */
#define TP_NAMED_ONLY    0x200u /* left out of a run that names no
                                   transport or only its family (it has a
                                   dimension of its own, too long for the
                                   default run); runs when named, alone or
                                   by prefix ("server", "server/epoll") */

/* struct transport.copies is stored plus one, so that a table that does
 * not say (0) is told apart from a transport that copies nothing. */
#define TP_COPIES(n) ((n) + 1)

/* struct transport.syscalls: system calls one send() and one recv() make
 * per message in a back-to-back stream, not counting the calls a side
 * makes only to sleep until the other catches up; stored plus one like
 * copies.  A pipe: TP_SYSCALLS(1, 1) (write, read; a blocking write is
 * still one call); a shared-memory ring that wakes a sleeper only once:
 * TP_SYSCALLS(0, 0).  The syscalls_per_msg columns measure it, and a test
 * holds every transport to it within one, at 64 KiB on one CPU. */
#define TP_SYSCALLS(send, recv) { (send) + 1, (recv) + 1 }
/* An experiment rather than a channel (a lesson such as fork_cost or
 * time_wait, a server under many clients): its calls per "message" are
 * not a property of a mechanism, and its header comment says what it
 * calls instead.  The cells stay empty and the declaration test skips it. */
#define TP_SYSCALLS_NOT_A_CHANNEL { -1, -1 }

#define TP_RECV_END 1           /* recv(): the stream ended early (lossy) */

/* Facts about a run that its row reports in columns of their own
 * (output schema 2).  create() may fill them in; 0 / NULL = unknown, an
 * empty cell.  A remark for a human still goes in ch->note. */
struct tp_facts {
    uint64_t ring_bytes;        /* shared-memory ring: its data area */
    uint64_t records_per_msg;   /* pieces one message is cut into */
    const char *wait;           /* how a waiting side waits: "spin",
                                   "futex", "sem", "block" ... (static) */
    uint64_t clients;           /* servers: concurrent client connections */
    uint64_t interval_ns;       /* an experiment's own period (timers: the
                                   timer's interval); the interval_ns
                                   column when the run is not paced */
};

/* create() may set ch->refused before returning -1 when the run is not
 * possible on this machine rather than broken: the row is then n/a, not
 * failed, with the matching status code. */
enum tp_refusal { TP_REFUSED_NO = 0, TP_REFUSED_NOT_PERMITTED,
                  TP_REFUSED_OVER_LIMIT };

/* Per-run channel: one per run, created in the parent, inherited by both
 * children through fork.  Each child works on its own copy. */
struct tp_channel {
    const struct transport *tp;
    enum tp_mode mode;
    size_t msg_bytes;           /* every message of the run has this size */
    uint64_t messages;          /* messages the producer will send (both
                                   modes; latency: pings incl. warm-up) */
    enum tp_role role;          /* set in each child before attach() */
    int same_cpu;               /* 1 when both sides are pinned to one CPU */
    int solo;                   /* create() may set it: fork no consumer
                                   this run (the peer is remote, e.g.
                                   `--connect`); the producer then reads
                                   the end time after finish() returns */
    pid_t peer_pid;             /* the other process (0 when solo); valid
                                   from the start barrier on, i.e. in
                                   send/recv/finish, not in attach */
    void *priv;                 /* the transport's own state */
    char note[NOTE_LEN];        /* set in create() (parent) to add a remark
                                   to the result row, e.g. "TCP_NODELAY";
                                   destroy() may add what the run showed */
    int verify_full;            /* --verify full: a remote consumer must
                                   compare every byte too */
    unsigned point;             /* which point of the transport's own
                                   dimension this run is (see points()) */
    /* Solo runs whose consumer is elsewhere (`--connect`): finish() fills
     * in what that consumer counted and sets peer_reported; the harness
     * then reports these as a local consumer's figures. */
    int peer_reported, peer_verified;
    uint64_t peer_received, peer_lost, peer_duplicated, peer_reordered;
    struct tp_facts facts;      /* create() may fill it: see above */
    enum tp_refusal refused;    /* create() may set it with its -1 */
};

/* Requests a custom() run could not complete, by kind (a server's load:
 * a refused connect, a reset or a connection closed before the reply, a
 * reply that did not come in time).  Counted, not fatal: the row stays ok
 * when every request answered was verified; see net/servers/load.c. */
enum tp_error_kind { TP_ERR_REFUSED, TP_ERR_RESET, TP_ERR_TIMEOUT,
                     TP_ERR_N };

/* Counts returned by custom() runs (standard vs realtime signals, reaping). */
struct tp_counts {
    uint64_t sent;
    uint64_t received;
    uint64_t lost;
    uint64_t errors[TP_ERR_N];  /* failed, counted: sent = received + lost
                                   + the errors */
    /* Latency mode: the harness's buffer for round-trip samples (shared
     * with the producer's own children); custom() fills up to
     * max_samples of them and says how many in nsamples, and the row's
     * msgs/s is then `received` over custom()'s whole time. */
    uint64_t *samples_ns;
    uint64_t max_samples, nsamples;
};

struct transport {
    const char *name;           /* "pipe", "socketpair/dgram", "sysv_shm/spin"
                                 */
    enum tp_family family;
    const char *summary;        /* one line for `ipclab list` */
    unsigned caps;
    int variant;                /* free for the transport's own use */
    /* Copies of each byte between the producer's buffer and the bytes the
     * consumer reads (a pipe: 2, into the kernel and out; shared memory
     * read in place: 1).  Declare it as TP_COPIES(n); left out, the row's
     * `copies` cell is empty. */
    int copies;
    /* System calls of one send() and one recv() (see TP_SYSCALLS): declare
     * it as TP_SYSCALLS(send, recv); left out, the cells are empty. */
    int syscalls[2];

    /* Optional.  When a run names a mechanism without its variant
     * ("sysv_shm" for "sysv_shm/futex") or names nothing (every
     * transport), is this variant included under the current options?
     * Lets an option such as --wait choose variants.  Naming the full
     * variant always includes it. */
    int (*selected)(const struct transport *tp);

    /* Optional.  Is a message of msg_bytes possible in this mode on this
     * machine?  0 if so; else -1 and a sentence naming the limit and how to
     * raise it: "over msgmax 8192; raise /proc/sys/kernel/msgmax". */
    int (*check_size)(const struct transport *tp, enum tp_mode mode,
                      size_t msg_bytes, char *err);

    /* Parent, before fork: create the kernel objects, fill ch->priv. */
    int (*create)(struct tp_channel *ch, char *err);
    /* Each child after fork (ch->role set): open/map/connect its side. */
    int (*attach)(struct tp_channel *ch, char *err);
    /* Optional.  Parent, once both children have attached: the moment to
     * mark names and objects for removal (unlink, IPC_RMID, shm_unlink). */
    int (*ready)(struct tp_channel *ch, char *err);

    /* Move exactly one message of len bytes.  Stream transports loop on
     * short transfers and EINTR (read_full/write_full in bench/util.h). */
    int (*send)(struct tp_channel *ch, const void *buf, size_t len, char *err);
    /* On success *msg points at the received bytes: buf after a copy, or
     * for zero-copy variants the transport's own memory, valid until
     * release() (or the next recv() when release is NULL).
     * Returns 0, TP_RECV_END (TP_LOSSY only) or -1. */
    int (*recv)(struct tp_channel *ch, void *buf, size_t len,
                const void **msg, char *err);
    /* Optional: the harness is done with the bytes *msg pointed at. */
    void (*release)(struct tp_channel *ch);
    /* Optional.  Producer, after its last send of a throughput run: e.g.
     * send an end marker for a lossy transport. */
    int (*finish)(struct tp_channel *ch, char *err);
    /* Optional.  TP_SOLO only: the whole measured action; the harness reads
     * the clock around this call and reports counts.  Throughput mode. */
    int (*custom)(struct tp_channel *ch, struct tp_counts *counts, char *err);
    /* Optional, with custom() on a transport that is not TP_SOLO: the
     * consumer's whole measured part instead of the recv/send loop (a
     * server, serving the producer's clients until they are done). */
    int (*serve)(struct tp_channel *ch, char *err);
    /* Optional.  A dimension of the transport's own (servers: the clients
     * counts of --clients): how many points the current options give.
     * The harness runs one cell per point, with ch->point set. */
    unsigned (*points)(const struct transport *tp);

    /* Each child, before it exits (also after an error). */
    void (*detach)(struct tp_channel *ch);
    /* Parent, always, last: remove everything; idempotent. */
    void (*destroy)(struct tp_channel *ch);

    /* Optional.  At most this many measured round trips per latency or
     * paced run, whatever --iterations says (0: no cap): for lessons whose
     * round trip is milliseconds by nature (a Nagle stall, a 10 ms timer,
     * fork of a 1 GiB process), so that a default sweep stays short. */
    uint64_t max_round_trips;
};

/* Registration: a pointer in the "ipclab_tp" section of the program.  A
 * program lists exactly the transports linked into it, so bin/pipe knows
 * only pipe while bin/ipclab knows them all. */
#define TRANSPORT_REGISTER(tp)                                             \
    static const struct transport *const tp##_registered                   \
        __attribute__((used, section("ipclab_tp"))) = &(tp)

/* Options a transport adds to the command line (`--ring-size 1M`).  Values
 * live in the transport file's own static variables, are set in the parent
 * before anything runs, and are inherited by the children. */
enum tp_opt_type {
    OPT_FLAG,                   /* int *: set to 1 when present */
    OPT_SIZE,                   /* size_t *: 64, 4K, 1M, 1G (binary) */
    OPT_UINT,                   /* unsigned long * */
    OPT_STRING,                 /* const char **: the argument as given */
    OPT_CHOICE,                 /* int *: index into choices[] */
    OPT_LIST,                   /* unsigned *: bit k for choices[k], from a
                                 * comma-separated list; "all": every bit */
    OPT_DIR                     /* const char **: an existing directory
                                 * this user may create files in */
};

struct tp_option {
    const char *name;           /* long option without dashes: "ring-size" */
    enum tp_opt_type type;
    void *value;
    const char *const *choices; /* OPT_CHOICE, OPT_LIST: NULL-terminated */
    const char *arg;            /* how help shows the argument: "BYTES" */
    const char *help;           /* one line */
    /* OPT_UINT, OPT_SIZE: the accepted range, checked by the command line
     * before anything runs.  max 0: no upper bound. */
    unsigned long min, max;
    /* The transports the option means something to: comma-separated
     * fnmatch(3) patterns of names ("tcp,udp", "timers/" and a star).  A
     * run given the option that selects none of them is refused.  NULL:
     * every one. */
    const char *applies;
};

#define TRANSPORT_OPTION(opt)                                              \
    static const struct tp_option *const opt##_registered                  \
        __attribute__((used, section("ipclab_opt"))) = &(opt)

/* The registered tables (bench/registry.c). */
const struct transport *const *transports_begin(void);
size_t transports_count(void);
const struct transport *transport_find(const char *name);
const struct tp_option *const *tp_options_begin(void);
size_t tp_options_count(void);
const char *tp_family_name(enum tp_family family);

#endif
