/* registry.c - the transports and options linked into this program.
 *
 * TRANSPORT_REGISTER() puts a pointer into the "ipclab_tp" section; the
 * linker provides __start_/__stop_ symbols around each section.  They are
 * weak so a program with no options (or, in a test, no transports) links. */
#include <string.h>

#include "command.h"
#include "transport.h"

extern const struct transport *const __start_ipclab_tp[] __attribute__((weak));
extern const struct transport *const __stop_ipclab_tp[] __attribute__((weak));
extern const struct tp_option *const __start_ipclab_opt[] __attribute__((weak));
extern const struct tp_option *const __stop_ipclab_opt[] __attribute__((weak));
extern const struct ipclab_command *const __start_ipclab_cmd[]
    __attribute__((weak));
extern const struct ipclab_command *const __stop_ipclab_cmd[]
    __attribute__((weak));

const struct transport *const *transports_begin(void)
{
    return __start_ipclab_tp;
}

size_t transports_count(void)
{
    if (__start_ipclab_tp == NULL)
        return 0;
    return (size_t)(__stop_ipclab_tp - __start_ipclab_tp);
}

const struct transport *transport_find(const char *name)
{
    const struct transport *const *t = transports_begin();

    for (size_t i = 0; i < transports_count(); i++)
        if (strcmp(t[i]->name, name) == 0)
            return t[i];
    return NULL;
}

const struct tp_option *const *tp_options_begin(void)
{
    return __start_ipclab_opt;
}

size_t tp_options_count(void)
{
    if (__start_ipclab_opt == NULL)
        return 0;
    return (size_t)(__stop_ipclab_opt - __start_ipclab_opt);
}

const char *tp_family_name(enum tp_family family)
{
    switch (family) {
    case TP_IPC: return "ipc";
    case TP_NET: return "net";
    case TP_SIGNALS: return "signals";
    case TP_LIMIT: return "limit";
    }
    return "?";
}

const struct ipclab_command *const *commands_begin(void)
{
    return __start_ipclab_cmd;
}

size_t commands_count(void)
{
    if (__start_ipclab_cmd == NULL)
        return 0;
    return (size_t)(__stop_ipclab_cmd - __start_ipclab_cmd);
}

const struct ipclab_command *command_find(const char *name)
{
    const struct ipclab_command *const *c = commands_begin();

    for (size_t i = 0; i < commands_count(); i++)
        if (strcmp(c[i]->name, name) == 0)
            return c[i];
    return NULL;
}
