/* The kvtwin command line: one command per file (sim/cmd_*.c), listed once in sim/commands.c.
 * Exit codes: 0 success, 1 simulation failure, 2 usage or input error. */
#ifndef KVTWIN_CLI_H
#define KVTWIN_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/base/exitcodes.h"

typedef struct kvt_cmd {
    const char *name;
    const char *summary;                /* one line for `kvtwin help` */
    const char *usage;                  /* full help text printed by `kvtwin help NAME` and `NAME --help` */
    int (*main)(int argc, char **argv); /* argv[0] is the command name; returns an exit code */
    void (*more_help)(FILE *out);       /* optional: printed after usage (reference tables) */
} kvt_cmd_t;

/* NULL-terminated list of every command (sim/commands.c). */
extern const kvt_cmd_t *const kvt_commands[];

const kvt_cmd_t *kvt_find_command(const char *name);

/* True if argv holds -h or --help (before any "--"). */
bool cli_wants_help(int argc, char **argv);

/* Prints the command's usage to out. */
void cli_print_usage(const kvt_cmd_t *cmd, FILE *out);

/* Reports a usage error on one line ("kvtwin CMD: msg (see kvtwin help CMD)") and returns KVT_EXIT_INPUT. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports an input error on one line ("kvtwin: msg") and returns KVT_EXIT_INPUT. */
int cli_input_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Moves SimGrid's own options (--cfg=..., --log=...) out of argv into sg_argv (sg_argv[0] = argv[0]);
 * both arrays stay NULL-terminated. sg_argv must hold argc + 1 entries. */
void cli_split_simgrid_args(int *argc, char **argv, int *sg_argc, char **sg_argv);

/* The path of the running kvtwin binary (studies run their runs with it); -1 if it cannot be found. */
int cli_self_exe(char *buf, size_t len);

/* Parses a non-negative integer option value; returns -1 on junk. */
int cli_parse_u64(const char *text, unsigned long long *out);

#endif
