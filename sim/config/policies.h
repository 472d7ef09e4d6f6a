/* Every policy axis of kvtwin, in the order `kvtwin policies` and docs/policies.md show them: eviction,
 * write, fetch-or-recompute, prefetch, admission, routing. Each is a registry of plug-ins (sim/base/plugin.h)
 * living with the code that consults it: sim/kv (eviction, write, fetch, prefetch) and sim/sched (admission,
 * routing). A new axis is one more line here. */
#ifndef KVTWIN_CONFIG_POLICIES_H
#define KVTWIN_CONFIG_POLICIES_H

#include <stddef.h>

#include "sim/base/plugin.h"

size_t cfg_policy_axis_count(void);
const plugin_axis_t *cfg_policy_axis_at(size_t i);

#endif
