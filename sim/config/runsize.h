/* Sizes of a run before anything is allocated: counts that multiply (nodes x GPUs, instances x workers)
 * are computed in floating point, so nothing overflows, and a pod whose simulation would need more memory
 * than the machine has is refused with the file:line of the key that sized it. */
#ifndef KVTWIN_RUNSIZE_H
#define KVTWIN_RUNSIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/config/scenario.h"

/* Memory the run's platform, actors and per-instance state need, in bytes (an estimate from below). */
double run_size_estimate_bytes(const scenario_t *sc);

/* Physical memory of this machine (or the address-space limit, if lower), in bytes; 0 if unknown. */
double run_size_machine_bytes(void);

/* Memory mappings a process may hold (Linux vm.max_map_count); 0 if unknown. SimGrid gives every actor's
 * stack a guard page, which costs two mappings per actor. */
double run_size_max_mappings(void);

/* 0, or -1 with "FILE:LINE:COL: hardware.nodes: ..." in err when the run cannot fit. guard_pages: SimGrid
 * protects actor stacks (its default; --cfg=contexts/guard-size:0 turns it off). */
int run_size_check(const scenario_t *sc, bool guard_pages, char *err, size_t errlen);

#endif
