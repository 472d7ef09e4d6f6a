/* Studies: several variants of one scenario simulated side by side.
 *
 * A study file names a base scenario and a list of variants, each a set of overrides (JSON path -> value,
 * as --set takes them). Every variant runs as its own `kvtwin run` process (SimGrid allows one simulation
 * per process), up to one per core at a time. The study then prints the main metrics side by side with
 * each variant's ratio to the baseline, and writes study.json, comparison.txt and gnuplot plots (TTFT
 * distribution, output throughput over time) next to the variants' own results. */
#ifndef KVTWIN_STUDY_H
#define KVTWIN_STUDY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct study_opts {
    const char *out_dir;     /* NULL = results/<study name> */
    const char *const *sets; /* --set applied to every variant */
    int nsets;
    long long seed;          /* >= 0 replaces the scenarios' seed */
    bool quiet;
    int jobs;                /* variants run at once; 0 = number of cores */
    const char *self_exe;    /* the kvtwin binary to run variants with */
    bool check_only;         /* validate the study and every variant's scenario, run nothing */
    bool force;              /* replace the results path even if it is not a kvtwin results folder */
} study_opts_t;

/* Runs the study file; returns an exit code with a one-line message in err when not 0. */
int study_run(const char *path, const study_opts_t *opts, char *err, size_t errlen);

#endif
