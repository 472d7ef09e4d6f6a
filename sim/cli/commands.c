/* The registry of kvtwin commands: one line per command, in the order `kvtwin help` lists them. A command is
 * one file (sim/cli/cmd_NAME.c defining kvt_cmd_NAME) plus one line here. */
#include "sim/cli/cli.h"

#define KVT_COMMAND_LIST                                                                                               \
    C(run)        /* timed pod simulation of one scenario */                                                           \
    C(study)      /* several scenarios side by side (the main job) */                                                  \
    C(compare)    /* eviction x prestage x write combinations against the oracle */                                    \
    C(size)       /* SLO sizing: largest load, cheapest configuration, Pareto frontier */                              \
    C(report)     /* the HTML and Markdown TCO report of a study or run */                                             \
    C(cache)      /* cache-only replay: hit rates per policy and capacity */                                           \
    C(policies)   /* list the policies of every axis and their parameters */                                           \
    C(hw)         /* hardware presets with derived figures */                                                          \
    C(model_time) /* step-time model for given shapes */                                                               \
    C(fit)        /* fit step-time efficiency factors to measurements */                                               \
    C(gen)        /* synthetic agentic workload to the native format */                                                \
    C(trace)      /* trace statistics */                                                                               \
    C(export)     /* run.h5 tables as CSV files */

#define C(n) extern const kvt_cmd_t kvt_cmd_##n;
KVT_COMMAND_LIST
#undef C

#define C(n) &kvt_cmd_##n,
const kvt_cmd_t *const kvt_commands[] = {KVT_COMMAND_LIST NULL};
#undef C
