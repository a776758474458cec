/* tcp_remote.c - net/tcp.c with --connect HOST: the consumer is `ipclab
 * serve` on HOST (wire.c draws the protocol).
 *
 * Only the set-up differs from loopback.  Here, in the parent, before
 * anything is forked (so a refusing server fails the run at once): connect
 * to the server, set --sockbuf and, for latency, TCP_NODELAY, and say
 * hello.  The producer inherits the connection; no consumer is forked
 * (ch->solo).  From then on net/tcp.c's own functions run on it: tcp_send
 * and tcp_recv move the bytes, tcp_ready and tcp_destroy close the
 * parent's copy, and finish() reads the server's result
 * (remote_client_result), so a throughput run ends when the server has
 * received and verified everything.
 */
#include "../../bench/util.h"
#include "../inet.h"
#include "../netopt.h"
#include "remote.h"

int remote_tcp_create(struct tp_channel *ch, char *err)
{
    struct tcp_priv *p = tcp_priv_new(ch, err);
    struct remote_hello h;
    struct remote_reply answer;

    if (p == NULL)
        return -1;
    ch->solo = 1;               /* the consumer is the server */
    p->fd = remote_connect(net_opt_connect, net_opt_ipv6 ? AF_INET6
                                                         : AF_UNSPEC, err);
    if (p->fd == -1)
        return -1;
    if (net_apply_sockbuf(p->fd, err) == -1 ||
        (ch->mode == MODE_LATENCY && tcp_nodelay(p->fd, err) == -1))
        return -1;
    remote_hello_for(ch, REMOTE_TCP, &h);
    return remote_client_hello(p->fd, &h, &answer, err);
}
