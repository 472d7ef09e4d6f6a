/* kvtwin entry point: dispatches to the commands of sim/commands.c, handles `help` and `--version`.
 * SimGrid is initialised only inside the commands that simulate (it would consume --help). */
#include <stdio.h>
#include <string.h>

#include "sim/base/version.h"
#include "sim/cli/cli.h"

static void print_overview(FILE *out)
{
    fprintf(out,
            "kvtwin %s - digital twin of an LLM inference pod with a tiered KV cache\n"
            "(G1 HBM, G2 host DRAM, G3 local NVMe, G3.5 ICMS pod flash, G4 shared storage)\n\n"
            "usage: kvtwin COMMAND [ARGS...]\n"
            "       kvtwin help [COMMAND]\n"
            "       kvtwin --version\n\ncommands:\n",
            KVTWIN_VERSION);
    for (const kvt_cmd_t *const *c = kvt_commands; *c; c++)
        fprintf(out, "  %-12s %s\n", (*c)->name, (*c)->summary);
    fprintf(out,
            "\nEvery command takes --help. Exit codes: 0 success, 1 simulation failure, 2 usage or input error.\n");
}

static int cmd_help_main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stdout);
        return KVT_EXIT_OK;
    }
    const kvt_cmd_t *cmd = kvt_find_command(argv[1]);
    if (!cmd)
        return cli_usage_error("help", "unknown command \"%s\"", argv[1]);
    cli_print_usage(cmd, stdout);
    return KVT_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return KVT_EXIT_INPUT;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        kvt_print_version(stdout);
        return KVT_EXIT_OK;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_overview(stdout);
        return KVT_EXIT_OK;
    }
    if (strcmp(name, "help") == 0)
        return cmd_help_main(argc - 1, argv + 1);
    const kvt_cmd_t *cmd = kvt_find_command(name);
    if (!cmd) {
        fprintf(stderr, "kvtwin: unknown command \"%s\" (see kvtwin help)\n", name);
        return KVT_EXIT_INPUT;
    }
    if (cli_wants_help(argc - 1, argv + 1)) {
        cli_print_usage(cmd, stdout);
        return KVT_EXIT_OK;
    }
    return cmd->main(argc - 1, argv + 1);
}
