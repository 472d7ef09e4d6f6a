/* Request scheduling policies (routing, admission): what they see of a request. Plain C over views the
 * simulation core fills; no SimGrid, no core types, so that the policies, their registries and their tests
 * sit below the configuration and the core (scripts/check-layers.sh). */
#ifndef KVTWIN_SCHED_H
#define KVTWIN_SCHED_H

#include <stdint.h>

/* A request as a scheduling policy sees it (valid during the call only). Units: tokens, blocks, seconds. */
typedef struct sched_req {
    uint64_t id;
    uint64_t session_id; /* UINT64_MAX: none */
    double arrival_s;
    uint32_t input_tokens;
    uint32_t output_tokens;
    const uint64_t *block_ids; /* n_blocks prefix-chained ids */
    uint32_t n_blocks;
    uint32_t extra_blocks; /* G1 blocks it needs beyond its ids while it runs: output, uncovered input */
    uint32_t input_blocks; /* G1 blocks its input alone fills (ids included) */
} sched_req_t;

#endif
