/* The kvtwin command line: one command per file (sim/cmd_*.c), listed once in sim/commands.c.
 * Exit codes: 0 success, 1 simulation failure, 2 usage or input error. */
#ifndef KVTWIN_CLI_H
#define KVTWIN_CLI_H

#include <stdbool.h>
#include <stdio.h>

enum { KVT_EXIT_OK = 0, KVT_EXIT_FAIL = 1, KVT_EXIT_INPUT = 2 };

typedef struct kvt_cmd {
    const char *name;
    const char *summary; /* one line for `kvtwin help` */
    const char *usage;   /* full help text printed by `kvtwin help NAME` and `NAME --help` */
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

/* Parses a non-negative integer option value; returns -1 on junk. */
int cli_parse_u64(const char *text, unsigned long long *out);

/* A progress line on stderr, redrawn in place, shown only when stderr is a terminal and not quiet. */
typedef struct cli_progress {
    bool enabled;
    double last_wall_s;
    double start_wall_s;
} cli_progress_t;

void cli_progress_init(cli_progress_t *p, bool quiet);
/* fraction in [0, 1] (or < 0 if unknown) drives the ETA; text is the rest of the line. */
void cli_progress_update(cli_progress_t *p, double fraction, const char *text);
void cli_progress_done(cli_progress_t *p);

/* Monotonic wall-clock seconds, for progress and benchmarks (never for simulated time or seeds). */
double cli_wall_s(void);

#endif
