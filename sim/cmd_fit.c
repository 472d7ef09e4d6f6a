/* kvtwin fit: placeholder until the models work lands. */
#include <stdio.h>

#include "sim/cli.h"

static int cmd_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kvtwin fit: not built yet\n");
    return KVT_EXIT_FAIL;
}

const kvt_cmd_t kvt_cmd_fit = {
    .name = "fit",
    .summary = "(not built yet)",
    .usage = "usage: kvtwin fit\n",
    .main = cmd_main,
};
