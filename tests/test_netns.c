/* test_netns.c - two-host mode across two network namespaces joined by a
 * veth pair, driven by tests/netns-test: `ipclab serve` and --connect, and
 * a server model loaded from the other host.  Skipped, with the script's
 * reason, where namespaces cannot be made (not root, no ip(8)).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

#ifndef IPCLAB_BINDIR
#define IPCLAB_BINDIR "bin"
#endif

/* ---- two network namespaces ------------------------------------------- */

/* tests/netns-test WHAT: passed, or skipped with the script's reason. */
static void netns_script(const char *what)
{
    static const char *const scripts[] = {
        "../tests/netns-test",          /* from bin/ */
        "../../../tests/netns-test",    /* from build/san/bin/ */
    };
    const char *script = NULL;
    char out[32768], *last;
    size_t len;
    int rc;

    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
        if (access(tu_bin(scripts[i]), X_OK) == 0) {
            script = scripts[i];
            break;
        }
    cr_assert_not_null(script, "tests/netns-test not found");
    rc = tu_cli(script, (char *[]){ "netns-test", IPCLAB_BINDIR,
                                    (char *)what, NULL }, out, sizeof(out));
    len = strlen(out);
    while (len > 0 && out[len - 1] == '\n')
        out[--len] = '\0';
    last = strrchr(out, '\n');
    last = last != NULL ? last + 1 : out;   /* the reason is the last line */
    if (rc == 77)
        cr_skip_test("%s", last);
    cr_assert_eq(rc, 0, "netns-test %s exited %d:\n%s", what, rc, out);
    cr_expect(strstr(last, "netns-test: ok") != NULL, "%s", out);
}

Test(netns, serve_and_connect_across_a_veth_pair, .timeout = 120)
{
    netns_script("sessions");
}

/* `ipclab serve --model M` in one namespace, `ipclab run server/M/tcp
 * --connect` in the other: every row verified, keep-alive and connect
 * per request, echo and HTTP, and the server stops on SIGTERM. */
Test(netns, a_server_model_is_loaded_from_the_other_host, .timeout = 120)
{
    netns_script("servers");
}
