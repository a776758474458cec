/* iterative.c - the iterative server: one process, one client at a time.
 *
 * What it is.  Accept a connection, serve it until the client closes,
 * then accept the next.  The simplest server there is, and kept on
 * purpose: it shows head-of-line blocking.  With C clients connected at
 * once, client 2 waits in the kernel's accept queue - its request
 * already sitting in its socket - until client 1 has made all of its
 * requests and closed.  Choose it only when requests are short and
 * clients come one at a time (inetd's "wait" services worked this way).
 *
 * Kernel objects.  The listening socket (made by server.c in the
 * parent); one connected socket at a time, closed at the client's EOF.
 *
 * Copies.  Two each way, as for any socket: the request into the kernel
 * and out to the server, the reply the same way back (TCP or Unix).
 *
 * Waiting.  Blocks in poll (listener or stop) then accept, then in read
 * on the one connection.  Nothing else is served meanwhile.
 *
 * Who accepts, reads and waits where:
 *
 *      load (C clients)                  server: one process
 *      connect x C ---> accept queue     poll(listener, stop)
 *      request x C      (all queued)     accept  -> client 1
 *                                        read/write ... until EOF
 *      client 1 done, close ---------->  close
 *      clients 2..C still waiting        accept  -> client 2 ...
 *      last reply, stop pipe --------->  poll: stop -> return
 *
 * The row.  Latency percentiles at C > 1 show the queueing: a client's
 * first round trip waits for every client served before it, so p99 and
 * max grow with C while requests/s stays that of one client.
 *
 * See accept(2), listen(2), socket(7).
 * Usage: bin/server_iterative --clients 1,4 (or: ipclab run server/iterative)
 */
#include "server.h"

static int iterative_serve(struct srv *s, char *err)
{
    int r;

    while ((r = srv_wait_accept(s, s->listen_fd, err)) == 1) {
        int fd = srv_accept(s->listen_fd, 0, err);

        if (fd == -1)
            return -1;
        if (srv_serve_blocking(fd, s->msg_bytes, err) == -1)
            return -1;          /* the whole connection, then the next */
    }
    return r;
}

#define iterative_model_summary "accept, serve that client to EOF, repeat"
static const struct srv_model iterative_model = {
    .name = "iterative", .summary = iterative_model_summary,
    .serve = iterative_serve,
};
SRV_TRANSPORTS(iterative);
TRANSPORT_REGISTER(iterative_tcp);
TRANSPORT_REGISTER(iterative_unix);
