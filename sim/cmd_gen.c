/* kvtwin gen: placeholder until the workloads work lands. */
#include <stdio.h>

#include "sim/cli.h"

static int cmd_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kvtwin gen: not built yet\n");
    return KVT_EXIT_FAIL;
}

const kvt_cmd_t kvt_cmd_gen = {
    .name = "gen",
    .summary = "(not built yet)",
    .usage = "usage: kvtwin gen\n",
    .main = cmd_main,
};
