/* test_servers_daemon.c - `ipclab serve --daemon --pidfile FILE`: the
 * command returns once the daemon is ready; the daemon is in a session
 * of its own without being its leader (the second fork: it can never
 * acquire a controlling terminal), has no controlling terminal (tty_nr 0
 * in /proc/PID/stat), has fds 0-2 on /dev/null and / as its directory;
 * its pid file holds its pid; a second daemon on the same pid file is
 * refused with exit 2 and one line; SIGHUP does not stop it; SIGTERM
 * does and removes the pid file.  The fixture kills the daemon and
 * removes the directory whatever happened. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

static char dir[64] = "";
static char pidfile[128];
static pid_t daemon_pid;

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/servers-daemon-XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    snprintf(pidfile, sizeof(pidfile), "%s/serve.pid", dir);
}

/* Whatever the test did: no daemon, no file, no directory left. */
static void cleanup(void)
{
    if (daemon_pid > 0)
        kill(daemon_pid, SIGKILL);
    if (dir[0] != '\0') {
        unlink(pidfile);
        rmdir(dir);
    }
}

/* The process's state letter and fields 6 (session) and 7 (tty_nr). */
static int proc_stat(pid_t pid, char *state, long *sid, long *tty)
{
    char path[64], buf[512], *p;
    FILE *fp;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fp = fopen(path, "r");
    if (fp == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    p = strrchr(buf, ')');      /* the name may hold spaces */
    if (p == NULL || sscanf(p + 1, " %c %*d %*d %ld %ld", state, sid, tty)
                         != 3)
        return -1;
    return 0;
}

/* Gone, or a zombie (PID 1 of a container may not reap). */
static int gone_within(pid_t pid, int ms)
{
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    char state;
    long sid, tty;

    for (int t = 0; t <= ms; t += 10) {
        if (proc_stat(pid, &state, &sid, &tty) == -1 || state == 'Z')
            return 1;
        nanosleep(&ts, NULL);
    }
    return 0;
}

static pid_t read_pidfile(void)
{
    FILE *fp = fopen(pidfile, "r");
    int pid = 0;

    if (fp == NULL)
        return 0;
    if (fscanf(fp, "%d", &pid) != 1)
        pid = 0;
    fclose(fp);
    return pid;
}

static void link_is(pid_t pid, const char *what, const char *want)
{
    char path[64], got[256];
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
    n = readlink(path, got, sizeof(got) - 1);
    cr_assert_gt(n, 0, "readlink %s: %s", path, strerror(errno));
    got[n] = '\0';
    cr_expect_str_eq(got, want, "%s", path);
}

Test(servers_daemon, detaches_the_classic_way, .init = make_dir,
     .fini = cleanup, .timeout = 60)
{
    char *argv[] = { "ipclab", "serve", "--daemon", "--pidfile", pidfile,
                     "--listen", "127.0.0.1:0", NULL };
    char out[1024], state;
    long sid, tty;
    int rc;

    /* it returns: the daemon holds neither our stdout nor our stderr */
    rc = tu_cli("ipclab", argv, out, sizeof(out));
    cr_assert_eq(rc, 0, "status %d: %s", rc, out);
    daemon_pid = read_pidfile();
    cr_assert_gt(daemon_pid, 0, "no pid in %s (%s)", pidfile, out);
    cr_expect(strstr(out, "daemon") != NULL, "%s", out);
    cr_assert_eq(proc_stat(daemon_pid, &state, &sid, &tty), 0);
    cr_expect_eq(getpgid(daemon_pid), sid, "its own process group: the "
                 "session's");
    cr_expect_neq(sid, getsid(0), "a session of its own");
    cr_expect_neq(sid, daemon_pid, "not the session leader (second fork)");
    cr_expect_eq(tty, 0, "no controlling terminal");
    link_is(daemon_pid, "fd/0", "/dev/null");
    link_is(daemon_pid, "fd/1", "/dev/null");
    link_is(daemon_pid, "fd/2", "/dev/null");
    link_is(daemon_pid, "cwd", "/");

    /* a second daemon on the same pid file: refused before it starts */
    rc = tu_cli("ipclab", argv, out, sizeof(out));
    cr_expect_eq(rc, 2, "status %d: %s", rc, out);
    cr_expect_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s",
                 out);
    cr_expect(strstr(out, "held by running process") != NULL, "%s", out);
    cr_expect_eq(read_pidfile(), daemon_pid, "the first one's pid stays");

    /* SIGHUP reopens the log; it does not stop the daemon */
    cr_assert_eq(kill(daemon_pid, SIGHUP), 0);
    cr_expect_not(gone_within(daemon_pid, 200), "SIGHUP stopped it");

    /* SIGTERM: a clean stop, the pid file removed */
    cr_assert_eq(kill(daemon_pid, SIGTERM), 0);
    cr_expect(gone_within(daemon_pid, 10000), "still running after "
              "SIGTERM");
    cr_expect_eq(access(pidfile, F_OK), -1, "the pid file is still there");
    if (gone_within(daemon_pid, 0))
        daemon_pid = 0;         /* else the fixture kills it */
}

/* A pid file naming a dead process (a crash) is taken over. */
Test(servers_daemon, takes_over_a_stale_pid_file, .init = make_dir,
     .fini = cleanup, .timeout = 60)
{
    char *argv[] = { "ipclab", "serve", "--daemon", "--pidfile", pidfile,
                     "--listen", "127.0.0.1:0", NULL };
    char out[1024];
    FILE *fp = fopen(pidfile, "w");
    pid_t dead = fork();
    int rc;

    cr_assert_geq(dead, 0);
    if (dead == 0)
        _exit(0);
    cr_assert_eq(tu_wait_status(dead), 0);  /* reaped: a pid nobody has */
    cr_assert_not_null(fp);
    fprintf(fp, "%d\n", (int)dead);
    fclose(fp);
    rc = tu_cli("ipclab", argv, out, sizeof(out));
    cr_assert_eq(rc, 0, "status %d: %s", rc, out);
    daemon_pid = read_pidfile();
    cr_assert_gt(daemon_pid, 0);
    cr_expect_neq(daemon_pid, dead);
    cr_assert_eq(kill(daemon_pid, SIGTERM), 0);
    cr_expect(gone_within(daemon_pid, 10000));
    if (gone_within(daemon_pid, 0))
        daemon_pid = 0;         /* else the fixture kills it */
}

Test(servers_daemon, pidfile_without_daemon_is_a_usage_error,
     .timeout = 30)
{
    char out[1024];
    int rc = tu_cli("ipclab", (char *[]){ "ipclab", "serve", "--pidfile",
                                          "/tmp/x.pid", NULL },
                    out, sizeof(out));

    cr_expect_eq(rc, 2, "status %d: %s", rc, out);
    cr_expect_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s",
                 out);
}
