/* The planner (deployment.disagg.planner; issue 12), after Dynamo's SLA planner: one actor that every
 * interval_s compares the mean TTFT and TPOT of the requests completed since its last look with their
 * targets and moves at most one instance between the prefill and decode pools: decode -> prefill when TTFT
 * misses its target by more (relative to it) than TPOT does, prefill -> decode in the opposite case; nothing
 * when both are met, when no request completed, while a switch is in progress, and for one interval after
 * one (its effect must show before the next decision). A moving instance is the pool boundary's (the pools
 * stay index ranges: prefill [0, P), decode [P, N)) and takes no new work of either pool for switch_s; each
 * pool keeps one instance at least. Every decision goes to run.h5 /timeseries (planner_moves, and the pool
 * size prefill_instances) and the summary. */
#ifndef KVTWIN_PLANNER_H
#define KVTWIN_PLANNER_H

#include "sim/core/pod.h"

/* Starts the planner's actor on host (when deployment.disagg.planner.enabled). */
void planner_start(pod_t *p, sgb_host_t *host);

#endif
