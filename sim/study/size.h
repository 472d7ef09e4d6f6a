/* SLO sizing (kvtwin size, or a study file's "search" block): over a study's configurations, (a) the
 * largest load each sustains under TTFT/TPOT SLOs, by bisection, or (b) the cheapest meeting them at a given
 * load, trying configurations in order of capex and pruning those that cannot be cheaper; with the frontier
 * (cost against TTFT p99, tokens/s per GPU against tokens/s per user) as a Pareto plot. */
#ifndef KVTWIN_SIZE_H
#define KVTWIN_SIZE_H

#include <stddef.h>

#include "sim/study/study.h"

/* Runs the sizing of the study file at path (which must have a "search" block); exit code, err when not 0. */
int size_run(const char *path, const study_opts_t *opts, char *err, size_t errlen);

#endif
