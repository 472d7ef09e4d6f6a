/* kvtwin hw: placeholder until the models work lands. */
#include <stdio.h>

#include "sim/cli.h"

static int cmd_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kvtwin hw: not built yet\n");
    return KVT_EXIT_FAIL;
}

const kvt_cmd_t kvt_cmd_hw = {
    .name = "hw",
    .summary = "(not built yet)",
    .usage = "usage: kvtwin hw\n",
    .main = cmd_main,
};
