/* Fault injection, the KV side (issue 13, item 3, first part): what a failed ICMS enclosure takes with it.
 * Not yet done: the scenario's fault list and its actor, failing transfers in flight, routing around the
 * failed part, the cost in the summary (see docs/storage-path.md). */
#ifndef KVTWIN_FAULTS_H
#define KVTWIN_FAULTS_H

#include <stdint.h>

#include "sim/kv/kv.h"

/* Drops from G3.5 every block that enclosure `enc` of n_enc holds under the stripe width (the per-block map
 * of storage_path.h); returns the blocks lost. Blocks being read for a promotion (pinned) stay. */
uint64_t faults_lose_enclosure(kv_mgr_t *kv, uint32_t enc, uint32_t n_enc, uint32_t stripe_width);

#endif
