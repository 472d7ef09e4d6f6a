/* Metrics accumulation and the values of the metric table; see metrics.h for the definitions and the window,
 * metric_table.h for what summary.json, the stdout table and the study show of them. */
#include "sim/out/metrics.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>

#include "models/cost.h"
#include "sim/base/alloc.h"
#include "sim/base/dvec.h"
#include "sim/base/version.h"

/* One time-series interval as accumulated; metrics_ts_row turns it into a run.h5 row. */
typedef struct ts_bucket {
    double arrivals, completions;
    double output_tokens, input_tokens;
    double gpu_busy_s, gpu_stall_s; /* summed over instances */
    double gpu_busy_j;
    double flops, hbm_bytes;      /* summed over instances */
    double load_bytes[KV_NTIERS]; /* loaded into G1, by source tier */
    double writeback_bytes;       /* demotions and write-through */
    double prefetch_bytes;        /* staged ahead of use */
    double preemptions;
    double transfer_j;
    /* gauges at the interval's end */
    double running, waiting, loading;
    double used_blocks[KV_NTIERS];
    double prefill_instances; /* gauge */
    double planner_moves;
    double failed_bytes;
} ts_bucket_t;

struct metrics {
    metrics_cfg_t cfg;
    double interval_s;
    double win_start, win_end; /* win_end is +inf until known */
    metrics_row_fn row_fn;
    void *row_ctx;
    double pue;
    double slo_ttft_s, slo_tpot_s;

    ts_bucket_t *b;
    uint32_t nb, capb;

    /* whole run */
    uint64_t arrived, completed, rejected, unfinished;
    double tok_input, tok_output, tok_reused, tok_computed;
    /* window */
    uint64_t win_requests, win_good;
    double win_output_tokens, win_input_tokens, win_good_tokens;
    double win_found_tokens, win_reused_tokens, win_req_input_tokens, win_hit_ratio_sum;
    double win_hit_by_tier[KV_NTIERS];
    double *busy_s, *stall_s; /* per instance, window */
    double *flops_i, *hbm_i;  /* per instance, window */
    double win_gpu_busy_j;
    double win_en[EN_CLASSES]; /* per-byte energies in the window */
    double win_load_bytes[KV_NTIERS], win_writeback_bytes, win_prefetch_bytes;
    double win_written_bytes[KV_NTIERS]; /* by destination tier, every kind: what flash endurance counts */
    dvec_t ttft, tpot, e2e;
    dvec_t queue, kv_wait, prefill, decode; /* TTFT = queue + KV wait + prefill; E2E = TTFT + decode */
    double win_flops, win_hbm_bytes;
    /* Whole-run second ledgers for the conservation check (sim/core/conserve.h). */
    double all_gpu_busy_j;
    double all_transfer_j[EN_CLASSES];
    double all_move_bytes[KV_MOVE_KINDS][KV_NTIERS];
    double end_output_tokens;            /* tokens decoded by the requests that left, as they counted them */
    double peak_flop_s, peak_hbm_byte_s; /* the pod's instances together */
    double t_final;
    double win_preempt, win_swaps;                                       /* preemption events in the window */
    double win_preempted_req, win_recomputed, win_swap_bytes, win_out_s; /* of requests arriving in it */
};

const char *en_class_name(int c)
{
    static const char *const names[EN_CLASSES] = {"gpu",       "host_cpu", "dram",       "links",    "nic",  "dpu",
                                                  "local_ssd", "icms",     "g4_storage", "switches", "other"};
    return names[c];
}

static double safe_div(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static ts_bucket_t *bucket_at(metrics_t *m, double t)
{
    double idx = floor(t / m->interval_s);
    uint32_t i = idx < 0 ? 0 : (uint32_t)idx;
    if (i >= m->capb) {
        uint32_t cap = m->capb ? m->capb : 256;
        while (cap <= i)
            cap *= 2;
        m->b = kvt_realloc(m->b, cap, sizeof *m->b);
        memset(m->b + m->capb, 0, (cap - m->capb) * sizeof *m->b);
        m->capb = cap;
    }
    if (i + 1 > m->nb)
        m->nb = i + 1;
    return &m->b[i];
}

/* Overlap of [t0, t1] with the window. */
static double win_overlap(const metrics_t *m, double t0, double t1)
{
    double a = t0 > m->win_start ? t0 : m->win_start;
    double b = t1 < m->win_end ? t1 : m->win_end;
    return b > a ? b - a : 0;
}

static bool in_window(const metrics_t *m, double t)
{
    return t >= m->win_start && t <= m->win_end;
}

metrics_t *metrics_create(const metrics_cfg_t *cfg, metrics_row_fn row_fn, void *row_ctx)
{
    metrics_t *m = kvt_calloc(1, sizeof *m);
    const scenario_t *sc = cfg->sc;
    m->cfg = *cfg;
    m->interval_s = sc->sim.sample_interval_s;
    m->win_start = sc->sim.warmup_s;
    m->win_end = sc->sim.duration_s > 0 ? sc->sim.duration_s : (double)INFINITY;
    m->row_fn = row_fn;
    m->row_ctx = row_ctx;
    m->pue = sc->hw.energy.pue;
    m->slo_ttft_s = sc->sim.slo_ttft_s;
    m->slo_tpot_s = sc->sim.slo_tpot_s;
    m->busy_s = kvt_calloc(cfg->n_inst, sizeof *m->busy_s);
    double gpus = cfg->gpus ? cfg->gpus : (double)cfg->n_inst * cfg->inst_gpus;
    m->peak_flop_s =
        cfg->peak_flop_s ? cfg->peak_flop_s : gpus * hw_gpu_peak_flop_s(&sc->hw.gpu, sc->deploy.compute_dtype);
    m->peak_hbm_byte_s = cfg->peak_hbm_byte_s ? cfg->peak_hbm_byte_s : gpus * sc->hw.gpu.hbm_bandwidth_byte_s;
    m->stall_s = kvt_calloc(cfg->n_inst, sizeof *m->stall_s);
    m->flops_i = kvt_calloc(cfg->n_inst, sizeof *m->flops_i);
    m->hbm_i = kvt_calloc(cfg->n_inst, sizeof *m->hbm_i);
    return m;
}

void metrics_free(metrics_t *m)
{
    if (!m)
        return;
    free(m->b);
    free(m->busy_s);
    free(m->stall_s);
    free(m->flops_i);
    free(m->hbm_i);
    dvec_free(&m->ttft);
    dvec_free(&m->tpot);
    dvec_free(&m->e2e);
    dvec_free(&m->queue);
    dvec_free(&m->kv_wait);
    dvec_free(&m->prefill);
    dvec_free(&m->decode);
    free(m);
}

void metrics_arrival(metrics_t *m, double t)
{
    m->arrived++;
    bucket_at(m, t)->arrivals += 1;
}

void metrics_tokens(metrics_t *m, double t, double output_tokens, double input_tokens)
{
    ts_bucket_t *b = bucket_at(m, t);
    b->output_tokens += output_tokens;
    b->input_tokens += input_tokens;
    if (in_window(m, t)) {
        m->win_output_tokens += output_tokens;
        m->win_input_tokens += input_tokens;
    }
}

/* Spreads a quantity over [t0, t1] into the buckets it covers. */
static void spread(metrics_t *m, double t0, double t1, double amount, size_t field_offset)
{
    if (t1 <= t0) {
        *(double *)((char *)bucket_at(m, t0) + field_offset) += amount;
        return;
    }
    double t = t0;
    while (t < t1) {
        double edge = (floor(t / m->interval_s) + 1) * m->interval_s;
        double e = edge < t1 ? edge : t1;
        *(double *)((char *)bucket_at(m, t) + field_offset) += amount * (e - t) / (t1 - t0);
        t = e;
    }
}

void metrics_gpu_busy(metrics_t *m, uint32_t inst, double t0, double t1, double energy_j)
{
    double d = t1 - t0;
    spread(m, t0, t1, d, offsetof(ts_bucket_t, gpu_busy_s));
    spread(m, t0, t1, energy_j, offsetof(ts_bucket_t, gpu_busy_j));
    m->all_gpu_busy_j += energy_j;
    double w = win_overlap(m, t0, t1);
    m->busy_s[inst] += w;
    if (d > 0)
        m->win_gpu_busy_j += energy_j * w / d;
}

void metrics_decode_steps(metrics_t *m, uint32_t inst, double start, const double *cum_t, const double *cum_e,
                          uint32_t k, double tokens_per_step)
{
    /* Steps that fall inside one interval are summed into it directly; only a step that straddles an
     * interval edge is spread. */
    ts_bucket_t *b = NULL;
    double lo = 0, hi = -1;
    double win_tokens = 0;
    for (uint32_t j = 1; j <= k; j++) {
        double t0 = start + cum_t[j - 1], t1 = start + cum_t[j];
        double dt = t1 - t0, e = cum_e[j] - cum_e[j - 1];
        if (!(t0 >= lo && t1 < hi)) {
            b = bucket_at(m, t0);
            lo = floor(t0 / m->interval_s) * m->interval_s;
            hi = lo + m->interval_s;
        }
        if (t1 < hi) {
            b->gpu_busy_s += dt;
            b->gpu_busy_j += e;
            b->output_tokens += tokens_per_step;
        } else {
            spread(m, t0, t1, dt, offsetof(ts_bucket_t, gpu_busy_s));
            spread(m, t0, t1, e, offsetof(ts_bucket_t, gpu_busy_j));
            bucket_at(m, t1)->output_tokens += tokens_per_step;
            hi = -1; /* the bucket array may have moved */
        }
        if (t1 >= m->win_start && t1 <= m->win_end)
            win_tokens += tokens_per_step;
    }
    m->win_output_tokens += win_tokens;
    m->all_gpu_busy_j += cum_e[k];
    double span = cum_t[k], w = win_overlap(m, start, start + span);
    m->busy_s[inst] += w;
    if (span > 0)
        m->win_gpu_busy_j += cum_e[k] * w / span;
}

void metrics_gpu_work(metrics_t *m, uint32_t inst, double t0, double t1, double flops, double hbm_bytes)
{
    double d = t1 - t0;
    if (!(d > 0))
        return;
    spread(m, t0, t1, flops, offsetof(ts_bucket_t, flops));
    spread(m, t0, t1, hbm_bytes, offsetof(ts_bucket_t, hbm_bytes));
    double share = win_overlap(m, t0, t1) / d;
    m->win_flops += flops * share;
    m->win_hbm_bytes += hbm_bytes * share;
    m->flops_i[inst] += flops * share;
    m->hbm_i[inst] += hbm_bytes * share;
}

void metrics_gpu_wait(metrics_t *m, uint32_t inst, double t0, double t1, bool stalled)
{
    if (!stalled || t1 <= t0)
        return;
    spread(m, t0, t1, t1 - t0, offsetof(ts_bucket_t, gpu_stall_s));
    m->stall_s[inst] += win_overlap(m, t0, t1);
}

void metrics_preemption(metrics_t *m, double t, bool swap)
{
    bucket_at(m, t)->preemptions += 1;
    if (in_window(m, t)) {
        m->win_preempt += 1;
        m->win_swaps += swap;
    }
}

void metrics_transfer_failed(metrics_t *m, double t, double bytes)
{
    bucket_at(m, t)->failed_bytes += bytes;
}

void metrics_transfer_done(metrics_t *m, int kind, int src_tier, int dst_tier, double bytes, const double *j_per_byte,
                           double t)
{
    ts_bucket_t *b = bucket_at(m, t);
    double j = 0;
    for (int c = 0; c < EN_CLASSES; c++) {
        j += j_per_byte[c] * bytes;
        m->all_transfer_j[c] += j_per_byte[c] * bytes;
    }
    b->transfer_j += j;
    if (kind >= 0 && kind < KV_MOVE_KINDS && src_tier >= 0 && src_tier < KV_NTIERS)
        m->all_move_bytes[kind][src_tier] += bytes;
    bool load = kind == KV_MOVE_LOAD, prefetch = kind == KV_MOVE_PRESTAGE;
    if (load)
        b->load_bytes[src_tier] += bytes;
    else if (prefetch)
        b->prefetch_bytes += bytes;
    else
        b->writeback_bytes += bytes;
    if (in_window(m, t)) {
        for (int c = 0; c < EN_CLASSES; c++)
            m->win_en[c] += j_per_byte[c] * bytes;
        if (dst_tier >= 0 && dst_tier < KV_NTIERS)
            m->win_written_bytes[dst_tier] += bytes;
        if (load)
            m->win_load_bytes[src_tier] += bytes;
        else if (prefetch)
            m->win_prefetch_bytes += bytes;
        else
            m->win_writeback_bytes += bytes;
    }
}

void metrics_sample(metrics_t *m, double t, double running, double waiting, double loading,
                    const double used_blocks[KV_NTIERS])
{
    /* A gauge read at an interval's end belongs to the interval it closes. */
    ts_bucket_t *b = bucket_at(m, t > 0 ? t - 1e-9 * m->interval_s : 0);
    b->running = running;
    b->waiting = waiting;
    b->loading = loading;
    for (int k = 0; k < KV_NTIERS; k++)
        b->used_blocks[k] = used_blocks[k];
}

void metrics_pool(metrics_t *m, double t, double prefill_instances)
{
    bucket_at(m, t > 0 ? t - 1e-9 * m->interval_s : 0)->prefill_instances = prefill_instances;
}

void metrics_planner_move(metrics_t *m, double t, int delta)
{
    bucket_at(m, t)->planner_moves += delta;
}

void metrics_hit_tokens(const uint8_t *tier_of, uint32_t use, uint32_t block_tokens, uint32_t reused_tokens,
                        uint32_t out[KV_NTIERS])
{
    memset(out, 0, KV_NTIERS * sizeof *out);
    for (uint32_t u = 0; u < use; u++) {
        assert(tier_of[u] < KV_NTIERS);
        out[tier_of[u]] += block_tokens;
    }
    uint64_t excess = (uint64_t)use * block_tokens;
    assert(excess >= reused_tokens);
    excess -= reused_tokens;
    for (int k = 0; k < KV_NTIERS && excess > 0; k++) {
        uint32_t take = out[k] < excess ? out[k] : (uint32_t)excess;
        out[k] -= take;
        excess -= take;
    }
}

void metrics_request_end(metrics_t *m, const req_record_t *rec)
{
    req_record_t row;
    memcpy(&row, rec, sizeof row); /* padding included: the core zeroes its records, run.h5 stays reproducible */
    row.ttft_s = row.tpot_s = row.e2e_s = NAN;
    m->end_output_tokens += row.decoded_tokens;
    if (row.outcome == RQ_COMPLETED) {
        m->completed++;
        row.ttft_s = row.first_token_s - row.arrival_s;
        row.e2e_s = row.done_s - row.arrival_s;
        row.tpot_s = row.output_tokens > 1 ? (row.done_s - row.first_token_s) / (row.output_tokens - 1) : 0;
        m->tok_input += row.input_tokens;
        m->tok_output += row.output_tokens;
        m->tok_reused += row.reused_tokens;
        m->tok_computed += row.computed_tokens;
        bucket_at(m, row.done_s)->completions += 1;
        if (row.arrival_s >= m->win_start && row.arrival_s < m->win_end) {
            m->win_requests++;
            dvec_push(&m->ttft, row.ttft_s);
            dvec_push(&m->e2e, row.e2e_s);
            dvec_push(&m->queue, row.admit_s - row.arrival_s);
            dvec_push(&m->kv_wait, row.ready_s - row.admit_s);
            dvec_push(&m->prefill, row.first_token_s - row.ready_s);
            dvec_push(&m->decode, row.done_s - row.first_token_s);
            if (row.output_tokens > 1)
                dvec_push(&m->tpot, row.tpot_s);
            if (row.preemptions > 0) {
                m->win_preempted_req += 1;
                m->win_recomputed += row.recomputed_tokens;
                m->win_swap_bytes += row.swap_bytes;
                m->win_out_s += row.preempted_s;
            }
            double in = row.input_tokens;
            m->win_req_input_tokens += in;
            m->win_found_tokens += row.found_tokens;
            m->win_reused_tokens += row.reused_tokens;
            m->win_hit_ratio_sum += in > 0 ? row.reused_tokens / in : 0;
            for (int k = 0; k < KV_NTIERS; k++)
                m->win_hit_by_tier[k] += row.hit_tokens[k];
            if (row.ttft_s <= m->slo_ttft_s && row.tpot_s <= m->slo_tpot_s) {
                m->win_good++;
                m->win_good_tokens += row.output_tokens;
            }
        }
    } else if (row.outcome == RQ_REJECTED) {
        m->rejected++;
    } else {
        m->unfinished++;
    }
    if (m->row_fn)
        m->row_fn(m->row_ctx, &row);
}

void metrics_finish(metrics_t *m, double t_final)
{
    m->t_final = t_final;
    if (isinf(m->win_end) || m->win_end > t_final)
        m->win_end = t_final;
    if (m->win_start > m->win_end)
        m->win_start = m->win_end;
}

static double metrics_static_w(const metrics_t *m)
{
    double w = 0;
    for (int c = 0; c < EN_CLASSES; c++)
        w += m->cfg.static_w.w[c];
    return w;
}

uint32_t metrics_ts_rows(const metrics_t *m, double *interval_s)
{
    *interval_s = m->interval_s;
    return m->nb;
}

void metrics_ts_row(const metrics_t *m, uint32_t i, ts_row_t *r)
{
    assert(i < m->nb);
    const ts_bucket_t *b = &m->b[i];
    double dt = m->interval_s;
    double inst = m->cfg.n_inst;
    memset(r, 0, sizeof *r);
    r->t_s = (i + 1) * dt;
    r->arrivals = b->arrivals;
    r->completions = b->completions;
    r->output_tokens = b->output_tokens;
    r->input_tokens = b->input_tokens;
    r->output_tokens_per_s = b->output_tokens / dt;
    r->gpu_busy_fraction = b->gpu_busy_s / (inst * dt);
    r->gpu_stall_fraction = b->gpu_stall_s / (inst * dt);
    r->compute_utilisation = safe_div(b->flops, m->peak_flop_s * dt);
    r->hbm_utilisation = safe_div(b->hbm_bytes, m->peak_hbm_byte_s * dt);
    double idle_s = inst * dt - b->gpu_busy_s;
    r->power_it_w = (b->gpu_busy_j + m->cfg.gpu_idle_w * m->cfg.inst_gpus * idle_s + b->transfer_j +
                     m->cfg.engine_cpu_w * b->gpu_busy_s) /
                        dt +
                    metrics_static_w(m);
    memcpy(r->load_bytes, b->load_bytes, sizeof r->load_bytes);
    r->writeback_bytes = b->writeback_bytes;
    r->prefetch_bytes = b->prefetch_bytes;
    r->preemptions = b->preemptions;
    r->running = b->running;
    r->waiting = b->waiting;
    r->loading = b->loading;
    memcpy(r->used_blocks, b->used_blocks, sizeof r->used_blocks);
    r->prefill_instances = b->prefill_instances;
    r->planner_moves = b->planner_moves;
    r->failed_bytes = b->failed_bytes;
}

uint64_t metrics_completed(const metrics_t *m)
{
    return m->completed;
}

uint32_t metrics_instances(const metrics_t *m)
{
    return m->cfg.n_inst;
}

void metrics_instance(const metrics_t *m, uint32_t inst, inst_row_t *r)
{
    assert(inst < m->cfg.n_inst);
    double len = m->win_end - m->win_start, n = m->cfg.n_inst;
    memset(r, 0, sizeof *r);
    r->instance = inst;
    r->busy = safe_div(m->busy_s[inst], len);
    r->stall = safe_div(m->stall_s[inst], len);
    double idle = len > 0 ? 1.0 - r->busy - r->stall : 0;
    r->idle = idle > 0 ? idle : 0;
    /* m->peak_* are the pod's: one instance has 1/n of them. */
    r->compute_utilisation = safe_div(m->flops_i[inst] * n, m->peak_flop_s * len);
    r->hbm_utilisation = safe_div(m->hbm_i[inst] * n, m->peak_hbm_byte_s * len);
}

/* Window energy of every class (IT, before PUE). */
static void window_energy(const metrics_t *m, double out[EN_CLASSES])
{
    double len = m->win_end - m->win_start;
    for (int c = 0; c < EN_CLASSES; c++)
        out[c] = m->win_en[c] + m->cfg.static_w.w[c] * len;
    double busy = 0;
    for (uint32_t i = 0; i < m->cfg.n_inst; i++)
        busy += m->busy_s[i];
    out[EN_GPU] += m->win_gpu_busy_j + m->cfg.gpu_idle_w * m->cfg.inst_gpus * (m->cfg.n_inst * len - busy);
    /* The engine's host cores work while their GPUs iterate (launches, scheduling, sampling). */
    out[EN_HOST_CPU] += m->cfg.engine_cpu_w * busy;
}

/* Window energy inside the MLPerf Power node boundary (metrics_cfg_t): every class but the storage tiers and
 * the fabric, plus the nodes' own NVLink switches. */
static double node_energy(const metrics_t *m, const double en[EN_CLASSES])
{
    double j = 0;
    for (int c = 0; c < EN_CLASSES; c++)
        if (c != EN_ICMS && c != EN_G4 && c != EN_SWITCH)
            j += en[c];
    return j + m->cfg.node_switch_w * (m->win_end - m->win_start);
}

/* mean, p50, p90, p99; NaN (null in summary.json) without a sample. */
static void percentiles(const dvec_t *d, double *mean, double *p50, double *p90, double *p99)
{
    if (d->n == 0) {
        *mean = *p50 = *p90 = *p99 = NAN;
        return;
    }
    static const double qs[] = {0.50, 0.90, 0.99};
    double q[3];
    dvec_quantiles(d, qs, 3, q);
    *mean = dvec_mean(d);
    *p50 = q[0];
    *p90 = q[1];
    *p99 = q[2];
}

/* Steady state of the window, from the time series: the least-squares trend of output throughput and of the
 * waiting queue over the window's whole intervals. Steady means the throughput does not drift by more than
 * 10 % of its mean across the window and the queue does not grow by more than 10 % of its mean (or one request
 * per instance, whichever is more), each trend counting only when significant: a draining queue (an offline
 * batch) is steady, a growing one (overload) is not. Fewer
 * than 6 intervals decide nothing (NaN: null in summary.json). */
#define METRICS_STEADY_MIN_INTERVALS 6
#define METRICS_STEADY_TOL 0.10
static void steady_state(const metrics_t *m, mt_values_t *v)
{
    double dt = m->interval_s;
    double a = ceil(m->win_start / dt - 1e-9), b = floor(m->win_end / dt + 1e-9);
    uint32_t i0 = a < 0 ? 0 : (uint32_t)a, i1 = b < 0 ? 0 : (uint32_t)b;
    if (i1 > m->nb)
        i1 = m->nb;
    uint32_t n = i1 > i0 ? i1 - i0 : 0;
    v->steady_intervals = n;
    v->steady = v->steady_drift = v->steady_queue_growth = NAN;
    if (n < METRICS_STEADY_MIN_INTERVALS)
        return;
    double *t = kvt_malloc(3 * (size_t)n * sizeof *t), *y = t + n, *q = y + n;
    double ym = 0, qm = 0;
    for (uint32_t k = 0; k < n; k++) {
        t[k] = (i0 + k + 0.5) * dt;
        y[k] = m->b[i0 + k].output_tokens / dt;
        q[k] = m->b[i0 + k].waiting;
        ym += y[k] / n;
        qm += q[k] / n;
    }
    double c0, c1, cov00, cov01, cov11, ss;
    /* A trend counts only if it is significant (two-sided 95 %): an oscillating series (batches that fill and
     * drain in waves) has no trend however its window is cut. */
    double tq = gsl_cdf_tdist_Pinv(0.975, n - 2.0);
    gsl_fit_linear(t, 1, y, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &ss);
    double span = n * dt;
    v->steady_drift = ym > 0 ? c1 * span / ym : 0;
    bool drifts = fabs(v->steady_drift) > METRICS_STEADY_TOL && fabs(c1) > tq * sqrt(cov11);
    gsl_fit_linear(t, 1, q, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &ss);
    v->steady_queue_growth = c1 * span;
    double allowed = fmax(METRICS_STEADY_TOL * qm, (double)m->cfg.n_inst);
    bool grows = v->steady_queue_growth > allowed && c1 > tq * sqrt(cov11);
    v->steady = !drifts && !grows ? 1 : 0;
    free(t);
}

void metrics_values(const metrics_t *m, mt_values_t *v)
{
    memset(v, 0, sizeof *v);
    double len = m->win_end - m->win_start;
    v->win_start_s = m->win_start;
    v->win_end_s = m->win_end;
    v->win_length_s = len;
    steady_state(m, v);
    v->sim_end_s = m->t_final;

    v->arrived = (double)m->arrived;
    v->completed = (double)m->completed;
    v->rejected = (double)m->rejected;
    v->unfinished = (double)m->unfinished;
    v->in_window = (double)m->win_requests;

    uint32_t gpus = m->cfg.gpus ? m->cfg.gpus : m->cfg.n_inst * m->cfg.inst_gpus;
    double tps = safe_div(m->win_output_tokens, len);
    v->tps = tps;
    v->tps_per_gpu = safe_div(tps, gpus);
    v->total_tps = safe_div(m->win_output_tokens + m->win_input_tokens, len);
    v->rps = safe_div((double)m->win_requests, len);

    percentiles(&m->ttft, &v->ttft_mean, &v->ttft_p50, &v->ttft_p90, &v->ttft_p99);
    percentiles(&m->tpot, &v->tpot_mean, &v->tpot_p50, &v->tpot_p90, &v->tpot_p99);
    percentiles(&m->e2e, &v->e2e_mean, &v->e2e_p50, &v->e2e_p90, &v->e2e_p99);
    percentiles(&m->queue, &v->queue_mean, &v->queue_p50, &v->queue_p90, &v->queue_p99);
    percentiles(&m->kv_wait, &v->kv_wait_mean, &v->kv_wait_p50, &v->kv_wait_p90, &v->kv_wait_p99);
    percentiles(&m->prefill, &v->prefill_mean, &v->prefill_p50, &v->prefill_p90, &v->prefill_p99);
    percentiles(&m->decode, &v->decode_mean, &v->decode_p50, &v->decode_p90, &v->decode_p99);

    v->hit = safe_div(m->win_reused_tokens, m->win_req_input_tokens);
    v->hit_request_avg = safe_div(m->win_hit_ratio_sum, (double)m->win_requests);
    v->hit_found = safe_div(m->win_found_tokens, m->win_req_input_tokens);
    for (int k = 0; k < KV_NTIERS; k++)
        v->hit_by_tier[k] = safe_div(m->win_hit_by_tier[k], m->win_req_input_tokens);

    double busy = 0, stall = 0;
    for (uint32_t i = 0; i < m->cfg.n_inst; i++) {
        busy += m->busy_s[i];
        stall += m->stall_s[i];
    }
    double gpu_time = len * m->cfg.n_inst;
    v->gpu_busy = safe_div(busy, gpu_time);
    v->gpu_stall = safe_div(stall, gpu_time);
    double idle = gpu_time > 0 ? 1.0 - safe_div(busy + stall, gpu_time) : 0;
    v->gpu_idle = idle > 0 ? idle : 0; /* not -0 from rounding */
    v->util_compute = safe_div(m->win_flops, m->peak_flop_s * len);
    v->util_hbm = safe_div(m->win_hbm_bytes, m->peak_hbm_byte_s * len);

    double it = 0;
    window_energy(m, v->energy);
    for (int c = 0; c < EN_CLASSES; c++)
        it += v->energy[c];
    v->energy_it = it;
    v->energy_facility = it * m->pue;
    v->pue = m->pue;
    v->it_power_w = safe_div(it, len);
    v->tokens_per_j = safe_div(m->win_output_tokens, it);
    v->tokens_per_j_facility = safe_div(m->win_output_tokens, it * m->pue);
    for (int c = 0; c < EN_CLASSES; c++)
        v->tokens_per_j_class[c] = safe_div(m->win_output_tokens, v->energy[c]);
    v->energy_node = node_energy(m, v->energy);
    v->node_power_w = safe_div(v->energy_node, len * m->cfg.nodes);
    v->tokens_per_j_node = safe_div(m->win_output_tokens, v->energy_node);

    v->slo_ttft_s = m->slo_ttft_s;
    v->slo_tpot_s = m->slo_tpot_s;
    v->good_rps = safe_div((double)m->win_good, len);
    v->good_tps = safe_div(m->win_good_tokens, len);
    v->good_fraction = safe_div((double)m->win_good, (double)m->win_requests);

    v->preempt_events = m->win_preempt;
    v->preempt_swaps = m->win_swaps;
    v->preempt_requests = m->win_preempted_req;
    v->preempt_recomputed = m->win_recomputed;
    v->preempt_swap_bytes = m->win_swap_bytes;
    v->preempt_out_mean = m->win_preempted_req > 0 ? m->win_out_s / m->win_preempted_req : 0;

    for (int k = 0; k < KV_NTIERS; k++)
        v->load_bytes[k] = m->win_load_bytes[k];
    v->writeback_bytes = m->win_writeback_bytes;
    v->prefetch_bytes = m->win_prefetch_bytes;
    for (int k = 0; k < KV_NTIERS; k++)
        v->written_bytes[k] = m->win_written_bytes[k];

    v->done_input_tokens = m->tok_input;
    v->done_output_tokens = m->tok_output;
    v->done_reused_tokens = m->tok_reused;
    v->done_computed_tokens = m->tok_computed;

    cost_breakdown_t cb;
    cost_pod(&m->cfg.sc->hw, safe_div(it, len), &cb);
    v->capex_usd = cb.capex_usd;
    v->usd_per_h = cb.total_usd_per_h;
    v->usd_per_mtoken = safe_div(cb.total_usd_per_h, tps * 3600 / 1e6);
}

cJSON *metrics_summary(const metrics_t *m)
{
    const scenario_t *sc = m->cfg.sc;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kvtwin_version", KVTWIN_VERSION);
    cJSON_AddStringToObject(j, "simgrid_version", kvt_simgrid_version());
    cJSON_AddNumberToObject(j, "seed", (double)sc->seed);
    cJSON_AddItemToObject(j, "scenario", scenario_to_json(sc));
    mt_values_t v;
    metrics_values(m, &v);
    mt_summary_add(j, &v);
    return j;
}

static double jnum(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = x ? cJSON_GetObjectItemCaseSensitive(x, b) : NULL;
    return x && cJSON_IsNumber(x) ? x->valuedouble : (double)NAN;
}

void metrics_print(const metrics_t *m, const cJSON *s, FILE *out)
{
    const scenario_t *sc = m->cfg.sc;
    fprintf(out, "%s: %u instances x %u GPUs (%s, %s), window %.0f-%.0f s\n", sc->name, m->cfg.n_inst, m->cfg.inst_gpus,
            sc->hw.name, sc->model.name, jnum(s, "window", "start_s"), jnum(s, "window", "end_s"));
    mt_print_lines(s, out);
}

void metrics_totals(const metrics_t *m, metrics_totals_t *t)
{
    memset(t, 0, sizeof *t);
    t->arrived = m->arrived;
    t->completed = m->completed;
    t->rejected = m->rejected;
    t->unfinished = m->unfinished;
    t->tok_input = m->tok_input;
    t->tok_reused = m->tok_reused;
    t->tok_computed = m->tok_computed;
    t->end_output_tokens = m->end_output_tokens;
    t->gpu_busy_j = m->all_gpu_busy_j;
    memcpy(t->transfer_j, m->all_transfer_j, sizeof t->transfer_j);
    memcpy(t->move_bytes, m->all_move_bytes, sizeof t->move_bytes);
    for (uint32_t i = 0; i < m->nb; i++) {
        const ts_bucket_t *b = &m->b[i];
        t->bucket_arrivals += b->arrivals;
        t->bucket_completions += b->completions;
        t->bucket_output_tokens += b->output_tokens;
        t->bucket_gpu_busy_j += b->gpu_busy_j;
        t->bucket_transfer_j += b->transfer_j;
        for (int k = 0; k < KV_NTIERS; k++)
            t->bucket_load_bytes[k] += b->load_bytes[k];
        t->bucket_writeback_bytes += b->writeback_bytes;
        t->bucket_prefetch_bytes += b->prefetch_bytes;
    }
}
