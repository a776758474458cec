/* placement.c - which CPUs the two processes of a run get (--placement,
 * --cpus), and pinning a process to its CPU.
 *
 *   spread   the first two CPUs this process may use: producer, consumer
 *   same     both on the first: every hand-over is a context switch
 *   os       no pinning: the scheduler decides (and may move them)
 *   cpus     the two CPUs --cpus names, checked against the affinity mask
 */
#define _GNU_SOURCE
#include <sched.h>

#include "harness.h"
#include "placement.h"
#include "util.h"

int bench_placement_cpus(const struct bench_config *cfg, int cpu[2],
                         char *err)
{
    cpu_set_t set;
    int first = -1, second = -1;

    cpu[0] = cpu[1] = -1;
    if (cfg->placement == PLACE_OS)
        return 0;
    if (sched_getaffinity(0, sizeof(set), &set) == -1)
        return err_sys(err, "sched_getaffinity");
    if (cfg->placement == PLACE_CPUS) {
        for (int i = 0; i < 2; i++)
            if (cfg->cpu[i] < 0 || cfg->cpu[i] >= CPU_SETSIZE ||
                !CPU_ISSET(cfg->cpu[i], &set))
                return err_set(err, "--cpus: CPU %d is not available to "
                                    "this process", cfg->cpu[i]);
        cpu[0] = cfg->cpu[0];
        cpu[1] = cfg->cpu[1];
        return 0;
    }
    for (int i = 0; i < CPU_SETSIZE && second < 0; i++)
        if (CPU_ISSET(i, &set)) {
            if (first < 0)
                first = i;
            else
                second = i;
        }
    if (first < 0)
        return err_set(err, "no CPU available");
    if (cfg->placement == PLACE_SPREAD && second < 0)
        return err_set(err, "--placement spread needs two CPUs; this "
                            "process may use only CPU %d", first);
    cpu[0] = first;                             /* producer */
    cpu[1] = cfg->placement == PLACE_SAME ? first : second;
    return 0;
}

int placement_pin(int cpu, char *err)
{
    cpu_set_t set;

    if (cpu < 0)
        return 0;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) == -1)
        return err_sys(err, "sched_setaffinity");
    return 0;
}
