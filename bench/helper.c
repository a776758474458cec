/* helper.c - a third process a transport forks for itself (see helper.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "util.h"

int helper_init(struct helper *h, char *err)
{
    h->pid = 0;
    h->ready_fd = h->go_fd = -1;
    h->slot = mmap(NULL, sizeof(*h->slot), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (h->slot == MAP_FAILED) {
        h->slot = NULL;
        return err_sys(err, "mmap");
    }
    h->slot->err[0] = '\0';
    return 0;
}

void helper_free(struct helper *h)
{
    if (h->slot != NULL)
        munmap(h->slot, sizeof(*h->slot));
    h->slot = NULL;
}

int helper_ready(struct helper *h, char *err)
{
    char c = 'r';
    int rc = write_full(h->ready_fd, &c, 1, err);

    close_fd(&h->ready_fd);
    return rc;
}

int helper_go(struct helper *h, char *err)
{
    char c = 'g';
    int rc = 0;

    if (h->go_fd != -1)
        rc = write_full(h->go_fd, &c, 1, err);
    close_fd(&h->go_fd);
    return rc;
}

int helper_await_go(struct helper *h, char *err)
{
    char c;
    int rc = read_full(h->go_fd, &c, 1, err);

    close_fd(&h->go_fd);
    return rc == 0 ? 0 : err_set(err, "the run ended before it started");
}

/* Reap the helper; its wait status, or -1 with err. */
static int helper_reap(struct helper *h, int *status, char *err)
{
    pid_t r;

    close_fd(&h->go_fd);        /* a helper still waiting sees EOF */
    while ((r = waitpid(h->pid, status, 0)) == -1 && errno == EINTR)
        ;
    h->pid = 0;
    return r == -1 ? err_sys(err, "waitpid") : 0;
}

int helper_start(struct helper *h, int (*fn)(struct helper *h, void *arg,
                                             char *err),
                 void *arg, char *err)
{
    pid_t parent = getpid();
    int sync[2], go[2], status;
    char c;

    if (pipe2(sync, O_CLOEXEC) == -1)
        return err_sys(err, "pipe2");
    if (pipe2(go, O_CLOEXEC) == -1) {
        close(sync[0]);
        close(sync[1]);
        return err_sys(err, "pipe2");
    }
    h->slot->err[0] = '\0';
    h->pid = fork();
    if (h->pid == -1) {
        h->pid = 0;
        close(sync[0]);
        close(sync[1]);
        close(go[0]);
        close(go[1]);
        return err_sys(err, "fork");
    }
    if (h->pid == 0) {
        char why[ERR_LEN] = "";
        int rc;

        close(sync[0]);
        close(go[1]);
        h->ready_fd = sync[1];
        h->go_fd = go[0];
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
            _exit(1);           /* never outlive the side that forked us */
        rc = fn(h, arg, why);
        if (rc == -1)
            memcpy(h->slot->err, why, ERR_LEN);
        _exit(rc == 0 ? 0 : 1);
    }
    close(sync[1]);
    close(go[0]);
    h->go_fd = go[1];
    if (read_full(sync[0], &c, 1, err) == 0) {  /* set up */
        close(sync[0]);
        return 0;
    }
    close(sync[0]);             /* it ended first: say why */
    if (helper_reap(h, &status, err) == -1)
        return -1;
    if (h->slot->err[0] != '\0')
        return err_set(err, "%s", h->slot->err);
    return err_set(err, "the helper process ended before it was ready "
                   "(status 0x%x)", status);
}

int helper_failed(struct helper *h, const char *who, char *err)
{
    int status;
    pid_t r;

    if (h->slot != NULL && h->slot->err[0] != '\0')
        return err_set(err, "%s: %s", who, h->slot->err);
    if (h->pid <= 0)            /* not ours to ask, or reaped */
        return 0;
    while ((r = waitpid(h->pid, &status, WNOHANG)) == -1 && errno == EINTR)
        ;
    if (r != h->pid)
        return 0;               /* still running */
    h->pid = 0;
    if (WIFSIGNALED(status))
        return err_set(err, "%s: killed by signal %d", who,
                       WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return err_set(err, "%s: exit status %d", who, WEXITSTATUS(status));
    return 0;
}

int helper_wait(struct helper *h, const char *who, char *err)
{
    int status;

    if (h->pid <= 0)
        return 0;
    if (helper_reap(h, &status, err) == -1)
        return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (helper_failed(h, who, err) == -1)
        return -1;
    if (WIFSIGNALED(status))
        return err_set(err, "%s: killed by signal %d", who,
                       WTERMSIG(status));
    return err_set(err, "%s: exit status %d", who, WEXITSTATUS(status));
}

void helper_kill(struct helper *h)
{
    int status;
    char err[ERR_LEN];

    if (h->pid <= 0)
        return;
    kill(h->pid, SIGKILL);
    helper_reap(h, &status, err);
}
