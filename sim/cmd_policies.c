/* kvtwin policies: placeholder until the kv work lands. */
#include <stdio.h>

#include "sim/cli.h"

static int cmd_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kvtwin policies: not built yet\n");
    return KVT_EXIT_FAIL;
}

const kvt_cmd_t kvt_cmd_policies = {
    .name = "policies",
    .summary = "(not built yet)",
    .usage = "usage: kvtwin policies\n",
    .main = cmd_main,
};
