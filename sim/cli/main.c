/* kvtwin entry point: dispatches to the commands of sim/commands.c, handles `help` and `--version`.
 * SimGrid is initialised only inside the commands that simulate (it would consume --help). */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* glibc backs the heap with transparent huge pages only when told so at start-up (the glibc.malloc.hugetlb
 * tunable), and Debian leaves huge pages to madvise. A pod's KV stores and requests spread over gigabytes
 * and are reached at random, so with 4 KiB pages most of those reads also miss the TLB: the heavy pod's
 * 20 simulated minutes take 10-12 % less CPU with the tunable, for 3 % more peak memory, and give the same
 * bytes (docs/performance.md, "Huge pages"). kvtwin therefore restarts itself once with the tunable set,
 * unless GLIBC_TUNABLES is already set (glibc.malloc.hugetlb=0 turns it off), it runs under valgrind (whose
 * tools would not follow the exec) or under a sanitizer (which has its own allocator). If the exec fails,
 * kvtwin goes on as it is. */
static void reexec_with_huge_pages(char **argv)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)argv;
    return;
#else
    const char *preload = getenv("LD_PRELOAD");
    char self[4096];
    if (getenv("GLIBC_TUNABLES") || (preload && strstr(preload, "vgpreload")) || cli_self_exe(self, sizeof self))
        return;
    if (setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1) != 0)
        return;
    execv(self, argv); /* the binary's own path, so that ps and top still name it kvtwin */
    unsetenv("GLIBC_TUNABLES");
#endif
}

int main(int argc, char **argv)
{
    reexec_with_huge_pages(argv);
    if (argc < 2) {
        print_overview(stderr);
        return KVT_EXIT_INPUT;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        kvt_print_version(stdout);
        const char *tunables = getenv("GLIBC_TUNABLES");
        printf("heap: GLIBC_TUNABLES=%s\n", tunables ? tunables : "(unset)");
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
