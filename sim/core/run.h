/* One timed simulation of a scenario, from setup to results: platform XML, KV manager, step-time model,
 * workload source, the actors, SimGrid's run, then summary.json, run.h5, scenario.json and the platform
 * in the results folder (written whole or not at all). One run per process: SimGrid cannot restart. */
#ifndef KVTWIN_RUN_H
#define KVTWIN_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/config/scenario.h"

typedef struct run_opts {
    const char *out_dir; /* overrides scenario output.dir; NULL = scenario's or results/<name> */
    bool quiet;          /* no table on stdout, no progress line */
    bool force;          /* replace the results path even if it is not a kvtwin results folder */
    int sg_argc;         /* SimGrid's own options (--cfg=, --log=) */
    char **sg_argv;
} run_opts_t;

/* Runs the scenario; returns an exit code (0, 1 simulation failure, 2 input error) with a one-line
 * message in err when not 0. */
int run_scenario(scenario_t *sc, const run_opts_t *opts, char *err, size_t errlen);

#endif
