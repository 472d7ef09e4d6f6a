/* Metrics accumulation and the run summary; see metrics.h for the definitions and the window. */
#include "sim/metrics.h"

#include <assert.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/cost.h"
#include "models/power.h"
#include "sim/version.h"

typedef struct dvec {
    double *v;
    size_t n, cap;
} dvec_t;

static void dvec_push(dvec_t *d, double x)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 1024;
        d->v = realloc(d->v, d->cap * sizeof *d->v);
    }
    d->v[d->n++] = x;
}

struct metrics {
    double interval_s;
    double win_start, win_end; /* win_end is +inf until known */
    metrics_row_fn row_fn;
    void *row_ctx;
    uint32_t n_inst;
    uint32_t inst_gpus;
    double gpu_idle_w;
    en_static_t st;
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
    double win_gpu_busy_j;
    double win_en[EN_CLASSES]; /* per-byte energies in the window */
    double win_load_bytes[KV_NTIERS], win_writeback_bytes, win_prefetch_bytes;
    dvec_t ttft, tpot, e2e;
    double t_final;
    /* Whole-run second ledgers for the conservation check (sim/conserve.h). */
    double all_gpu_busy_j;
    double all_transfer_j[EN_CLASSES];
    double all_move_bytes[KV_MOVE_KINDS][KV_NTIERS];
    double end_output_tokens; /* tokens decoded by the requests that left, as they counted them */
};

const char *en_class_name(int c)
{
    static const char *const names[EN_CLASSES] = {"gpu", "host_cpu", "dram", "links", "nic", "dpu",
                                                  "local_ssd", "icms", "g4_storage", "switches", "other"};
    return names[c];
}

static ts_bucket_t *bucket_at(metrics_t *m, double t)
{
    double idx = floor(t / m->interval_s);
    uint32_t i = idx < 0 ? 0 : (uint32_t)idx;
    if (i >= m->capb) {
        uint32_t cap = m->capb ? m->capb : 256;
        while (cap <= i)
            cap *= 2;
        m->b = realloc(m->b, cap * sizeof *m->b);
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

metrics_t *metrics_create(const pod_t *p, metrics_row_fn row_fn, void *row_ctx)
{
    metrics_t *m = calloc(1, sizeof *m);
    const scenario_t *sc = p->sc;
    const hw_pod_t *hw = &sc->hw;
    const platform_t *pf = &p->pf;
    m->interval_s = sc->sim.sample_interval_s;
    m->win_start = sc->sim.warmup_s;
    m->win_end = sc->sim.duration_s > 0 ? sc->sim.duration_s : (double)INFINITY;
    m->row_fn = row_fn;
    m->row_ctx = row_ctx;
    m->n_inst = pf->n_inst;
    m->inst_gpus = pf->inst_gpus;
    m->gpu_idle_w = pw_gpu_w(&hw->gpu, 0, 0);
    m->pue = hw->energy.pue;
    m->slo_ttft_s = sc->sim.slo_ttft_s;
    m->slo_tpot_s = sc->sim.slo_tpot_s;
    m->busy_s = calloc(pf->n_inst, sizeof *m->busy_s);
    m->stall_s = calloc(pf->n_inst, sizeof *m->stall_s);

    /* Static power: the nodes that host instances, and the pod's fabric and storage as configured. */
    double nodes = pf->n_nodes;
    const hw_node_t *nd = &hw->node;
    m->st.w[EN_HOST_CPU] = nodes * nd->cpus * pw_cpu_w(nd, 0);
    m->st.w[EN_NIC] = nodes * nd->gpus * nd->nic_ports_per_gpu * nd->nic_w;
    m->st.w[EN_DPU] = nodes * nd->dpus * nd->dpu_w;
    m->st.w[EN_LOCAL_SSD] = nodes * nd->nvme_drives * nd->nvme_idle_w;
    m->st.w[EN_OTHER] = nodes * nd->other_w;
    m->st.w[EN_SWITCH] = pw_fabric_w(hw) + nodes * nd->nvswitch_w;
    m->st.w[EN_ICMS] = pw_icms_w(hw, 0);
    m->st.w[EN_G4] = pw_g4_w(hw, 0);
    return m;
}

void metrics_free(metrics_t *m)
{
    if (!m)
        return;
    free(m->b);
    free(m->busy_s);
    free(m->stall_s);
    free(m->ttft.v);
    free(m->tpot.v);
    free(m->e2e.v);
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

void metrics_gpu_wait(metrics_t *m, uint32_t inst, double t0, double t1, bool stalled)
{
    if (!stalled || t1 <= t0)
        return;
    spread(m, t0, t1, t1 - t0, offsetof(ts_bucket_t, gpu_stall_s));
    m->stall_s[inst] += win_overlap(m, t0, t1);
}

void metrics_transfer_done(metrics_t *m, int kind, int src_tier, int dst_tier, double bytes,
                           const double *j_per_byte, double t)
{
    (void)dst_tier;
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

void metrics_request_end(metrics_t *m, const pod_t *p, const sim_req_t *r, int outcome)
{
    req_record_t row;
    memset(&row, 0, sizeof row);
    row.id = r->w.id;
    row.session = r->w.session_id;
    row.turn = r->w.turn;
    row.instance = r->inst;
    row.outcome = outcome;
    row.input_tokens = r->w.input_tokens;
    row.output_tokens = r->w.output_tokens;
    row.found_tokens = r->found_tokens;
    row.reused_tokens = r->reused_tokens;
    row.computed_tokens = r->w.input_tokens - r->reused_tokens;
    memcpy(row.hit_tokens, r->hit_tokens_by_tier, sizeof row.hit_tokens);
    row.arrival_s = r->w.arrival_s;
    row.admit_s = r->t_admit;
    row.ready_s = r->t_ready;
    row.first_token_s = r->t_first;
    row.done_s = r->t_done;
    row.loaded_bytes = r->loaded_bytes;
    row.ttft_s = row.tpot_s = row.e2e_s = NAN;
    (void)p;
    m->end_output_tokens += outcome == RQ_COMPLETED ? r->w.output_tokens : r->decoded;
    if (outcome == RQ_COMPLETED) {
        m->completed++;
        row.ttft_s = r->t_first - r->w.arrival_s;
        row.e2e_s = r->t_done - r->w.arrival_s;
        row.tpot_s = r->w.output_tokens > 1 ? (r->t_done - r->t_first) / (r->w.output_tokens - 1) : 0;
        m->tok_input += r->w.input_tokens;
        m->tok_output += r->w.output_tokens;
        m->tok_reused += r->reused_tokens;
        m->tok_computed += row.computed_tokens;
        bucket_at(m, r->t_done)->completions += 1;
        if (r->w.arrival_s >= m->win_start && r->w.arrival_s < m->win_end) {
            m->win_requests++;
            dvec_push(&m->ttft, row.ttft_s);
            dvec_push(&m->e2e, row.e2e_s);
            if (r->w.output_tokens > 1)
                dvec_push(&m->tpot, row.tpot_s);
            double in = r->w.input_tokens;
            m->win_req_input_tokens += in;
            m->win_found_tokens += r->found_tokens;
            m->win_reused_tokens += r->reused_tokens;
            m->win_hit_ratio_sum += in > 0 ? r->reused_tokens / in : 0;
            for (int k = 0; k < KV_NTIERS; k++)
                m->win_hit_by_tier[k] += r->hit_tokens_by_tier[k];
            if (row.ttft_s <= m->slo_ttft_s && row.tpot_s <= m->slo_tpot_s) {
                m->win_good++;
                m->win_good_tokens += r->w.output_tokens;
            }
        }
    } else if (outcome == RQ_REJECTED) {
        m->rejected++;
    } else {
        m->unfinished++;
    }
    if (m->row_fn)
        m->row_fn(m->row_ctx, &row);
}

void metrics_finish(metrics_t *m, const pod_t *p, double t_final)
{
    (void)p;
    m->t_final = t_final;
    if (isinf(m->win_end) || m->win_end > t_final)
        m->win_end = t_final;
    if (m->win_start > m->win_end)
        m->win_start = m->win_end;
}

const ts_bucket_t *metrics_buckets(const metrics_t *m, uint32_t *n, double *interval_s)
{
    *n = m->nb;
    *interval_s = m->interval_s;
    return m->b;
}

double metrics_static_w(const metrics_t *m)
{
    double w = 0;
    for (int c = 0; c < EN_CLASSES; c++)
        w += m->st.w[c];
    return w;
}

uint64_t metrics_completed(const metrics_t *m)
{
    return m->completed;
}

/* Window energy of every class (IT, before PUE). */
static void window_energy(const metrics_t *m, double out[EN_CLASSES])
{
    double len = m->win_end - m->win_start;
    for (int c = 0; c < EN_CLASSES; c++)
        out[c] = m->win_en[c] + m->st.w[c] * len;
    double busy = 0;
    for (uint32_t i = 0; i < m->n_inst; i++)
        busy += m->busy_s[i];
    out[EN_GPU] += m->win_gpu_busy_j + m->gpu_idle_w * m->inst_gpus * (m->n_inst * len - busy);
}

static cJSON *percentiles(const dvec_t *d)
{
    cJSON *o = cJSON_CreateObject();
    if (d->n == 0) {
        cJSON_AddNullToObject(o, "mean");
        cJSON_AddNullToObject(o, "p50");
        cJSON_AddNullToObject(o, "p90");
        cJSON_AddNullToObject(o, "p99");
        return o;
    }
    double *s = malloc(d->n * sizeof *s);
    memcpy(s, d->v, d->n * sizeof *s);
    gsl_sort(s, 1, d->n);
    cJSON_AddNumberToObject(o, "mean", gsl_stats_mean(s, 1, d->n));
    cJSON_AddNumberToObject(o, "p50", gsl_stats_quantile_from_sorted_data(s, 1, d->n, 0.50));
    cJSON_AddNumberToObject(o, "p90", gsl_stats_quantile_from_sorted_data(s, 1, d->n, 0.90));
    cJSON_AddNumberToObject(o, "p99", gsl_stats_quantile_from_sorted_data(s, 1, d->n, 0.99));
    free(s);
    return o;
}

static double safe_div(double a, double b)
{
    return b > 0 ? a / b : 0;
}

cJSON *metrics_summary(const metrics_t *m, const pod_t *p)
{
    const scenario_t *sc = p->sc;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kvtwin_version", KVTWIN_VERSION);
    cJSON_AddStringToObject(j, "simgrid_version", kvt_simgrid_version());
    cJSON_AddNumberToObject(j, "seed", (double)sc->seed);
    cJSON_AddItemToObject(j, "scenario", scenario_to_json(sc));

    double len = m->win_end - m->win_start;
    cJSON *w = cJSON_AddObjectToObject(j, "window");
    cJSON_AddNumberToObject(w, "start_s", m->win_start);
    cJSON_AddNumberToObject(w, "end_s", m->win_end);
    cJSON_AddNumberToObject(w, "length_s", len);
    cJSON_AddNumberToObject(w, "simulated_end_s", m->t_final);

    cJSON *rq = cJSON_AddObjectToObject(j, "requests");
    cJSON_AddNumberToObject(rq, "arrived", (double)m->arrived);
    cJSON_AddNumberToObject(rq, "completed", (double)m->completed);
    cJSON_AddNumberToObject(rq, "rejected", (double)m->rejected);
    cJSON_AddNumberToObject(rq, "unfinished", (double)m->unfinished);
    cJSON_AddNumberToObject(rq, "in_window", (double)m->win_requests);

    uint32_t gpus = m->n_inst * m->inst_gpus;
    cJSON *tp = cJSON_AddObjectToObject(j, "throughput");
    double tps = safe_div(m->win_output_tokens, len);
    cJSON_AddNumberToObject(tp, "output_tokens_per_s", tps);
    cJSON_AddNumberToObject(tp, "output_tokens_per_s_per_gpu", safe_div(tps, gpus));
    cJSON_AddNumberToObject(tp, "total_tokens_per_s", safe_div(m->win_output_tokens + m->win_input_tokens, len));
    cJSON_AddNumberToObject(tp, "requests_per_s", safe_div((double)m->win_requests, len));

    cJSON *lat = cJSON_AddObjectToObject(j, "latency_s");
    cJSON_AddItemToObject(lat, "ttft", percentiles(&m->ttft));
    cJSON_AddItemToObject(lat, "tpot", percentiles(&m->tpot));
    cJSON_AddItemToObject(lat, "e2e", percentiles(&m->e2e));

    cJSON *hr = cJSON_AddObjectToObject(j, "hit_rate");
    cJSON_AddNumberToObject(hr, "token_weighted", safe_div(m->win_reused_tokens, m->win_req_input_tokens));
    cJSON_AddNumberToObject(hr, "request_averaged", safe_div(m->win_hit_ratio_sum, (double)m->win_requests));
    cJSON_AddNumberToObject(hr, "found_token_weighted", safe_div(m->win_found_tokens, m->win_req_input_tokens));
    cJSON *bt = cJSON_AddObjectToObject(hr, "by_tier_token_weighted");
    for (int k = 0; k < KV_NTIERS; k++)
        cJSON_AddNumberToObject(bt, kv_tier_name(k), safe_div(m->win_hit_by_tier[k], m->win_req_input_tokens));

    double busy = 0, stall = 0;
    for (uint32_t i = 0; i < m->n_inst; i++) {
        busy += m->busy_s[i];
        stall += m->stall_s[i];
    }
    double gpu_time = len * m->n_inst;
    cJSON *gt = cJSON_AddObjectToObject(j, "gpu_time_fraction");
    cJSON_AddNumberToObject(gt, "busy", safe_div(busy, gpu_time));
    cJSON_AddNumberToObject(gt, "stall", safe_div(stall, gpu_time));
    double idle = gpu_time > 0 ? 1.0 - safe_div(busy + stall, gpu_time) : 0;
    cJSON_AddNumberToObject(gt, "idle", idle > 0 ? idle : 0); /* not -0 from rounding */

    double e[EN_CLASSES], it = 0;
    window_energy(m, e);
    cJSON *ej = cJSON_AddObjectToObject(j, "energy_j");
    for (int c = 0; c < EN_CLASSES; c++) {
        cJSON_AddNumberToObject(ej, en_class_name(c), e[c]);
        it += e[c];
    }
    cJSON_AddNumberToObject(ej, "total_it", it);
    cJSON_AddNumberToObject(ej, "total_facility", it * m->pue);
    cJSON_AddNumberToObject(j, "pue", m->pue);
    cJSON_AddNumberToObject(j, "average_it_power_w", safe_div(it, len));
    cJSON_AddNumberToObject(j, "tokens_per_joule", safe_div(m->win_output_tokens, it));
    cJSON_AddNumberToObject(j, "tokens_per_joule_facility", safe_div(m->win_output_tokens, it * m->pue));

    cJSON *gp = cJSON_AddObjectToObject(j, "goodput");
    cJSON_AddNumberToObject(gp, "slo_ttft_s", m->slo_ttft_s);
    cJSON_AddNumberToObject(gp, "slo_tpot_s", m->slo_tpot_s);
    cJSON_AddNumberToObject(gp, "requests_per_s", safe_div((double)m->win_good, len));
    cJSON_AddNumberToObject(gp, "output_tokens_per_s", safe_div(m->win_good_tokens, len));
    cJSON_AddNumberToObject(gp, "fraction_of_requests", safe_div((double)m->win_good, (double)m->win_requests));

    cJSON *tr = cJSON_AddObjectToObject(j, "transfers");
    cJSON *lb = cJSON_AddObjectToObject(tr, "load_bytes_by_source_tier");
    for (int k = 0; k < KV_NTIERS; k++)
        cJSON_AddNumberToObject(lb, kv_tier_name(k), m->win_load_bytes[k]);
    cJSON_AddNumberToObject(tr, "writeback_bytes", m->win_writeback_bytes);
    cJSON_AddNumberToObject(tr, "prefetch_bytes", m->win_prefetch_bytes);

    cJSON *tk = cJSON_AddObjectToObject(j, "tokens_completed_requests");
    cJSON_AddNumberToObject(tk, "input", m->tok_input);
    cJSON_AddNumberToObject(tk, "output", m->tok_output);
    cJSON_AddNumberToObject(tk, "reused", m->tok_reused);
    cJSON_AddNumberToObject(tk, "computed", m->tok_computed);

    cost_breakdown_t cb;
    cost_pod(&sc->hw, safe_div(it, len), &cb);
    cJSON *cj = cJSON_AddObjectToObject(j, "cost");
    cJSON_AddNumberToObject(cj, "capex_usd", cb.capex_usd);
    cJSON_AddNumberToObject(cj, "usd_per_hour", cb.total_usd_per_h);
    cJSON_AddNumberToObject(cj, "usd_per_million_output_tokens", safe_div(cb.total_usd_per_h, tps * 3600 / 1e6));
    return j;
}

static double jnum(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = x ? cJSON_GetObjectItemCaseSensitive(x, b) : NULL;
    return x && cJSON_IsNumber(x) ? x->valuedouble : (double)NAN;
}

void metrics_print(const cJSON *s, const pod_t *p, FILE *out)
{
    fprintf(out, "%s: %u instances x %u GPUs (%s, %s), window %.0f-%.0f s\n", p->sc->name, p->pf.n_inst,
            p->pf.inst_gpus, p->sc->hw.name, p->sc->model.name, jnum(s, "window", "start_s"),
            jnum(s, "window", "end_s"));
    fprintf(out, "  requests          %.0f arrived, %.0f completed, %.0f rejected, %.0f unfinished\n",
            jnum(s, "requests", "arrived"), jnum(s, "requests", "completed"), jnum(s, "requests", "rejected"),
            jnum(s, "requests", "unfinished"));
    fprintf(out, "  output tokens/s   %.1f (%.1f per GPU)\n", jnum(s, "throughput", "output_tokens_per_s"),
            jnum(s, "throughput", "output_tokens_per_s_per_gpu"));
    fprintf(out, "  total tokens/s    %.1f\n", jnum(s, "throughput", "total_tokens_per_s"));
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(s, "latency_s");
    fprintf(out, "  TTFT p50/p99      %.3f / %.3f s\n", jnum(lat, "ttft", "p50"), jnum(lat, "ttft", "p99"));
    fprintf(out, "  TPOT p50          %.4f s\n", jnum(lat, "tpot", "p50"));
    fprintf(out, "  hit rate          %.3f token-weighted (", jnum(s, "hit_rate", "token_weighted"));
    const cJSON *bt = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "hit_rate"),
                                                       "by_tier_token_weighted");
    for (int k = 0; k < KV_NTIERS; k++)
        fprintf(out, "%s%s %.3f", k ? ", " : "", kv_tier_name(k), jnum(bt, kv_tier_name(k), NULL));
    fprintf(out, ")\n");
    fprintf(out, "  GPU busy/stall/idle %.3f / %.3f / %.3f\n", jnum(s, "gpu_time_fraction", "busy"),
            jnum(s, "gpu_time_fraction", "stall"), jnum(s, "gpu_time_fraction", "idle"));
    fprintf(out, "  tokens/J          %.4f (IT power %.1f kW)\n", jnum(s, "tokens_per_joule", NULL),
            jnum(s, "average_it_power_w", NULL) / 1e3);
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
