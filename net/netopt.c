/* netopt.c - the options of the net/ transports.  They live here, not in
 * tcp.c or udp.c, because both transports take the same ones and an
 * option name may be registered only once per program. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../bench/util.h"
#include "netopt.h"

const char *net_opt_connect;
int net_opt_ipv6;
size_t net_opt_sockbuf;

static const struct tp_option net_connect_opt = {
    .name = "connect", .type = OPT_STRING, .value = &net_opt_connect,
    .arg = "HOST[:PORT]",
    .help = "tcp, udp: send to `ipclab serve` on HOST (port 7878); "
            "server/MODEL/tcp: load `ipclab serve --model MODEL` there",
    .applies = "tcp,udp,server/*",
};
TRANSPORT_OPTION(net_connect_opt);

static const struct tp_option net_ipv6_opt = {
    .name = "ipv6", .type = OPT_FLAG, .value = &net_opt_ipv6,
    .help = "tcp, udp: IPv6 (::1 locally; AAAA with --connect)",
    .applies = "tcp,udp",
};
TRANSPORT_OPTION(net_ipv6_opt);

static const struct tp_option net_sockbuf_opt = {
    .name = "sockbuf", .type = OPT_SIZE, .value = &net_opt_sockbuf,
    .arg = "BYTES",
    .help = "tcp, udp: SO_SNDBUF and SO_RCVBUF, 4K..1G (default: kernel "
            "autotuning)",
    /* below 4K the kernel silently raises it; above 1G it would not fit
     * the int that setsockopt takes once the kernel doubles it */
    .min = 4096, .max = 1ul << 30, .applies = "tcp,udp",
};
TRANSPORT_OPTION(net_sockbuf_opt);

int net_apply_sockbuf(int fd, char *err)
{
    int bytes;

    if (net_opt_sockbuf == 0)
        return 0;
    /* the kernel doubles the value and caps it at net.core.[wr]mem_max */
    bytes = net_opt_sockbuf > (size_t)(1 << 30) ? 1 << 30
                                                : (int)net_opt_sockbuf;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) == -1)
        return err_sys(err, "setsockopt SO_SNDBUF");
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) == -1)
        return err_sys(err, "setsockopt SO_RCVBUF");
    return 0;
}

void net_note_add(char *note, const char *words)
{
    size_t used = strlen(note);

    snprintf(note + used, NOTE_LEN - used, "%s%s", used ? ", " : "", words);
}

void net_note_options(char *note)
{
    char words[NOTE_LEN], size[32];

    if (net_opt_ipv6)
        net_note_add(note, "IPv6");
    if (net_opt_sockbuf != 0) {
        format_size(net_opt_sockbuf, size, sizeof(size));
        snprintf(words, sizeof(words), "SO_SNDBUF/SO_RCVBUF %s", size);
        net_note_add(note, words);
    }
    if (net_opt_connect != NULL) {
        snprintf(words, sizeof(words), "remote %.100s", net_opt_connect);
        net_note_add(note, words);
    }
}
