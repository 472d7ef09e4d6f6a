/* Cache-only replay: a trace held in memory, pushed through the KV manager with no timing, to measure hit
 * rates per tier for a policy and a capacity. By default one instance, one domain: every request meets the
 * same tier stack; with n_instances > 1 a router (route.h) sends each request to one instance, each with its
 * own G1 (and its domain's G2/G3), the pod-wide tiers (G3.5, G4) shared behind them.
 *
 * Two ways of counting (kv_count_t):
 *  - prefix (default, kvtwin's semantics): each request does what the timed engine would: lookup, admit the
 *    cached prefix (promoting it to G1), commit all its blocks, release. A request larger than G1 counts its
 *    hits but caches nothing. Hit tokens of a request = min(prefix x block_tokens, input_tokens)
 *    (VALIDATION.md's definition); the clamped part is taken from the tier of the last hit block.
 *  - blocks (general cache simulators' convention): every block reference is an access of its own, in trace
 *    order, hit if the block is cached anywhere on the path whatever happened to the blocks before it; each
 *    is replayed as a one-block request. A hit block is worth its tokens: block_tokens, the last block of a
 *    request the remainder of input_tokens (0 past the input), so prefix and block counting agree on
 *    requests of one block. */
#ifndef KVTWIN_KV_REPLAY_H
#define KVTWIN_KV_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/kv/kv.h"

typedef struct kv_trace {
    uint64_t nreq;
    uint64_t *off; /* nreq + 1 offsets into ids */
    uint64_t *ids; /* every block reference, in trace order */
    uint32_t *input_tokens;
    uint32_t *block_tokens;
    uint64_t *session;  /* UINT64_MAX: none */
    double *t_s;        /* arrival time */
    uint8_t *last_turn; /* 1: the session's last request (filled by kv_trace_finish) */
    uint8_t *depth;     /* 0: a main agent (or no session), 1: a sub-agent, ... (saturates at 255) */
    uint64_t *next_use; /* per reference (kv_trace_oracle), or NULL */
    uint64_t cap_req, cap_ids;
} kv_trace_t;

void kv_trace_init(kv_trace_t *t);
void kv_trace_free(kv_trace_t *t);
/* Appends one request (ids copied). */
void kv_trace_add(kv_trace_t *t, const uint64_t *ids, uint32_t n, uint32_t input_tokens, uint32_t block_tokens,
                  uint64_t session, double t_s);
/* Sets the agent depth of the request added last (kv_trace_add makes it 0). */
void kv_trace_set_depth(kv_trace_t *t, uint32_t depth);
/* Marks each session's last request (sessions then end in the manager after it: selective writes). */
void kv_trace_finish(kv_trace_t *t);
/* Computes next_use for every reference (Belady). Returns the seconds it took. */
double kv_trace_oracle(kv_trace_t *t);
/* Distinct block ids of the trace. */
uint64_t kv_trace_distinct(const kv_trace_t *t);

typedef enum kv_count { KV_COUNT_PREFIX = 0, KV_COUNT_BLOCKS } kv_count_t;

/* "prefix", "blocks"; and back (-1: unknown). */
const char *kv_count_name(int count);
int kv_count_find(const char *name);

typedef struct kv_replay_opts {
    double cost_knee_tokens; /* cost-aware proxy: per-block recompute cost = 1 + (input / 2) / knee */
    uint32_t *hit_tokens;    /* if not NULL: filled with each request's hit tokens (nreq entries) */
    int count;               /* kv_count_t */
    uint32_t n_instances;    /* 0 or 1: one instance */
    uint32_t n_domains;      /* G2/G3 instances, instance i in domain i % n_domains; 0: one per instance */
    int route;               /* kv_route_t (route.h), used when n_instances > 1 */
    uint64_t route_seed;     /* the random router's seed */
    uint64_t *inst_hit_tokens, *inst_input_tokens; /* if not NULL: per instance (n_instances entries) */
} kv_replay_opts_t;

typedef struct kv_replay_result {
    uint64_t requests;
    uint64_t block_refs; /* blocks looked up */
    uint64_t hit_blocks; /* blocks of the hit prefixes */
    uint64_t input_tokens;
    uint64_t hit_tokens;
    uint64_t hit_tokens_tier[KV_NTIERS];
    double req_hit_sum; /* sum over requests of hit / input */
    double req_hit_sum_tier[KV_NTIERS];
    uint64_t too_big; /* requests larger than G1: looked up, not cached */
    uint32_t n_instances;
    double load_imbalance; /* most input tokens routed to one instance / the mean (1: balanced) */
    kv_tier_stats_t tier[KV_NTIERS];
    size_t mem_bytes[KV_NTIERS]; /* metadata held at the end */
    double wall_s;               /* replay time, trace loading excluded */
} kv_replay_result_t;

/* Replays the trace through a manager built from cfg (its n_instances, n_domains and domain map are set
 * here, from opts: one of each by default). Capacities are per tier instance (each G1 holds cfg's G1
 * capacity). Policies needing the future require kv_trace_oracle first. 0, or -1 with err. */
int kv_replay_run(const kv_trace_t *t, const kv_cfg_t *cfg, const kv_replay_opts_t *opts, kv_replay_result_t *out,
                  char *err, size_t errlen);

#endif
