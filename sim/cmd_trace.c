/* kvtwin trace: placeholder until the workloads work lands. */
#include <stdio.h>

#include "sim/cli.h"

static int cmd_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kvtwin trace: not built yet\n");
    return KVT_EXIT_FAIL;
}

const kvt_cmd_t kvt_cmd_trace = {
    .name = "trace",
    .summary = "(not built yet)",
    .usage = "usage: kvtwin trace\n",
    .main = cmd_main,
};
