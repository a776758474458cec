/* test_stream.c - pipe and socketpair/stream move every byte, in order, in
 * both modes, at the awkward sizes. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <limits.h>

#include "test_util.h"

ParameterizedTestParameters(stream, moves_every_byte_in_order)
{
    static struct tu_move_case cases[] = {
        { "pipe", 1 }, { "pipe", 4095 }, { "pipe", PIPE_BUF + 1 },
        { "pipe", 65536 + 1 }, { "pipe", 1 << 20 },
        { "socketpair/stream", 1 }, { "socketpair/stream", 4095 },
        { "socketpair/stream", PIPE_BUF + 1 },
        { "socketpair/stream", 65536 + 1 },
        { "socketpair/stream", 1 << 20 },
    };
    return cr_make_param_array(struct tu_move_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct tu_move_case *c, stream, moves_every_byte_in_order,
                  .timeout = 60)
{
    tu_assert_moves_every_byte(c->transport, c->size);
}
