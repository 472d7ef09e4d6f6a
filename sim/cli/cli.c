/* Command-line helpers shared by the commands; see cli.h. */
#define _POSIX_C_SOURCE 200809L
#include "sim/cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const kvt_cmd_t *kvt_find_command(const char *name)
{
    for (const kvt_cmd_t *const *c = kvt_commands; *c; c++)
        if (strcmp((*c)->name, name) == 0)
            return *c;
    return NULL;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

void cli_print_usage(const kvt_cmd_t *cmd, FILE *out)
{
    fprintf(out, "%s", cmd->usage);
    if (cmd->more_help)
        cmd->more_help(out);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kvtwin %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see kvtwin help %s)\n", cmd);
    va_end(ap);
    return KVT_EXIT_INPUT;
}

int cli_input_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kvtwin: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return KVT_EXIT_INPUT;
}

void cli_split_simgrid_args(int *argc, char **argv, int *sg_argc, char **sg_argv)
{
    int keep = 1, sg = 1;
    sg_argv[0] = argv[0];
    for (int i = 1; i < *argc; i++) {
        if (strncmp(argv[i], "--cfg=", 6) == 0 || strncmp(argv[i], "--log=", 6) == 0)
            sg_argv[sg++] = argv[i];
        else
            argv[keep++] = argv[i];
    }
    argv[keep] = NULL;
    sg_argv[sg] = NULL;
    *argc = keep;
    *sg_argc = sg;
}

int cli_parse_u64(const char *text, unsigned long long *out)
{
    if (!text || !*text || *text == '-')
        return -1;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end)
        return -1;
    *out = v;
    return 0;
}

int cli_self_exe(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return 0;
}
