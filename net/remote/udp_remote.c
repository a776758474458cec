/* udp_remote.c - net/udp.c with --connect HOST: the consumer is `ipclab
 * serve` on HOST (wire.c draws the protocol).
 *
 * Loopback UDP has two sockets and a pipe on which the producer says "all
 * sent".  Between two hosts the pipe becomes the TCP control connection:
 * it carries the hello (with our data port), the server's answer (with
 * its data port), the producer's one-byte "done" and the server's result.
 * Here, in the parent: connect the control connection, bind our data
 * socket on the address it uses, say hello, connect the data socket to the
 * server's port.  The control connection goes where net/udp.c keeps the
 * write end of its pipe (done_pipe[1]) and the data socket where it keeps
 * the producer's socket, so its attach, send, recv, finish, detach and
 * destroy run unchanged; only a lost round trip waits longer
 * (REMOTE_PONG_TIMEOUT_MS), and finish() also reads the result.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "../../bench/util.h"
#include "../inet.h"
#include "../netopt.h"
#include "remote.h"

static void set_port(struct sockaddr_storage *a, unsigned port)
{
    if (a->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)a)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)a)->sin_port = htons((uint16_t)port);
}

static unsigned get_port(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
    return ntohs(((const struct sockaddr_in *)a)->sin_port);
}

int remote_udp_create(struct tp_channel *ch, char *err)
{
    struct udp_priv *p = udp_priv_new(ch, err);
    struct remote_hello h;
    struct remote_reply answer;
    struct sockaddr_storage mine, server;
    socklen_t mine_len = sizeof(mine), server_len = sizeof(server);
    int ctl;

    if (p == NULL)
        return -1;
    ch->solo = 1;               /* the consumer is the server */
    p->pong_timeout_ms = REMOTE_PONG_TIMEOUT_MS;
    ctl = p->done_pipe[1] = remote_connect(net_opt_connect, net_opt_ipv6
                                                                ? AF_INET6
                                                                : AF_UNSPEC,
                                           err);
    if (ctl == -1)
        return -1;
    if (getsockname(ctl, (struct sockaddr *)&mine, &mine_len) == -1 ||
        getpeername(ctl, (struct sockaddr *)&server, &server_len) == -1)
        return err_sys(err, "getsockname/getpeername");
    set_port(&mine, 0);
    p->sock[ROLE_PRODUCER] = udp_socket_bound(&mine, &mine_len, err);
    if (p->sock[ROLE_PRODUCER] == -1)
        return -1;
    remote_hello_for(ch, REMOTE_UDP, &h);
    h.udp_port = get_port(&mine);
    if (remote_client_hello(ctl, &h, &answer, err) == -1)
        return -1;
    if (answer.udp_port == 0 || answer.udp_port > 65535)
        return err_set(err, "the server answered a bad UDP port %u",
                       (unsigned)answer.udp_port);
    set_port(&server, answer.udp_port);
    if (connect(p->sock[ROLE_PRODUCER], (struct sockaddr *)&server,
                server_len) == -1)
        return err_sys(err, "connect");
    return 0;
}
