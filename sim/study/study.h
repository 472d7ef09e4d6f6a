/* Studies: configurations of one scenario simulated side by side.
 *
 * A study file names a base scenario, a list of variants (each a set of overrides, JSON path -> value, as
 * --set takes them) and/or axes (a grid: cartesian product of the axes, an axis moving one path or several
 * zipped together), seeds as replicates, and quantities held equal across the configurations. Every run (a
 * configuration at one seed) is its own `kvtwin run` process (SimGrid allows one simulation per process),
 * locally up to one per core at a time or as a Slurm job array, into a study folder that records each run
 * by the hash of its resolved scenario: rerunning skips what is complete, and --collect rebuilds the table
 * and plots from whatever is. The study prints the main metrics side by side (replicates: mean and 95 %
 * interval) with each configuration's ratio to the baseline, and writes study.json, comparison.txt,
 * comparison.csv and gnuplot plots (TTFT distribution, output throughput over time). */
#ifndef KVTWIN_STUDY_H
#define KVTWIN_STUDY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct study_opts {
    const char *out_dir;     /* NULL = results/<study name> */
    const char *const *sets; /* --set applied to every variant */
    int nsets;
    long long seed; /* >= 0 replaces the scenarios' seed */
    bool quiet;
    int jobs;                /* variants run at once; 0 = number of cores */
    const char *self_exe;    /* the kvtwin binary to run variants with */
    bool check_only;         /* validate the study and every variant's scenario, run nothing */
    bool force;              /* replace the results path even if it is not a kvtwin results folder */
    bool fresh;              /* redo every run, even those complete in the study folder */
    const char *collect_dir; /* rebuild the outputs of this study folder, run nothing */
    bool slurm;              /* submit the pending runs as a Slurm job array */
    const char *partition;   /* Slurm partition, or NULL */
    int array_max;           /* at most this many tasks at once (0 = no limit) */
    bool no_wait;            /* submit and return; collect later */
    double poll_s;           /* how often to poll squeue (0 = 2 s) */
} study_opts_t;

/* Runs the study file; returns an exit code with a one-line message in err when not 0. */
int study_run(const char *path, const study_opts_t *opts, char *err, size_t errlen);

/* One run of a study folder, by name, as a Slurm task runs it: replaces this process by `kvtwin run` (returns
 * only on error). */
int study_task(const char *dir, const char *run, const char *self_exe, char *err, size_t errlen);

#endif
