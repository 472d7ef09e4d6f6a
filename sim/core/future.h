/* The trace's future order for offline eviction policies (Belady) in timed runs.
 *
 * Before the run, the workload is read once more in open loop (sessions merged by their recorded times: the
 * trace's own order) and the oracle pass (sim/kv/oracle.h) numbers each block reference's next reference in
 * that order. A request of the timed run finds its row by (session, turn), or by its sequence number when it
 * has no session, so the order is known in open and closed loop alike even when the simulated times shift
 * from the recorded ones; a closed-loop run that serves requests out of the recorded order makes Belady an
 * approximation of the optimum there (documented in docs/policies.md). Memory: 8 bytes per block reference
 * plus 16 per request. */
#ifndef KVTWIN_CORE_FUTURE_H
#define KVTWIN_CORE_FUTURE_H

#include <stdint.h>

#include "sim/core/pod.h"

/* Builds p->future when an enabled tier's policy needs next uses (NULL otherwise). 0, or -1 with err. */
int future_build(pod_t *p, char *err, size_t errlen);

/* The next uses of the request's n_blocks blocks, or NULL if the pre-pass did not see the request. */
const uint64_t *future_next_use(const future_t *f, const wl_request_t *w, uint32_t n_blocks);

void future_free(future_t *f);

#endif
