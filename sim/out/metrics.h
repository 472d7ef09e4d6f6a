/* Metrics of a run, defined once (DESIGN.md "Metrics"): TPS, total tokens/s, TTFT/TPOT/E2E percentiles,
 * hit rates by tier of origin, GPU busy/stall/idle, energy by component class, tokens per joule, goodput.
 * The measured window is [sim.warmup_s, end], end being sim.duration_s when set, else the last completion:
 * tokens and energy count when they happen inside it; latencies count for requests arriving inside it.
 * Time series: counters credited to fixed intervals at the moment they happen (exact, even inside
 * fast-forwarded decode batches), gauges sampled at interval ends. */
#ifndef KVTWIN_METRICS_H
#define KVTWIN_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "sim/config/scenario.h"
#include "sim/kv/kv.h"
#include "sim/out/energy.h"
#include "sim/out/metric_table.h"

/* How a request left the system. */
typedef enum req_outcome { RQ_COMPLETED = 0, RQ_REJECTED, RQ_UNFINISHED } req_outcome_t;

/* Column types of the run.h5 tables: a C type here, an HDF5 type in h5out.c. */
#define MT_CTYPE_U32 uint32_t
#define MT_CTYPE_I32 int32_t
#define MT_CTYPE_U64 uint64_t
#define MT_CTYPE_F64 double
#define MT_N_ONE 1
#define MT_N_TIERS KV_NTIERS

/* One row per request (run.h5 /requests), in this order: X(name, type, ONE or TIERS). The core fills every
 * column but the last three, which metrics_request_end derives. */
/* clang-format off */
#define METRICS_REQUEST_COLUMNS(X)                                                                                 \
    X(id, U64, ONE)                                                                                                \
    X(session, U64, ONE)                                                                                           \
    X(turn, U32, ONE)                                                                                              \
    X(instance, U32, ONE)                                                                                          \
    X(outcome, I32, ONE)          /* req_outcome_t */                                                              \
    X(input_tokens, U32, ONE)                                                                                      \
    X(output_tokens, U32, ONE)                                                                                     \
    X(decoded_tokens, U32, ONE)   /* output tokens produced (all of them when completed) */                        \
    X(found_tokens, U32, ONE)     /* cached prefix found at admission (trace definition) */                        \
    X(reused_tokens, U32, ONE)    /* not recomputed */                                                             \
    X(computed_tokens, U32, ONE)  /* prefilled by the GPU */                                                       \
    X(hit_tokens, U32, TIERS)     /* reused tokens by the tier they came from (metrics_hit_tokens) */              \
    X(arrival_s, F64, ONE)                                                                                         \
    X(admit_s, F64, ONE)                                                                                           \
    X(ready_s, F64, ONE)                                                                                           \
    X(first_token_s, F64, ONE)                                                                                     \
    X(done_s, F64, ONE)                                                                                            \
    X(loaded_bytes, F64, ONE)                                                                                      \
    X(preemptions, U32, ONE)      /* times it was preempted (paged admission) */                                  \
    X(recomputed_tokens, U32, ONE) /* prefilled again because of preemptions */                                   \
    X(preempted_s, F64, ONE)      /* time out of the batch after preemptions */                                   \
    X(swap_bytes, F64, ONE)       /* KV swapped out to G2 (and back in) by preemptions */                         \
    X(ttft_s, F64, ONE)                                                                                            \
    X(tpot_s, F64, ONE)                                                                                            \
    X(e2e_s, F64, ONE)

/* One row per interval (run.h5 /timeseries), in this order: X(name, ONE or TIERS), all doubles. Counters are
 * what happened inside the interval, gauges (running .. used_blocks) are read at its end. */
#define METRICS_TS_COLUMNS(X)                                                                                      \
    X(t_s, ONE)                   /* end of the interval */                                                        \
    X(arrivals, ONE)                                                                                               \
    X(completions, ONE)                                                                                            \
    X(output_tokens, ONE)                                                                                          \
    X(input_tokens, ONE)                                                                                           \
    X(output_tokens_per_s, ONE)                                                                                    \
    X(gpu_busy_fraction, ONE)                                                                                      \
    X(gpu_stall_fraction, ONE)                                                                                     \
    X(compute_utilisation, ONE)   /* achieved FLOP/s over the pod's peak */                                        \
    X(hbm_utilisation, ONE)       /* HBM bytes/s over the pod's peak bandwidth */                                  \
    X(power_it_w, ONE)                                                                                             \
    X(load_bytes, TIERS)          /* loaded into G1, by source tier */                                             \
    X(writeback_bytes, ONE)       /* demotions and write-through */                                                \
    X(prefetch_bytes, ONE)        /* staged ahead of use */                                                        \
    X(preemptions, ONE)                                                                                            \
    X(running, ONE)                                                                                                \
    X(waiting, ONE)                                                                                                \
    X(loading, ONE)                                                                                                \
    X(used_blocks, TIERS)                                                                                          \
    X(prefill_instances, ONE)     /* disaggregation: prefill pool size at the interval's end (0: off) */          \
    X(planner_moves, ONE)         /* planner decisions: +1 per decode->prefill switch, -1 per prefill->decode */ \
    X(failed_bytes, ONE)          /* bytes of transfers a fault failed (sim/core/faults.h) */
/* clang-format on */

typedef struct req_record {
#define MT_REQ_MEMBER(name, type, shape) MT_CTYPE_##type name MT_DIM_##shape;
    METRICS_REQUEST_COLUMNS(MT_REQ_MEMBER)
#undef MT_REQ_MEMBER
} req_record_t;

typedef struct ts_row {
#define MT_TS_MEMBER(name, shape) double name MT_DIM_##shape;
    METRICS_TS_COLUMNS(MT_TS_MEMBER)
#undef MT_TS_MEMBER
} ts_row_t;

/* What the metrics need to know of the run, filled by the core. */
typedef struct metrics_cfg {
    const scenario_t *sc; /* borrowed: window, interval, SLOs, PUE, the hardware for the cost model, names */
    uint32_t n_inst;      /* model instances */
    uint32_t inst_gpus;   /* GPUs per instance */
    double gpu_idle_w;    /* one GPU, idle (the mean over the instances' GPUs with per-pool hardware) */
    uint32_t gpus;        /* GPUs of all instances; 0 = n_inst x inst_gpus */
    double peak_flop_s;   /* peak compute and HBM bandwidth of all instances; 0 = from hardware.gpu */
    double peak_hbm_byte_s;
    double engine_cpu_w;  /* host CPU power the engine adds per iterating instance (all its GPUs' cores) */
    en_static_t static_w; /* static power of every class over the pod */
    /* The MLPerf Power boundary: the compute nodes as wall power measures them (GPUs, CPUs, DRAM, host links,
     * NICs, front-end DPUs, local NVMe, NVLink switches inside the node, fans and conversion); the fabric's
     * switches and optics, ICMS and G4 are outside. nodes: compute nodes the run powers; node_switch_w: the
     * part of static_w.w[EN_SWITCH] that is the nodes' NVLink switches. */
    double nodes;
    double node_switch_w;
} metrics_cfg_t;

typedef struct metrics metrics_t;

/* Writer of per-request rows (run.h5); may be NULL. */
typedef void (*metrics_row_fn)(void *ctx, const req_record_t *row);

metrics_t *metrics_create(const metrics_cfg_t *cfg, metrics_row_fn row_fn, void *row_ctx);
void metrics_free(metrics_t *m);

/* Reused tokens of a request by the tier they come from (the hit rate by tier of origin): block u of the
 * reused run [0, use) counts block_tokens for tier_of[u], the fastest tier the lookup found it in; the
 * tokens of that run not reused (the prompt's last token is always computed) are taken from the fastest
 * tiers first. */
void metrics_hit_tokens(const uint8_t *tier_of, uint32_t use, uint32_t block_tokens, uint32_t reused_tokens,
                        uint32_t out[KV_NTIERS]);

void metrics_arrival(metrics_t *m, double t);
/* The request left the system (completed, rejected, or still inside at the end). rec holds every column but
 * ttft_s, tpot_s and e2e_s, which are derived here. */
void metrics_request_end(metrics_t *m, const req_record_t *rec);
/* Tokens processed at time t (output: decoded; input: prefilled or loaded). */
void metrics_tokens(metrics_t *m, double t, double output_tokens, double input_tokens);
/* Instance inst computed from t0 to t1 drawing energy_j (all its GPUs). */
void metrics_gpu_busy(metrics_t *m, uint32_t inst, double t0, double t1, double energy_j);
/* A fast-forwarded decode run of k steps starting at start: step j ends at start + cum_t[j] having drawn
 * cum_e[j] - cum_e[j-1] joules, each step producing tokens_per_step output tokens (cum_t[0] = 0). */
void metrics_decode_steps(metrics_t *m, uint32_t inst, double start, const double *cum_t, const double *cum_e,
                          uint32_t k, double tokens_per_step);
/* Instance inst computed flops and moved hbm_bytes (whole instance) between t0 and t1: the utilisation
 * figures. Called beside metrics_gpu_busy / metrics_decode_steps for the same span. */
void metrics_gpu_work(metrics_t *m, uint32_t inst, double t0, double t1, double flops, double hbm_bytes);
/* A running request was preempted at t (swapped out to G2, or dropped for recompute). */
void metrics_preemption(metrics_t *m, double t, bool swap);
/* Instance inst waited from t0 to t1: stalled on KV transfers, or idle. */
void metrics_gpu_wait(metrics_t *m, uint32_t inst, double t0, double t1, bool stalled);
void metrics_transfer_done(metrics_t *m, int kind, int src_tier, int dst_tier, double bytes, const double *j_per_byte,
                           double t);
/* A transfer of `bytes` failed at t (a fault on its path). */
void metrics_transfer_failed(metrics_t *m, double t, double bytes);
/* Gauges at time t. */
void metrics_sample(metrics_t *m, double t, double running, double waiting, double loading,
                    const double used_blocks[KV_NTIERS]);

/* Disaggregation: the prefill pool's size at t (a gauge), and a planner decision at t (+1: an instance moved
 * from decode to prefill, -1: the other way). */
void metrics_pool(metrics_t *m, double t, double prefill_instances);
void metrics_planner_move(metrics_t *m, double t, int delta);

/* Closes the window at t_final (the run's end). */
void metrics_finish(metrics_t *m, double t_final);

/* Every figure of the metric table (after metrics_finish). */
void metrics_values(const metrics_t *m, mt_values_t *v);
/* summary.json content: versions, seed, resolved scenario, then the metric table (after metrics_finish). */
cJSON *metrics_summary(const metrics_t *m);
/* The readable table on stdout, from a summary made by metrics_summary. */
void metrics_print(const metrics_t *m, const cJSON *summary, FILE *out);

/* The time series: how many intervals, and row i of it. */
uint32_t metrics_ts_rows(const metrics_t *m, double *interval_s);
void metrics_ts_row(const metrics_t *m, uint32_t i, ts_row_t *out);
uint64_t metrics_completed(const metrics_t *m);

/* One instance over the measured window (run.h5's instances table): the shares of its time computing, stalled
 * on KV and idle, and its achieved FLOPs and HBM bytes over its GPUs' peak. The pod-wide figures of the summary
 * are the means over instances. */
typedef struct inst_row {
    uint32_t instance;
    double busy, stall, idle;
    double compute_utilisation, hbm_utilisation;
} inst_row_t;
uint32_t metrics_instances(const metrics_t *m);
void metrics_instance(const metrics_t *m, uint32_t inst, inst_row_t *r);

#define KV_MOVE_KINDS 4 /* kv_move_kind_t */

/* Whole-run totals kept twice, for the conservation check at the end of a run (sim/core/conserve.h): once as
 * the counters the summary uses, once summed over the time-series buckets or by a second ledger. */
typedef struct metrics_totals {
    uint64_t arrived, completed, rejected, unfinished;
    double tok_input, tok_reused, tok_computed;  /* completed requests */
    double end_output_tokens;                    /* decoded tokens of every request that left */
    double gpu_busy_j;                           /* busy GPU energy as it was credited */
    double transfer_j[EN_CLASSES];               /* transfer energy by class as it was credited */
    double move_bytes[KV_MOVE_KINDS][KV_NTIERS]; /* bytes moved by kind and source tier */
    double bucket_arrivals, bucket_completions, bucket_output_tokens;
    double bucket_gpu_busy_j, bucket_transfer_j;
    double bucket_load_bytes[KV_NTIERS], bucket_writeback_bytes, bucket_prefetch_bytes;
} metrics_totals_t;

void metrics_totals(const metrics_t *m, metrics_totals_t *out);

#endif
