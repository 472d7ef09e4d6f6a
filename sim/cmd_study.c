/* kvtwin study: placeholder until the core work lands. */
#include <stdio.h>

#include "sim/cli.h"

static int cmd_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kvtwin study: not built yet\n");
    return KVT_EXIT_FAIL;
}

const kvt_cmd_t kvt_cmd_study = {
    .name = "study",
    .summary = "(not built yet)",
    .usage = "usage: kvtwin study\n",
    .main = cmd_main,
};
