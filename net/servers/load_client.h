/* load_client.h - inside the load generator (net/servers/load.c): one
 * load process's clients and its state, shared by the loops that drive
 * them (load.c) and the client steps (load_client.c). */
#ifndef IPCLAB_LOAD_CLIENT_H
#define IPCLAB_LOAD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "../../bench/util.h"
#include "load.h"

/* One load process's report, in the load's shared mapping. */
struct load_slot {
    char err[ERR_LEN];
    uint64_t replies;           /* verified replies */
    uint64_t connects;          /* connections opened */
    uint64_t errors[TP_ERR_N];  /* failed requests, by kind */
    char first_err[ERR_LEN];    /* the first of them, in words */
};

#define LOAD_HTTP_REQ 96         /* "GET /client/seq HTTP/1.1 ..." */

struct client {
    int fd;                     /* -1 between connections */
    unsigned id;                /* 0 .. clients-1, over all processes */
    uint64_t seq;               /* the request in flight */
    uint64_t t_send;            /* its start: sent (closed loop), or due
                                   (open loop: coordinated omission) */
    uint64_t t_deadline;        /* ... and when it times out */
    uint64_t t_due;             /* open loop: when the next one is due */
    int idle;                   /* open loop: waiting for t_due */
    int done;                   /* every request made */
    int conn_err;               /* keep-alive: the first connect failed
                                   with kind conn_err - 1 (0: it did not) */
    size_t rest_off, rest_len;  /* slow client: the part still to send */
    uint64_t t_rest;            /* ... and when */
    size_t got;
    uint8_t *req, *reply;
};

struct lproc {
    const struct srv *s;
    struct client *cl;
    unsigned first, n;          /* its clients: ids first .. first+n-1 */
    uint64_t warm, per;
    uint64_t period_ns;         /* open loop: one client's request spacing */
    uint64_t scan_ns;           /* how often the deadlines are looked at */
    const uint8_t *resp;        /* --proto http: the expected response */
    size_t resp_len;
    uint64_t *samples;
    struct load_slot *slot;
    int epfd;
    int blocking;               /* one client, closed loop: it waits
                                   in read() (lproc_loop_one) */
};

uint64_t load_now_ns(void);

/* Connect c: 0 connected, 1 failed with an error of *kind (the caller
 * counts it), -1 the load's own failure. */
int client_connect(struct lproc *p, struct client *c, int *kind, char *err);

/* Request c->seq failed with an error of kind: counted, connection
 * dropped; then client_advance(). */
void client_failed(struct lproc *p, struct client *c, int kind,
                   const char *what);

/* On to c's next request (or c done): 0, or -1 error. */
int client_advance(struct lproc *p, struct client *c, uint64_t t,
                   int *active, char *err);

/* Start request c->seq, and the next ones while they fail at once. */
int client_go(struct lproc *p, struct client *c, int *active, char *err);

/* Read from c: 0 read (a whole reply is checked, recorded and followed by
 * the next request), 2 nothing to read (EAGAIN: with SO_RCVTIMEO, the
 * read timed out; EINTR), -1 error (a wrong byte is one). */
int client_readable(struct lproc *p, struct client *c, int *active,
                    char *err);

/* Open loop, slow client: send what is due; lower *next to the next. */
int lproc_due(struct lproc *p, uint64_t *next, int *active, char *err);

/* Fail every request in flight past its deadline. */
int lproc_timeouts(struct lproc *p, uint64_t now, int *active, char *err);

#endif
