/* test_servers.h - what the server family's suites share: the --clients
 * setter and the table of every model at two client counts. */
#ifndef TEST_SERVERS_H
#define TEST_SERVERS_H

#include "test_util.h"

/* --clients takes effect through the option's variable, as the CLI sets
 * it: bit k = 2^k clients (a power of two: one bit). */
static inline void set_clients(unsigned clients)
{
    *(unsigned *)tu_option_value("clients") = clients;
}

struct model_case {
    char transport[40];         /* arrays: Criterion re-execs a worker */
    unsigned clients;
};

/* Every model over TCP and Unix sockets at 1 and `many` clients
 * (prefork_reuseport: TCP only). */
#define MODEL_CASES(m, many)                                               \
    { "server/" m "/tcp", 1 }, { "server/" m "/tcp", many },               \
    { "server/" m "/unix", 1 }, { "server/" m "/unix", many }
#define EVERY_MODEL_CASE(many)                                             \
    MODEL_CASES("iterative", many), MODEL_CASES("fork", many),             \
    MODEL_CASES("prefork", many), MODEL_CASES("thread", many),             \
    MODEL_CASES("pool", many), MODEL_CASES("select", many),                \
    MODEL_CASES("poll", many), MODEL_CASES("epoll", many),                 \
    MODEL_CASES("epoll_et", many), MODEL_CASES("epoll_threads", many),     \
    { "server/prefork_reuseport/tcp", 1 },                                 \
    { "server/prefork_reuseport/tcp", many }

#endif
