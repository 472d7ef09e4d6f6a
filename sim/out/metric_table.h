/* The metric table: every figure of summary.json defined once, in the order summary.json lists them. One row
 * drives the summary key, its place in the stdout table (metrics_print) and in the study comparison
 * (sim/study), and names the run.h5 column that holds its time series or per-request values, if any.
 *
 * Adding a metric: one row below, a value computed for it in metrics_values (sim/out/metrics.c), which fills
 * the member of mt_values_t that the row declares. A row is
 *
 *     M(member, each, "summary.path", .unit = "...", optional designated initializers of mt_row_t)
 *
 * member: the mt_values_t member holding the value (a double, or one per tier / energy class);
 * each: ONE, TIERS (one key per tier below the path, named as kv_tier_name spells it) or CLASSES (one per
 *   energy class, named as en_class_name spells it);
 * .unit: the unit as the key spells it ("s", "j", "w", "bytes", "usd", "per_s", "per_joule", "tokens",
 *   "requests"; "" for fractions and ratios): the key or one of its parents carries it (DESIGN.md: units in
 *   names), which tests/check_metrics.c checks;
 * .div: shown as value / div on stdout and in the study table (kW from W); 0 = as is;
 * .study = {order, decimals, label}: a row of the study table, sorted by order (TIERS rows give one study
 *   row per tier, labelled label + the tier's table label);
 * .print = {line, pos, pre, decimals, post}: a piece of stdout line `line` (mt_line_t), sorted by pos:
 *   pre, the value with that many decimals, post (TIERS/CLASSES rows print "NAME value" per item, comma
 *   separated, between pre and post);
 * .h5 = "dataset/column" in run.h5.
 * A value that is NaN is written as null (percentiles of an empty set). */
#ifndef KVTWIN_METRIC_TABLE_H
#define KVTWIN_METRIC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "sim/kv/tier.h"
#include "sim/out/energy.h"

/* Lines of the stdout table, in order, each opening with its label. */
typedef enum mt_line {
    MT_L_NONE = 0,
    MT_L_REQUESTS,
    MT_L_TPS,
    MT_L_TOTAL_TPS,
    MT_L_TTFT,
    MT_L_TPOT,
    MT_L_HIT,
    MT_L_GPU,
    MT_L_TOKENS_J,
    MT_L_PREEMPT,
    MT_L_STEADY,
    MT_LINES
} mt_line_t;

/* clang-format off */
#define METRIC_TABLE(M)                                                                                            \
    M(win_start_s, ONE, "window.start_s", .unit = "s")                                                             \
    M(steady, ONE, "steady_state.steady", .unit = "", .study = {5, 0, "steady state (1 = yes)"},                  \
      .print = {MT_L_STEADY, 0, "", 0, "", .yes_no = true})                                                        \
    M(steady_drift, ONE, "steady_state.throughput_drift", .unit = "", .div = 0.01,                                 \
      .print = {MT_L_STEADY, 1, " (throughput drift ", 0, " % over the window"})                                   \
    M(steady_queue_growth, ONE, "steady_state.queue_growth_requests", .unit = "requests",                          \
      .print = {MT_L_STEADY, 2, ", queue growth ", 0, " requests)"})                                               \
    M(steady_intervals, ONE, "steady_state.intervals", .unit = "")                                                             \
    M(win_end_s, ONE, "window.end_s", .unit = "s")                                                                 \
    M(win_length_s, ONE, "window.length_s", .unit = "s")                                                           \
    M(sim_end_s, ONE, "window.simulated_end_s", .unit = "s")                                                       \
    M(arrived, ONE, "requests.arrived", .unit = "requests", .print = {MT_L_REQUESTS, 0, "", 0, " arrived"},       \
      .h5 = "timeseries/arrivals")                                                                                 \
    M(completed, ONE, "requests.completed", .unit = "requests",                                                    \
      .print = {MT_L_REQUESTS, 1, ", ", 0, " completed"}, .h5 = "timeseries/completions")                         \
    M(rejected, ONE, "requests.rejected", .unit = "requests", .print = {MT_L_REQUESTS, 2, ", ", 0, " rejected"})  \
    M(unfinished, ONE, "requests.unfinished", .unit = "requests",                                                  \
      .print = {MT_L_REQUESTS, 3, ", ", 0, " unfinished"})                                                         \
    M(in_window, ONE, "requests.in_window", .unit = "requests")                                                    \
    M(tps, ONE, "throughput.output_tokens_per_s", .unit = "per_s", .study = {10, 1, "output tokens/s (TPS)"},     \
      .print = {MT_L_TPS, 0, "", 1, ""}, .h5 = "timeseries/output_tokens_per_s")                                   \
    M(tps_per_gpu, ONE, "throughput.output_tokens_per_s_per_gpu", .unit = "per_s",                                 \
      .study = {20, 2, "output tokens/s per GPU"}, .print = {MT_L_TPS, 1, " (", 1, " per GPU)"})                   \
    M(total_tps, ONE, "throughput.total_tokens_per_s", .unit = "per_s", .study = {30, 1, "total tokens/s"},        \
      .print = {MT_L_TOTAL_TPS, 0, "", 1, ""})                                                                     \
    M(rps, ONE, "throughput.requests_per_s", .unit = "per_s")                                                      \
    M(ttft_mean, ONE, "latency_s.ttft.mean", .unit = "s", .h5 = "requests/ttft_s")                                 \
    M(ttft_p50, ONE, "latency_s.ttft.p50", .unit = "s", .study = {40, 3, "TTFT p50 (s)"},                          \
      .print = {MT_L_TTFT, 0, "", 3, ""}, .h5 = "requests/ttft_s")                                                 \
    M(ttft_p90, ONE, "latency_s.ttft.p90", .unit = "s", .h5 = "requests/ttft_s")                                   \
    M(ttft_p99, ONE, "latency_s.ttft.p99", .unit = "s", .study = {50, 3, "TTFT p99 (s)"},                          \
      .print = {MT_L_TTFT, 1, " / ", 3, " s"}, .h5 = "requests/ttft_s")                                            \
    M(tpot_mean, ONE, "latency_s.tpot.mean", .unit = "s", .h5 = "requests/tpot_s")                                 \
    M(tpot_p50, ONE, "latency_s.tpot.p50", .unit = "s", .study = {60, 4, "TPOT p50 (s)"},                          \
      .print = {MT_L_TPOT, 0, "", 4, " s"}, .h5 = "requests/tpot_s")                                               \
    M(tpot_p90, ONE, "latency_s.tpot.p90", .unit = "s", .h5 = "requests/tpot_s")                                   \
    M(tpot_p99, ONE, "latency_s.tpot.p99", .unit = "s", .h5 = "requests/tpot_s")                                   \
    M(e2e_mean, ONE, "latency_s.e2e.mean", .unit = "s", .h5 = "requests/e2e_s")                                    \
    M(e2e_p50, ONE, "latency_s.e2e.p50", .unit = "s", .h5 = "requests/e2e_s")                                      \
    M(e2e_p90, ONE, "latency_s.e2e.p90", .unit = "s", .h5 = "requests/e2e_s")                                      \
    M(e2e_p99, ONE, "latency_s.e2e.p99", .unit = "s", .h5 = "requests/e2e_s")                                      \
    M(queue_mean, ONE, "latency_s.queue.mean", .unit = "s")                                                        \
    M(queue_p50, ONE, "latency_s.queue.p50", .unit = "s")                                                          \
    M(queue_p90, ONE, "latency_s.queue.p90", .unit = "s")                                                          \
    M(queue_p99, ONE, "latency_s.queue.p99", .unit = "s")                                                          \
    M(kv_wait_mean, ONE, "latency_s.kv_wait.mean", .unit = "s")                                                    \
    M(kv_wait_p50, ONE, "latency_s.kv_wait.p50", .unit = "s")                                                      \
    M(kv_wait_p90, ONE, "latency_s.kv_wait.p90", .unit = "s")                                                      \
    M(kv_wait_p99, ONE, "latency_s.kv_wait.p99", .unit = "s")                                                      \
    M(prefill_mean, ONE, "latency_s.prefill.mean", .unit = "s")                                                    \
    M(prefill_p50, ONE, "latency_s.prefill.p50", .unit = "s")                                                      \
    M(prefill_p90, ONE, "latency_s.prefill.p90", .unit = "s")                                                      \
    M(prefill_p99, ONE, "latency_s.prefill.p99", .unit = "s")                                                      \
    M(decode_mean, ONE, "latency_s.decode.mean", .unit = "s")                                                      \
    M(decode_p50, ONE, "latency_s.decode.p50", .unit = "s")                                                        \
    M(decode_p90, ONE, "latency_s.decode.p90", .unit = "s")                                                        \
    M(decode_p99, ONE, "latency_s.decode.p99", .unit = "s")                                                        \
    M(hit, ONE, "hit_rate.token_weighted", .unit = "", .study = {70, 3, "hit rate, token-weighted"},              \
      .print = {MT_L_HIT, 0, "", 3, " token-weighted ("}, .h5 = "requests/reused_tokens")                          \
    M(hit_request_avg, ONE, "hit_rate.request_averaged", .unit = "")                                               \
    M(hit_found, ONE, "hit_rate.found_token_weighted", .unit = "", .h5 = "requests/found_tokens")                 \
    M(hit_by_tier, TIERS, "hit_rate.by_tier_token_weighted", .unit = "", .study = {80, 3, "  from "},             \
      .print = {MT_L_HIT, 1, "", 3, ")"}, .h5 = "requests/hit_tokens")                                             \
    M(gpu_busy, ONE, "gpu_time_fraction.busy", .unit = "", .study = {90, 3, "GPU busy"},                           \
      .print = {MT_L_GPU, 0, "", 3, ""}, .h5 = "timeseries/gpu_busy_fraction")                                     \
    M(gpu_stall, ONE, "gpu_time_fraction.stall", .unit = "", .study = {100, 3, "GPU stalled on KV"},               \
      .print = {MT_L_GPU, 1, " / ", 3, ""}, .h5 = "timeseries/gpu_stall_fraction")                                 \
    M(gpu_idle, ONE, "gpu_time_fraction.idle", .unit = "", .study = {110, 3, "GPU idle"},                          \
      .print = {MT_L_GPU, 2, " / ", 3, ""})                                                                        \
    M(util_compute, ONE, "utilisation.compute", .unit = "", .study = {112, 3, "compute utilisation (MFU)"},        \
      .print = {MT_L_GPU, 3, "; MFU ", 3, ""}, .h5 = "timeseries/compute_utilisation")                             \
    M(util_hbm, ONE, "utilisation.hbm_bandwidth", .unit = "", .study = {114, 3, "HBM bandwidth utilisation"},      \
      .print = {MT_L_GPU, 4, ", HBM bandwidth ", 3, ""}, .h5 = "timeseries/hbm_utilisation")                       \
    M(preempt_events, ONE, "preemption.events", .unit = "", .study = {116, 0, "preemptions"},                   \
      .print = {MT_L_PREEMPT, 0, "", 0, ""}, .h5 = "timeseries/preemptions")                                       \
    M(preempt_swaps, ONE, "preemption.swaps", .unit = "", .print = {MT_L_PREEMPT, 1, " (", 0, " by swap"})         \
    M(preempt_requests, ONE, "preemption.requests", .unit = "requests", .h5 = "requests/preemptions")             \
    M(preempt_recomputed, ONE, "preemption.recomputed_tokens", .unit = "tokens",                                   \
      .print = {MT_L_PREEMPT, 2, ", ", 0, " tokens recomputed)"}, .h5 = "requests/recomputed_tokens")             \
    M(preempt_swap_bytes, ONE, "preemption.swap_bytes", .unit = "bytes", .h5 = "requests/swap_bytes")             \
    M(preempt_out_mean, ONE, "preemption.out_of_batch_s_mean", .unit = "s", .h5 = "requests/preempted_s")        \
    M(energy, CLASSES, "energy_j", .unit = "j")                                                                    \
    M(energy_it, ONE, "energy_j.total_it", .unit = "j")                                                            \
    M(energy_facility, ONE, "energy_j.total_facility", .unit = "j")                                                \
    M(pue, ONE, "pue", .unit = "")                                                                                 \
    M(it_power_w, ONE, "average_it_power_w", .unit = "w", .div = 1e3, .study = {140, 1, "average IT power (kW)"},  \
      .print = {MT_L_TOKENS_J, 1, " (IT power ", 1, " kW)"}, .h5 = "timeseries/power_it_w")                        \
    M(tokens_per_j, ONE, "tokens_per_joule", .unit = "per_joule", .study = {130, 4, "tokens/J (IT)"},             \
      .print = {MT_L_TOKENS_J, 0, "", 4, ""})                                                                      \
    M(tokens_per_j_facility, ONE, "tokens_per_joule_facility", .unit = "per_joule")                               \
    M(tokens_per_j_class, CLASSES, "tokens_per_joule_by_class", .unit = "per_joule")                              \
    M(energy_node, ONE, "node_boundary.energy_j", .unit = "j")                                                     \
    M(node_power_w, ONE, "node_boundary.power_per_node_w", .unit = "w",                                           \
      .print = {MT_L_TOKENS_J, 3, "; node boundary ", 0, " W per node"})                                           \
    M(tokens_per_j_node, ONE, "node_boundary.tokens_per_joule", .unit = "per_joule",                              \
      .study = {131, 4, "tokens/J (node boundary)"}, .print = {MT_L_TOKENS_J, 2, ", ", 4, " at the node"}) \
    M(slo_ttft_s, ONE, "goodput.slo_ttft_s", .unit = "s")                                                          \
    M(slo_tpot_s, ONE, "goodput.slo_tpot_s", .unit = "s")                                                          \
    M(good_rps, ONE, "goodput.requests_per_s", .unit = "per_s", .study = {120, 3, "goodput (requests/s)"})        \
    M(good_tps, ONE, "goodput.output_tokens_per_s", .unit = "per_s")                                               \
    M(good_fraction, ONE, "goodput.fraction_of_requests", .unit = "")                                              \
    M(load_bytes, TIERS, "transfers.load_bytes_by_source_tier", .unit = "bytes", .h5 = "timeseries/load_bytes")   \
    M(writeback_bytes, ONE, "transfers.writeback_bytes", .unit = "bytes", .h5 = "timeseries/writeback_bytes")     \
    M(prefetch_bytes, ONE, "transfers.prefetch_bytes", .unit = "bytes", .h5 = "timeseries/prefetch_bytes")        \
    M(written_bytes, TIERS, "transfers.written_bytes_by_dest_tier", .unit = "bytes")                               \
    M(done_input_tokens, ONE, "tokens_completed_requests.input", .unit = "tokens", .h5 = "requests/input_tokens") \
    M(done_output_tokens, ONE, "tokens_completed_requests.output", .unit = "tokens",                               \
      .h5 = "requests/output_tokens")                                                                              \
    M(done_reused_tokens, ONE, "tokens_completed_requests.reused", .unit = "tokens",                               \
      .h5 = "requests/reused_tokens")                                                                              \
    M(done_computed_tokens, ONE, "tokens_completed_requests.computed", .unit = "tokens",                           \
      .h5 = "requests/computed_tokens")                                                                            \
    M(capex_usd, ONE, "cost.capex_usd", .unit = "usd")                                                             \
    M(usd_per_h, ONE, "cost.usd_per_hour", .unit = "usd")                                                          \
    M(usd_per_mtoken, ONE, "cost.usd_per_million_output_tokens", .unit = "usd",                                    \
      .study = {150, 3, "$ per million output tokens"})
/* clang-format on */

typedef enum mt_each { MT_EACH_ONE = 0, MT_EACH_TIERS, MT_EACH_CLASSES } mt_each_t;

#define MT_DIM_ONE
#define MT_DIM_TIERS [KV_NTIERS]
#define MT_DIM_CLASSES [EN_CLASSES]

/* The values of a run's metrics, one member per row (filled by metrics_values). */
typedef struct mt_values {
#define MT_VALUE_MEMBER(member, each, path, ...) double member MT_DIM_##each;
    METRIC_TABLE(MT_VALUE_MEMBER)
#undef MT_VALUE_MEMBER
} mt_values_t;

typedef struct mt_study {
    uint16_t order; /* 0: not in the study table */
    uint8_t decimals;
    const char *label;
} mt_study_t;

typedef struct mt_print {
    uint8_t line; /* mt_line_t; MT_L_NONE: not printed */
    uint8_t pos;  /* order on the line */
    const char *pre;
    uint8_t decimals;
    const char *post;
    bool yes_no; /* a 0/1 flag printed as no/yes */
} mt_print_t;

typedef struct mt_row {
    const char *member; /* its mt_values_t member, for messages */
    uint8_t each;       /* mt_each_t */
    const char *path;   /* summary.json, dotted */
    size_t offset;      /* of the member in mt_values_t */
    const char *unit;
    double div;
    mt_study_t study;
    mt_print_t print;
    const char *h5; /* "dataset/column" of run.h5, or NULL */
} mt_row_t;

extern const mt_row_t mt_rows[];
extern const size_t mt_nrows;

/* Items a row stands for: 1, KV_NTIERS or EN_CLASSES. */
size_t mt_items(const mt_row_t *r);
/* Key of item i below the row's path ("G3.5", "dram"), or NULL for a ONE row. */
const char *mt_item_key(const mt_row_t *r, size_t i);
/* Full summary.json path of item i ("hit_rate.by_tier_token_weighted.G3.5"). */
void mt_item_path(const mt_row_t *r, size_t i, char *buf, size_t len);
/* Study table label of item i. */
void mt_item_label(const mt_row_t *r, size_t i, char *buf, size_t len);
/* Item i as shown (after div) read from a summary; NaN when absent or null. */
double mt_item_shown(const cJSON *summary, const mt_row_t *r, size_t i);

/* The rows of the study table in order: (row, item) pairs; returns how many (at most cap). */
typedef struct mt_study_item {
    const mt_row_t *row;
    size_t item;
} mt_study_item_t;
size_t mt_study_items(mt_study_item_t *out, size_t cap);

/* Adds every row's figures to obj, creating the nested objects in table order. */
void mt_summary_add(cJSON *obj, const mt_values_t *v);
/* The stdout table lines (all but the header) from a summary. */
void mt_print_lines(const cJSON *summary, FILE *out);

#endif
