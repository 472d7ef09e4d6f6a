/* Trace statistics and the generator fit; see stats.h.
 * Memory: one set entry per distinct block and a few doubles per request (a statistics pass, not a
 * replay). Units: tokens, seconds. */
#include "workloads/stats.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "sim/base/dvec.h"
#include "sim/base/u64map.h"

typedef struct hitacc {
    double hit_tokens, in_tokens, ratio_sum;
    uint64_t hit_blocks, ref_blocks, requests;
} hitacc_t;

typedef struct conv {
    hitacc_t main;
    uint32_t main_turns;
} conv_t;

typedef struct sess {
    uint64_t root; /* top-level session of the tree */
    double prev_t, prev_api;
    uint32_t prev_in, prev_out;
    bool prev_forked;
    conv_t *conv; /* the tree's accumulator (owned by the root's entry) */
} sess_t;

struct wl_stats {
    bool absolute_time;
    u64map_t seen_main, seen_all; /* block sets */
    u64map_t sessions;            /* session id -> sess_t */
    hitacc_t main, all;
    uint64_t requests, main_requests, sub_requests, top_sessions, subagents, forks;
    dvec_t in_tok, out_tok, turns, conv_hit_pct, think, delay, arrivals, new_conv_arrivals, session_starts;
    uint64_t inconsistent;
    char inconsistent_where[512];
    uint32_t block_tokens_seen;
    bool mixed_block_tokens;
    /* gap check: t[i] - t[i-1] against api_time[i-1] + think_time[i] (main agents) */
    uint64_t gap_pairs, gap_within;
    double gap_max_dev;
    /* fit data (main agents unless said otherwise) */
    dvec_t log_init_ctx, log_growth, log_out, log_think_user, log_tool, spawn_s, sub_prompt, main_prompt;
    uint64_t growth_negative, user_turns, tool_turns, sub_turns;
    double max_input;
    double api_xtx[3][3], api_xty[3];
    uint64_t api_n;
    sess_t **all_sess; /* to free */
    size_t n_sess, cap_sess;
    conv_t **convs;
    size_t n_convs, cap_convs;
};

wl_stats_t *wl_stats_new(bool absolute_time)
{
    wl_stats_t *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->absolute_time = absolute_time;
    u64map_init(&st->seen_main);
    u64map_init(&st->seen_all);
    u64map_init(&st->sessions);
    return st;
}

void wl_stats_free(wl_stats_t *st)
{
    if (!st)
        return;
    u64map_free(&st->seen_main);
    u64map_free(&st->seen_all);
    u64map_free(&st->sessions);
    dvec_t *vs[] = {&st->in_tok,         &st->out_tok,      &st->turns,      &st->conv_hit_pct,
                    &st->think,          &st->delay,        &st->arrivals,   &st->new_conv_arrivals,
                    &st->session_starts, &st->log_init_ctx, &st->log_growth, &st->log_out,
                    &st->log_think_user, &st->log_tool,     &st->spawn_s,    &st->sub_prompt,
                    &st->main_prompt};
    for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
        dvec_free(vs[i]);
    for (size_t i = 0; i < st->n_sess; i++)
        free(st->all_sess[i]);
    free(st->all_sess);
    for (size_t i = 0; i < st->n_convs; i++)
        free(st->convs[i]);
    free(st->convs);
    free(st);
}

/* Longest leading run of ids in set; then adds all ids to it. */
static uint32_t hit_prefix(u64map_t *set, const wl_request_t *r)
{
    uint32_t k = 0;
    while (k < r->n_blocks && u64map_get(set, r->block_ids[k], NULL))
        k++;
    for (uint32_t i = k; i < r->n_blocks; i++)
        u64map_put(set, r->block_ids[i], 0);
    return k;
}

static void hit_add(hitacc_t *h, const wl_request_t *r, uint32_t k)
{
    double hit = (double)k * r->block_tokens;
    if (hit > r->input_tokens)
        hit = r->input_tokens;
    h->hit_tokens += hit;
    h->in_tokens += r->input_tokens;
    if (r->input_tokens)
        h->ratio_sum += hit / r->input_tokens;
    h->hit_blocks += k;
    h->ref_blocks += r->n_blocks;
    h->requests++;
}

static void *push_ptr(void ***arr, size_t *n, size_t *cap, void *p)
{
    if (!p)
        return NULL;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        *arr = kvt_realloc(*arr, nc, sizeof **arr);
        *cap = nc;
    }
    (*arr)[(*n)++] = p;
    return p;
}

int wl_stats_add(wl_stats_t *st, const wl_request_t *r, const wl_sess_info_t *info, const char *file)
{
    bool main_agent = r->depth == 0;
    st->requests++;
    dvec_push(&st->in_tok, r->input_tokens);
    dvec_push(&st->out_tok, r->output_tokens);
    if (st->block_tokens_seen && st->block_tokens_seen != r->block_tokens)
        st->mixed_block_tokens = true;
    st->block_tokens_seen = r->block_tokens;
    /* Traces count either every block (the last one partial: Mooncake) or full blocks only (kv-cache-tester);
     * anything else is reported, and hits stay clamped to the input. */
    uint32_t full = r->block_tokens ? r->input_tokens / r->block_tokens : 0;
    uint32_t need = r->block_tokens ? (r->input_tokens + r->block_tokens - 1) / r->block_tokens : 0;
    if (r->n_blocks != need && r->n_blocks != full && st->inconsistent++ == 0)
        snprintf(st->inconsistent_where, sizeof st->inconsistent_where,
                 "%s:%llu: %u block ids for %u input tokens at %u tokens per block; expected %u or %u (hits are "
                 "clamped to the input)",
                 file, (unsigned long long)info->line, r->n_blocks, r->input_tokens, r->block_tokens, full, need);
    uint32_t k_all = hit_prefix(&st->seen_all, r);
    hit_add(&st->all, r, k_all);
    if (st->absolute_time) {
        dvec_push(&st->arrivals, r->arrival_s);
        /* A request that finds at most its first block (a shared system prompt) starts a conversation. */
        if (k_all <= 1)
            dvec_push(&st->new_conv_arrivals, r->arrival_s);
    }

    /* Session bookkeeping. */
    sess_t *se = NULL;
    conv_t *cv = NULL;
    if (r->session_id != WL_NO_SESSION) {
        se = u64map_get_ptr(&st->sessions, r->session_id);
        if (!se) {
            se = push_ptr((void ***)&st->all_sess, &st->n_sess, &st->cap_sess, calloc(1, sizeof *se));
            if (!se)
                return -1;
            u64map_put_ptr(&st->sessions, r->session_id, se);
            const sess_t *pv =
                info->parent_session != WL_NO_SESSION ? u64map_get_ptr(&st->sessions, info->parent_session) : NULL;
            if (pv) {
                se->root = pv->root;
                se->conv = pv->conv;
            } else {
                se->root = r->session_id;
                se->conv = push_ptr((void ***)&st->convs, &st->n_convs, &st->cap_convs, calloc(1, sizeof *se->conv));
                if (!se->conv)
                    return -1;
            }
            if (info->parent_session == WL_NO_SESSION) {
                st->top_sessions++;
                if (st->absolute_time)
                    dvec_push(&st->session_starts, r->arrival_s);
                if (info->shared_prefix_tokens)
                    dvec_push(&st->main_prompt, info->shared_prefix_tokens);
            } else {
                st->subagents++;
                if (info->shared_prefix_tokens)
                    dvec_push(&st->sub_prompt, info->shared_prefix_tokens);
            }
        }
        cv = se->conv;
    }
    if (info->fork)
        st->forks++;

    if (!main_agent) {
        st->sub_requests++;
        st->sub_turns++;
        if (r->turn == 0 && info->delay_known)
            dvec_push(&st->spawn_s, r->think_s);
    } else {
        st->main_requests++;
        uint32_t k = hit_prefix(&st->seen_main, r);
        hit_add(&st->main, r, k);
        if (cv) {
            hit_add(&cv->main, r, k);
            cv->main_turns++;
        }
        if (r->output_tokens > 0)
            dvec_push(&st->log_out, log(r->output_tokens));
        if (r->input_tokens > st->max_input)
            st->max_input = r->input_tokens;
        if (r->recorded_api_s >= 0) {
            double x[3] = {1, r->input_tokens, r->output_tokens};
            for (int a = 0; a < 3; a++) {
                for (int b = 0; b < 3; b++)
                    st->api_xtx[a][b] += x[a] * x[b];
                st->api_xty[a] += x[a] * r->recorded_api_s;
            }
            st->api_n++;
        }
        if (r->turn == 0 && se && info->parent_session == WL_NO_SESSION) {
            double ctx = (double)r->input_tokens - info->shared_prefix_tokens;
            if (ctx >= 1)
                dvec_push(&st->log_init_ctx, log(ctx));
        }
        if (r->turn > 0) {
            if (info->think_rec_s >= 0)
                dvec_push(&st->think, info->think_rec_s);
            dvec_push(&st->delay, r->think_s);
            if (se && !se->prev_forked) {
                double g = (double)r->input_tokens - se->prev_in - se->prev_out;
                if (g > 0)
                    dvec_push(&st->log_growth, log(g));
                else if (g < 0)
                    st->growth_negative++;
                if (info->delay_known) {
                    if (info->tool_s > 0) {
                        st->tool_turns++;
                        dvec_push(&st->log_tool, log(info->tool_s));
                    } else if (r->think_s > 0) {
                        st->user_turns++;
                        dvec_push(&st->log_think_user, log(r->think_s));
                    }
                }
            }
            if (se && se->prev_api >= 0 && info->think_rec_s >= 0) {
                double dev = fabs((r->arrival_s - se->prev_t) - (se->prev_api + info->think_rec_s));
                st->gap_pairs++;
                st->gap_within += dev <= 1.0;
                if (dev > st->gap_max_dev)
                    st->gap_max_dev = dev;
            }
        }
    }
    if (se) {
        se->prev_t = r->arrival_s;
        se->prev_api = r->recorded_api_s;
        se->prev_in = r->input_tokens;
        se->prev_out = r->output_tokens;
        se->prev_forked = info->fork > 0;
    }
    return 0;
}

/* ---- summary ---- */

static cJSON *dist_json(dvec_t *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)d->n);
    if (d->n) {
        cJSON_AddNumberToObject(o, "mean", dvec_mean(d));
        cJSON_AddNumberToObject(o, "p50", dvec_quantile(d, 0.5));
        cJSON_AddNumberToObject(o, "p90", dvec_quantile(d, 0.9));
        cJSON_AddNumberToObject(o, "p99", dvec_quantile(d, 0.99));
        cJSON_AddNumberToObject(o, "min", d->v[0]);
        cJSON_AddNumberToObject(o, "max", d->v[d->n - 1]);
    }
    return o;
}

static cJSON *hit_json(const hitacc_t *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "requests", (double)h->requests);
    cJSON_AddNumberToObject(o, "token_weighted", h->in_tokens > 0 ? h->hit_tokens / h->in_tokens : 0);
    cJSON_AddNumberToObject(o, "request_averaged", h->requests ? h->ratio_sum / (double)h->requests : 0);
    cJSON_AddNumberToObject(o, "block_level", h->ref_blocks ? (double)h->hit_blocks / (double)h->ref_blocks : 0);
    cJSON_AddNumberToObject(o, "block_refs", (double)h->ref_blocks);
    return o;
}

/* Index of dispersion (variance / mean) of arrival counts in windows of w seconds. */
static double dispersion(const dvec_t *t_sorted, double w)
{
    if (t_sorted->n < 2)
        return NAN;
    double t0 = t_sorted->v[0], span = t_sorted->v[t_sorted->n - 1] - t0;
    size_t nw = (size_t)(span / w); /* whole windows only */
    if (nw < 2)
        return NAN;
    double *c = calloc(nw, sizeof *c);
    if (!c)
        return NAN;
    for (size_t i = 0; i < t_sorted->n; i++) {
        size_t k = (size_t)((t_sorted->v[i] - t0) / w);
        if (k < nw)
            c[k]++;
    }
    double m = gsl_stats_mean(c, 1, nw), v = gsl_stats_variance_m(c, 1, nw, m) * (double)(nw - 1) / (double)nw;
    free(c);
    return m > 0 ? v / m : (double)NAN;
}

#define WL_DISPERSION_WINDOW_S 60.0

static cJSON *arrivals_json(dvec_t *a)
{
    cJSON *o = cJSON_CreateObject();
    if (a->n < 2)
        return o;
    gsl_sort(a->v, 1, a->n);
    double span = a->v[a->n - 1] - a->v[0];
    cJSON_AddNumberToObject(o, "count", (double)a->n);
    cJSON_AddNumberToObject(o, "span_s", span);
    cJSON_AddNumberToObject(o, "rate_per_s", span > 0 ? (double)(a->n - 1) / span : 0);
    dvec_t gaps = {0};
    for (size_t i = 1; i < a->n; i++)
        dvec_push(&gaps, a->v[i] - a->v[i - 1]);
    double m = dvec_mean(&gaps);
    double sd = gaps.n > 1 ? gsl_stats_sd_m(gaps.v, 1, gaps.n, m) : 0;
    cJSON_AddNumberToObject(o, "interarrival_cv", m > 0 ? sd / m : 0);
    double d = dispersion(a, WL_DISPERSION_WINDOW_S);
    cJSON_AddNumberToObject(o, "dispersion_60s", isfinite(d) ? d : 0);
    dvec_free(&gaps);
    return o;
}

cJSON *wl_stats_json(wl_stats_t *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "requests", (double)st->requests);
    cJSON_AddNumberToObject(o, "main_requests", (double)st->main_requests);
    cJSON_AddNumberToObject(o, "sessions", (double)st->top_sessions);
    cJSON_AddNumberToObject(o, "subagents", (double)st->subagents);
    cJSON_AddNumberToObject(o, "subagent_requests", (double)st->sub_requests);
    cJSON_AddNumberToObject(o, "forks", (double)st->forks);
    cJSON_AddNumberToObject(o, "block_tokens", st->mixed_block_tokens ? -1.0 : (double)st->block_tokens_seen);
    cJSON_AddNumberToObject(o, "distinct_blocks", (double)st->seen_all.n);
    cJSON_AddItemToObject(o, "input_tokens", dist_json(&st->in_tok));
    cJSON_AddItemToObject(o, "output_tokens", dist_json(&st->out_tok));
    dvec_free(&st->turns);
    for (size_t i = 0; i < st->n_convs; i++)
        if (st->convs[i]->main_turns)
            dvec_push(&st->turns, st->convs[i]->main_turns);
    if (st->top_sessions)
        cJSON_AddItemToObject(o, "turns_per_session", dist_json(&st->turns));
    if (st->absolute_time) {
        cJSON_AddItemToObject(o, "arrivals", arrivals_json(&st->arrivals));
        if (st->top_sessions)
            cJSON_AddItemToObject(o, "session_starts", arrivals_json(&st->session_starts));
        else
            cJSON_AddItemToObject(o, "conversation_starts", arrivals_json(&st->new_conv_arrivals));
    }
    cJSON *hits = cJSON_CreateObject();
    cJSON_AddItemToObject(hits, "all", hit_json(&st->all));
    if (st->sub_requests)
        cJSON_AddItemToObject(hits, "main_agents", hit_json(&st->main));
    dvec_free(&st->conv_hit_pct);
    for (size_t i = 0; i < st->n_convs; i++)
        if (st->convs[i]->main.in_tokens > 0)
            dvec_push(&st->conv_hit_pct, 100.0 * st->convs[i]->main.hit_tokens / st->convs[i]->main.in_tokens);
    if (st->conv_hit_pct.n) {
        cJSON *pc = cJSON_CreateObject();
        cJSON_AddNumberToObject(pc, "count", (double)st->conv_hit_pct.n);
        cJSON_AddNumberToObject(pc, "min", dvec_quantile(&st->conv_hit_pct, 0));
        cJSON_AddNumberToObject(pc, "p25", dvec_quantile(&st->conv_hit_pct, 0.25));
        cJSON_AddNumberToObject(pc, "p50", dvec_quantile(&st->conv_hit_pct, 0.5));
        cJSON_AddNumberToObject(pc, "p75", dvec_quantile(&st->conv_hit_pct, 0.75));
        cJSON_AddNumberToObject(pc, "max", dvec_quantile(&st->conv_hit_pct, 1));
        cJSON_AddNumberToObject(pc, "mean", dvec_mean(&st->conv_hit_pct));
        cJSON_AddItemToObject(hits, "per_conversation_pct", pc);
    }
    cJSON_AddItemToObject(o, "infinite_cache_hit", hits);
    if (st->think.n || st->delay.n) {
        cJSON *th = cJSON_CreateObject();
        cJSON_AddItemToObject(th, "recorded", dist_json(&st->think));
        cJSON_AddItemToObject(th, "replay_delay", dist_json(&st->delay));
        cJSON_AddNumberToObject(th, "tool_turns", (double)st->tool_turns);
        cJSON_AddNumberToObject(th, "user_turns", (double)st->user_turns);
        cJSON_AddItemToObject(o, "think_s", th);
    }
    if (st->gap_pairs) {
        cJSON *g = cJSON_CreateObject();
        cJSON_AddNumberToObject(g, "pairs", (double)st->gap_pairs);
        cJSON_AddNumberToObject(g, "within_1s", (double)st->gap_within);
        cJSON_AddNumberToObject(g, "max_deviation_s", st->gap_max_dev);
        cJSON_AddItemToObject(o, "gap_check", g);
    }
    cJSON_AddNumberToObject(o, "inconsistent_block_ids", (double)st->inconsistent);
    if (st->inconsistent)
        cJSON_AddStringToObject(o, "inconsistent_first", st->inconsistent_where);
    return o;
}

static double jnum(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    return cur && cJSON_IsNumber(cur) ? cur->valuedouble : (double)NAN;
}

static void print_dist(FILE *out, const char *name, const cJSON *o, const char *key, const char *unit)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!d || jnum(d, "count") == 0)
        return;
    fprintf(out, "  %-26s mean %10.1f  p50 %10.1f  p90 %10.1f  p99 %10.1f  max %10.1f %s\n", name, jnum(d, "mean"),
            jnum(d, "p50"), jnum(d, "p90"), jnum(d, "p99"), jnum(d, "max"), unit);
}

static void print_hits(FILE *out, const char *name, const cJSON *h)
{
    if (!h)
        return;
    fprintf(out, "  %-26s token-weighted %.4f  request-averaged %.4f  block-level %.4f  (%.0f requests)\n", name,
            jnum(h, "token_weighted"), jnum(h, "request_averaged"), jnum(h, "block_level"), jnum(h, "requests"));
}

void wl_stats_print(wl_stats_t *st, FILE *out)
{
    cJSON *o = wl_stats_json(st);
    fprintf(out, "  requests                   %.0f", jnum(o, "requests"));
    if (st->top_sessions)
        fprintf(out, " (main agents %.0f, sub-agents %.0f in %.0f sub-agents, %.0f forks)", jnum(o, "main_requests"),
                jnum(o, "subagent_requests"), jnum(o, "subagents"), jnum(o, "forks"));
    fprintf(out, "\n");
    if (st->top_sessions)
        fprintf(out, "  sessions                   %.0f\n", jnum(o, "sessions"));
    fprintf(out, "  blocks                     %.0f references, %.0f distinct, %.0f tokens per block\n",
            jnum(o, "infinite_cache_hit.all.block_refs"), jnum(o, "distinct_blocks"), jnum(o, "block_tokens"));
    print_dist(out, "input tokens", o, "input_tokens", "");
    print_dist(out, "output tokens", o, "output_tokens", "");
    print_dist(out, "turns per session", o, "turns_per_session", "(main agent)");
    if (st->absolute_time) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "arrivals");
        fprintf(out,
                "  arrivals                   %.4f /s over %.0f s, inter-arrival CV %.3f, dispersion (60 s) %.3f\n",
                jnum(a, "rate_per_s"), jnum(a, "span_s"), jnum(a, "interarrival_cv"), jnum(a, "dispersion_60s"));
        a = cJSON_GetObjectItemCaseSensitive(o, "session_starts");
        if (a && jnum(a, "count") > 0)
            fprintf(out, "  session starts             %.0f (%.4f /s), inter-arrival CV %.3f, dispersion (60 s) %.3f\n",
                    jnum(a, "count"), jnum(a, "rate_per_s"), jnum(a, "interarrival_cv"), jnum(a, "dispersion_60s"));
        a = cJSON_GetObjectItemCaseSensitive(o, "conversation_starts");
        if (a && jnum(a, "count") > 0)
            fprintf(out,
                    "  conversation starts        %.0f (%.4f /s), dispersion (60 s) %.3f  [requests hitting at most "
                    "their first block]\n",
                    jnum(a, "count"), jnum(a, "rate_per_s"), jnum(a, "dispersion_60s"));
    }
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "infinite_cache_hit");
    fprintf(out, "  infinite-cache prefix hit\n");
    print_hits(out, "all requests", cJSON_GetObjectItemCaseSensitive(h, "all"));
    print_hits(out, "main agents", cJSON_GetObjectItemCaseSensitive(h, "main_agents"));
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(h, "per_conversation_pct");
    if (pc && jnum(pc, "count") > 1)
        fprintf(out, "  %-26s min %.1f  p25 %.1f  p50 %.1f  p75 %.1f  max %.1f  mean %.1f %% (%.0f conversations)\n",
                "per conversation (main)", jnum(pc, "min"), jnum(pc, "p25"), jnum(pc, "p50"), jnum(pc, "p75"),
                jnum(pc, "max"), jnum(pc, "mean"), jnum(pc, "count"));
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(o, "think_s");
    if (th) {
        print_dist(out, "think time, recorded", th, "recorded", "s (main agents, turns >= 1)");
        print_dist(out, "delay before turn, replay", th, "replay_delay", "s (think + tool)");
    }
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "gap_check");
    if (g)
        fprintf(out,
                "  gap check                  %.0f of %.0f pairs within 1 s (t[i]-t[i-1] vs api[i-1]+think[i]), "
                "max deviation %.3f s\n",
                jnum(g, "within_1s"), jnum(g, "pairs"), jnum(g, "max_deviation_s"));
    if (st->inconsistent)
        fprintf(out, "  inconsistent block ids     %llu requests; first: %s\n", (unsigned long long)st->inconsistent,
                st->inconsistent_where);
    cJSON_Delete(o);
}

/* ---- fit ---- */

struct wl_fit {
    dvec_t log_init_ctx, log_growth, log_out, log_think_user, log_tool, spawn_s, sub_prompt, main_prompt, turns;
    dvec_t conv_starts_rate, conv_starts_disp; /* per input: session rate and CV^2, pooled by mean */
    uint64_t main_requests, sub_requests, subagents, forks, growth_negative, user_turns, tool_turns;
    uint32_t block_tokens;
    double max_input, max_turns;
    double api_xtx[3][3], api_xty[3];
    uint64_t api_n;
};

wl_fit_t *wl_fit_new(void)
{
    return calloc(1, sizeof(wl_fit_t));
}

void wl_fit_free(wl_fit_t *f)
{
    if (!f)
        return;
    dvec_t *vs[] = {&f->log_init_ctx, &f->log_growth,       &f->log_out,         &f->log_think_user,
                    &f->log_tool,     &f->spawn_s,          &f->sub_prompt,      &f->main_prompt,
                    &f->turns,        &f->conv_starts_rate, &f->conv_starts_disp};
    for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
        dvec_free(vs[i]);
    free(f);
}

void wl_fit_add(wl_fit_t *f, wl_stats_t *st)
{
    if (st->top_sessions) {
        dvec_append(&f->log_init_ctx, &st->log_init_ctx);
        dvec_append(&f->log_growth, &st->log_growth);
        dvec_append(&f->log_out, &st->log_out);
        dvec_append(&f->log_think_user, &st->log_think_user);
        dvec_append(&f->log_tool, &st->log_tool);
        dvec_append(&f->spawn_s, &st->spawn_s);
        dvec_append(&f->sub_prompt, &st->sub_prompt);
        dvec_append(&f->main_prompt, &st->main_prompt);
        for (size_t i = 0; i < st->n_convs; i++)
            if (st->convs[i]->main_turns) {
                dvec_push(&f->turns, st->convs[i]->main_turns);
                if (st->convs[i]->main_turns > f->max_turns)
                    f->max_turns = st->convs[i]->main_turns;
            }
        f->main_requests += st->main_requests;
        f->sub_requests += st->sub_requests;
        f->subagents += st->subagents;
        f->forks += st->forks;
        f->growth_negative += st->growth_negative;
        f->user_turns += st->user_turns;
        f->tool_turns += st->tool_turns;
        f->block_tokens = st->block_tokens_seen;
        if (st->max_input > f->max_input)
            f->max_input = st->max_input;
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++)
                f->api_xtx[a][b] += st->api_xtx[a][b];
            f->api_xty[a] += st->api_xty[a];
        }
        f->api_n += st->api_n;
    }
    /* Session arrivals: the starts of top-level sessions where the trace has one clock, else the
     * conversation starts a request log shows. */
    dvec_t *a = st->top_sessions ? &st->session_starts : &st->new_conv_arrivals;
    if (st->absolute_time && a->n > 2) {
        gsl_sort(a->v, 1, a->n);
        double span = a->v[a->n - 1] - a->v[0];
        if (span > 0) {
            dvec_push(&f->conv_starts_rate, (double)(a->n - 1) / span);
            if (st->top_sessions) {
                /* Exact session starts: the CV of their gaps. */
                dvec_t gaps = {0};
                for (size_t i = 1; i < a->n; i++)
                    dvec_push(&gaps, a->v[i] - a->v[i - 1]);
                double m = dvec_mean(&gaps);
                if (m > 0)
                    dvec_push(&f->conv_starts_disp, pow(gsl_stats_sd_m(gaps.v, 1, gaps.n, m) / m, 2));
                dvec_free(&gaps);
            } else {
                /* Request logs quantise time (Mooncake: 3 s), which destroys short gaps; the index of
                 * dispersion of counts in windows much longer than a gap estimates CV^2 of a renewal process
                 * instead (and is what burstiness means for a cache). */
                double d = dispersion(a, WL_DISPERSION_WINDOW_S);
                if (isfinite(d))
                    dvec_push(&f->conv_starts_disp, d);
            }
        }
    }
}

static double sd_of(const dvec_t *d)
{
    return d->n > 1 ? gsl_stats_sd(d->v, 1, d->n) : 0;
}

static double median_of(dvec_t *d)
{
    return dvec_quantile(d, 0.5);
}

/* Solves the 3x3 normal equations by Gaussian elimination with partial pivoting; 0 on success. */
static int solve3(double a[3][3], double b[3], double x[3])
{
    for (int c = 0; c < 3; c++) {
        int p = c;
        for (int r = c + 1; r < 3; r++)
            if (fabs(a[r][c]) > fabs(a[p][c]))
                p = r;
        if (fabs(a[p][c]) < 1e-300)
            return -1;
        for (int k = 0; k < 3; k++) {
            double t = a[c][k];
            a[c][k] = a[p][k];
            a[p][k] = t;
        }
        double t = b[c];
        b[c] = b[p];
        b[p] = t;
        for (int r = c + 1; r < 3; r++) {
            double m = a[r][c] / a[c][c];
            for (int k = c; k < 3; k++)
                a[r][k] -= m * a[c][k];
            b[r] -= m * b[c];
        }
    }
    for (int r = 2; r >= 0; r--) {
        double s = b[r];
        for (int k = r + 1; k < 3; k++)
            s -= a[r][k] * x[k];
        x[r] = s / a[r][r];
    }
    return 0;
}

/* Rounds to 4 significant digits: the defaults are quoted, and more digits than the sample supports would
 * suggest a precision the fit does not have. */
static double sig4(double x)
{
    if (x == 0 || !isfinite(x))
        return x;
    double e = floor(log10(fabs(x))) - 3;
    double m = pow(10, e);
    return round(x / m) * m;
}

int wl_fit_result(wl_fit_t *f, wl_synth_cfg_t *c, char *notes, size_t noteslen)
{
    int n = 0;
    size_t used = 0;
    notes[0] = '\0';
#define NOTE(...) used += (size_t)snprintf(notes + used, used < noteslen ? noteslen - used : 0, __VA_ARGS__)
    if (f->conv_starts_rate.n) {
        c->session_rate_per_s = sig4(dvec_mean(&f->conv_starts_rate));
        n++;
        if (f->conv_starts_disp.n) {
            c->arrival_cv = sig4(sqrt(dvec_mean(&f->conv_starts_disp)));
            n++;
        }
    } else {
        NOTE("session_rate_per_s, arrival_cv: not fitted (needs a request log with block ids, e.g. Mooncake)\n");
    }
    if (f->turns.n) {
        c->turns_mean = sig4(dvec_mean(&f->turns));
        c->turns_max = f->max_turns;
        n += 2;
    } else {
        NOTE("session shape: not fitted (needs session traces: kvtester or native)\n");
        return n;
    }
    if (f->main_prompt.n) {
        c->system_prompt_tokens = round(dvec_mean(&f->main_prompt));
        n++;
    }
    if (f->log_init_ctx.n) {
        c->initial_context_tokens_median = sig4(exp(dvec_mean(&f->log_init_ctx)));
        c->initial_context_sigma = sig4(sd_of(&f->log_init_ctx));
        n += 2;
    }
    if (f->log_growth.n) {
        c->growth_tokens_median = sig4(exp(dvec_mean(&f->log_growth)));
        c->growth_sigma = sig4(sd_of(&f->log_growth));
        n += 2;
    }
    if (f->log_out.n) {
        c->output_tokens_median = sig4(exp(dvec_mean(&f->log_out)));
        c->output_sigma = sig4(sd_of(&f->log_out));
        n += 2;
    }
    if (f->log_think_user.n) {
        c->think_s_median = sig4(exp(dvec_mean(&f->log_think_user)));
        c->think_sigma = sig4(sd_of(&f->log_think_user));
        n += 2;
    }
    if (f->log_tool.n) {
        c->tool_s_median = sig4(exp(dvec_mean(&f->log_tool)));
        c->tool_sigma = sig4(sd_of(&f->log_tool));
        n += 2;
    }
    if (f->user_turns + f->tool_turns) {
        c->user_turn_prob = sig4((double)f->user_turns / (double)(f->user_turns + f->tool_turns));
        n++;
    }
    if (f->main_requests > f->turns.n) {
        /* A fork follows a turn that is not its session's last. */
        c->subagent_prob = sig4((double)f->forks / (double)(f->main_requests - f->turns.n));
        n++;
    }
    if (f->forks) {
        c->subagent_fanout_mean = sig4((double)f->subagents / (double)f->forks);
        n++;
    }
    if (f->subagents) {
        c->subagent_turns_mean = sig4((double)f->sub_requests / (double)f->subagents);
        n++;
    }
    if (f->sub_prompt.n) {
        c->subagent_prompt_tokens = round(dvec_mean(&f->sub_prompt));
        n++;
    }
    if (f->spawn_s.n) {
        c->subagent_spawn_s = sig4(median_of(&f->spawn_s));
        n++;
    }
    if (f->max_input > 0) {
        c->max_context_tokens = f->max_input;
        n++;
    }
    if (f->block_tokens) {
        c->block_tokens = f->block_tokens;
        n++;
    }
    if (f->api_n >= 3) {
        double a[3][3], b[3], x[3];
        memcpy(a, f->api_xtx, sizeof a);
        memcpy(b, f->api_xty, sizeof b);
        if (solve3(a, b, x) == 0) {
            /* A negative coefficient would make tiny requests take negative time: clamp and say so. */
            for (int i = 0; i < 3; i++)
                if (x[i] < 0) {
                    NOTE("api fit: coefficient %d was %g, clamped to 0\n", i, x[i]);
                    x[i] = 0;
                }
            c->api_base_s = sig4(x[0]);
            c->api_s_per_input_token = sig4(x[1]);
            c->api_s_per_output_token = sig4(x[2]);
            n += 3;
        }
    } else {
        NOTE("api_*: not fitted (no recorded api_time)\n");
    }
    if (f->growth_negative)
        NOTE("context shrank between consecutive main turns %llu times (compaction, side requests): not in the "
             "growth law, modelled by compaction at max_context_tokens\n",
             (unsigned long long)f->growth_negative);
#undef NOTE
    return n;
}

cJSON *wl_fit_json(wl_fit_t *f)
{
    wl_synth_cfg_t c;
    wl_synth_defaults(&c);
    char notes[1024];
    wl_fit_result(f, &c, notes, sizeof notes);
    cJSON *o = cJSON_CreateObject();
#define F(cond, k)                                                                                                     \
    do {                                                                                                               \
        if (cond)                                                                                                      \
            cJSON_AddNumberToObject(o, #k, (double)c.k);                                                               \
    } while (0)
    F(f->conv_starts_rate.n, session_rate_per_s);
    F(f->conv_starts_disp.n, arrival_cv);
    if (f->turns.n) {
        F(1, turns_mean);
        F(1, turns_max);
        F(f->main_prompt.n, system_prompt_tokens);
        F(f->log_init_ctx.n, initial_context_tokens_median);
        F(f->log_init_ctx.n, initial_context_sigma);
        F(f->log_growth.n, growth_tokens_median);
        F(f->log_growth.n, growth_sigma);
        F(f->log_out.n, output_tokens_median);
        F(f->log_out.n, output_sigma);
        F(f->log_think_user.n, think_s_median);
        F(f->log_think_user.n, think_sigma);
        F(f->main_requests > f->turns.n, subagent_prob);
        F(f->forks, subagent_fanout_mean);
        F(f->subagents, subagent_turns_mean);
        F(f->max_input > 0, max_context_tokens);
        F(f->block_tokens, block_tokens);
        F(f->user_turns + f->tool_turns, user_turn_prob);
        F(f->log_tool.n, tool_s_median);
        F(f->log_tool.n, tool_sigma);
        F(f->sub_prompt.n, subagent_prompt_tokens);
        F(f->spawn_s.n, subagent_spawn_s);
        F(f->api_n >= 3, api_base_s);
        F(f->api_n >= 3, api_s_per_input_token);
        F(f->api_n >= 3, api_s_per_output_token);
    }
#undef F
    return o;
}
