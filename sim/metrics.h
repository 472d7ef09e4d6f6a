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

#include "sim/energy.h"
#include "sim/kv/kv.h"
#include "sim/pod.h"

typedef struct req_record {
    uint64_t id;
    uint64_t session;
    uint32_t turn;
    uint32_t instance;
    int32_t outcome; /* req_outcome_t */
    uint32_t input_tokens, output_tokens;
    uint32_t found_tokens;    /* cached prefix found at admission (trace definition) */
    uint32_t reused_tokens;   /* not recomputed */
    uint32_t computed_tokens; /* prefilled by the GPU */
    uint32_t hit_tokens[KV_NTIERS];
    double arrival_s, admit_s, ready_s, first_token_s, done_s;
    double loaded_bytes;
    double ttft_s, tpot_s, e2e_s;
} req_record_t;

/* One time-series interval. */
typedef struct ts_bucket {
    double arrivals, completions;
    double output_tokens, input_tokens;
    double gpu_busy_s, gpu_stall_s; /* summed over instances */
    double gpu_busy_j;
    double load_bytes[KV_NTIERS];   /* loaded into G1, by source tier */
    double writeback_bytes;         /* demotions and write-through */
    double prefetch_bytes;          /* staged ahead of use */
    double transfer_j;
    /* gauges at the interval's end */
    double running, waiting, loading;
    double used_blocks[KV_NTIERS];
} ts_bucket_t;

typedef struct metrics metrics_t;

/* Writer of per-request rows (run.h5); may be NULL. */
typedef void (*metrics_row_fn)(void *ctx, const req_record_t *row);

metrics_t *metrics_create(const pod_t *p, metrics_row_fn row_fn, void *row_ctx);
void metrics_free(metrics_t *m);

void metrics_arrival(metrics_t *m, double t);
/* The request left the system (completed, rejected, or still inside at the end). */
void metrics_request_end(metrics_t *m, const pod_t *p, const sim_req_t *r, int outcome);
/* Tokens processed at time t (output: decoded; input: prefilled or loaded). */
void metrics_tokens(metrics_t *m, double t, double output_tokens, double input_tokens);
/* Instance inst computed from t0 to t1 drawing energy_j (all its GPUs). */
void metrics_gpu_busy(metrics_t *m, uint32_t inst, double t0, double t1, double energy_j);
/* A fast-forwarded decode run of k steps starting at start: step j ends at start + cum_t[j] having drawn
 * cum_e[j] - cum_e[j-1] joules, each step producing tokens_per_step output tokens (cum_t[0] = 0). */
void metrics_decode_steps(metrics_t *m, uint32_t inst, double start, const double *cum_t, const double *cum_e,
                          uint32_t k, double tokens_per_step);
/* Instance inst waited from t0 to t1: stalled on KV transfers, or idle. */
void metrics_gpu_wait(metrics_t *m, uint32_t inst, double t0, double t1, bool stalled);
void metrics_transfer_done(metrics_t *m, int kind, int src_tier, int dst_tier, double bytes,
                           const double *j_per_byte, double t);
/* Gauges at time t. */
void metrics_sample(metrics_t *m, double t, double running, double waiting, double loading,
                    const double used_blocks[KV_NTIERS]);

/* Closes the window at t_final (the run's end). */
void metrics_finish(metrics_t *m, const pod_t *p, double t_final);

/* summary.json content: the metrics with units in their keys (after metrics_finish). */
cJSON *metrics_summary(const metrics_t *m, const pod_t *p);
/* The readable table on stdout, from a summary made by metrics_summary. */
void metrics_print(const cJSON *summary, const pod_t *p, FILE *out);

const ts_bucket_t *metrics_buckets(const metrics_t *m, uint32_t *n, double *interval_s);
/* Power of every class over the run's static part (for the time series). */
double metrics_static_w(const metrics_t *m);
uint64_t metrics_completed(const metrics_t *m);

#define KV_MOVE_KINDS 4 /* kv_move_kind_t */

/* Whole-run totals kept twice, for the conservation check at the end of a run (sim/conserve.h): once as
 * the counters the summary uses, once summed over the time-series buckets or by a second ledger. */
typedef struct metrics_totals {
    uint64_t arrived, completed, rejected, unfinished;
    double tok_input, tok_reused, tok_computed;   /* completed requests */
    double end_output_tokens;                     /* decoded tokens of every request that left */
    double gpu_busy_j;                            /* busy GPU energy as it was credited */
    double transfer_j[EN_CLASSES];                /* transfer energy by class as it was credited */
    double move_bytes[KV_MOVE_KINDS][KV_NTIERS];  /* bytes moved by kind and source tier */
    double bucket_arrivals, bucket_completions, bucket_output_tokens;
    double bucket_gpu_busy_j, bucket_transfer_j;
    double bucket_load_bytes[KV_NTIERS], bucket_writeback_bytes, bucket_prefetch_bytes;
} metrics_totals_t;

void metrics_totals(const metrics_t *m, metrics_totals_t *out);

#endif
