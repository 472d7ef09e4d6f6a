/* The workload source: open-loop and closed-loop replay of traces and of the generator; see source.h.
 *
 * Three ways of running:
 *  - streamed open loop (request logs, native files): one record read ahead, arrivals = trace time x
 *    time_scale; memory is one request whatever the trace length;
 *  - scripted open loop (session directories, the generator): session scripts are loaded when their
 *    start comes up and their turns merged by recorded time (held: the sessions that have started);
 *  - closed loop (every format): session scripts are started in order (capped, ramped), and each turn
 *    is issued only when the turn before it completed, plus its think/tool delay by the timing strategy.
 * Ready turns wait in one binary heap ordered by (time, sequence number): ties go in the order they were
 * scheduled, so a run is deterministic. Times are seconds of simulated time. */
#include "workloads/source.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "workloads/blockid.h"
#include "workloads/reader.h"
#include "workloads/script.h"

const char *const wl_replay_names[] = {"open", "closed", NULL};
const char *const wl_timing_names[] = {"think-only", "original", "api-scaled", NULL};
const char *const wl_overflow_names[] = {"warn", "truncate", "reject", "error", NULL};

void wl_config_defaults(wl_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->format = WL_FMT_AUTO;
    c->path[0] = '\0';
    c->replay = WL_CLOSED_LOOP;
    c->time_scale = 1.0;
    c->timing = WL_TIMING_THINK_ONLY;
    c->api_scale = 1.0;
    c->max_sessions = 0;
    c->ramp_up_s = 0;
    c->warm_shared_prefix = false;
    c->max_requests = 0;
    c->max_arrival_s = 0;
    c->skip_bad = false;
    c->allow_backwards_time = false;
    c->timestamp_bucket_s = 3.0;
    c->default_block_tokens = 64;
    c->seed = 1;
    wl_synth_defaults(&c->synth);
}

/* A running agent (closed loop) or an agent being merged (scripted open loop). */
typedef struct wl_live {
    wl_script_t *script; /* owned by the root live */
    struct wl_live *parent;
    uint32_t cur;                          /* turn last delivered */
    uint32_t next;                         /* turn to deliver next */
    uint32_t waiting;                      /* children not finished */
    double prev_arrival_s;                 /* of the turn last delivered */
    double join_s;                         /* latest finish among the children of the last fork */
    wl_ctx_t ctx;                          /* ids of the turn last delivered (to expand the next turn's delta) */
    struct wl_live *prev_live, *next_live; /* every live agent, so that closing frees them all */
} wl_live_t;

typedef struct wl_ev {
    double t_s;
    uint64_t seq;
    wl_live_t *live;
} wl_ev_t;

enum { SRC_STREAM_OPEN, SRC_SCRIPT_OPEN, SRC_CLOSED };

struct wl_source {
    wl_config_t cfg;
    int mode;
    int format;
    wl_stream_t *stream;
    wl_synth_t *synth;
    wl_asm_t *as;
    bool input_done;
    /* streamed open loop */
    wl_request_t ahead;
    wl_sess_info_t ahead_info;
    bool have_ahead;
    /* scripts */
    wl_script_t *next_script; /* fetched, not started */
    bool next_blocked;        /* it found every session slot taken */
    double next_floor_s;      /* it may not start before this (the end that freed its slot) */
    uint64_t started;         /* top-level scripts started */
    double last_admit_s;      /* start time of the last script started */
    double now_s;             /* latest time the caller has shown the source (deliveries, completions) */
    uint32_t active;          /* top-level scripts running */
    wl_ev_t *heap;
    size_t n_ev, cap_ev;
    uint64_t seq;
    uint64_t in_flight;
    /* results */
    wl_source_counts_t counts;
    uint64_t truncated; /* sessions cut by max_arrival_s */
    double last_arrival_s;
    bool failed;
    char fail_msg[768];
    wl_run_t last_runs[WL_MAX_RUNS]; /* copied: the script may be freed right after delivery */
    uint32_t n_last_runs;
    wl_live_t *lives;
    /* what the last completion scheduled for an agent that had run before (wl_source_scheduled) */
    bool sched_valid;
    uint64_t sched_session;
    uint32_t sched_turn;
    double sched_t_s;
};

/* ---- heap ---- */

static bool ev_less(const wl_ev_t *a, const wl_ev_t *b)
{
    return a->t_s < b->t_s || (a->t_s == b->t_s && a->seq < b->seq);
}

static int ev_push(wl_source_t *s, double t, wl_live_t *l)
{
    if (s->n_ev == s->cap_ev) {
        size_t nc = s->cap_ev ? s->cap_ev * 2 : 256;
        s->heap = kvt_realloc(s->heap, nc, sizeof *s->heap);
        s->cap_ev = nc;
    }
    size_t i = s->n_ev++;
    wl_ev_t e = {t, s->seq++, l};
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ev_less(&e, &s->heap[p]))
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = e;
    return 0;
}

static wl_ev_t ev_pop(wl_source_t *s)
{
    assert(s->n_ev > 0);
    wl_ev_t top = s->heap[0];
    wl_ev_t last = s->heap[--s->n_ev];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n_ev)
            break;
        if (c + 1 < s->n_ev && ev_less(&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!ev_less(&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n_ev > 0)
        s->heap[i] = last;
    return top;
}

/* ---- opening ---- */

static void src_fail(wl_source_t *s, const char *msg)
{
    if (!s->failed) {
        s->failed = true;
        snprintf(s->fail_msg, sizeof s->fail_msg, "%s", msg);
    }
}

int wl_source_open(wl_source_t **out, const wl_config_t *cfg, char *err, size_t errlen)
{
    *out = NULL;
    if (!(cfg->time_scale > 0) || !(cfg->api_scale >= 0)) {
        snprintf(err, errlen, "workload: time_scale must be > 0 and api_scale >= 0");
        return -1;
    }
    wl_source_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "workload: out of memory");
        return -1;
    }
    s->cfg = *cfg;
    int fmt = cfg->format;
    if (fmt == WL_FMT_AUTO && cfg->path[0] == '\0')
        fmt = wl_format_synthetic;
    if (fmt == wl_format_synthetic) {
        if (wl_synth_open(&s->synth, &cfg->synth, cfg->seed, err, errlen)) {
            free(s);
            return -1;
        }
        s->mode = cfg->replay == WL_OPEN_LOOP ? SRC_SCRIPT_OPEN : SRC_CLOSED;
        *out = s;
        return 0;
    }
    if (cfg->path[0] == '\0') {
        snprintf(err, errlen, "workload.path: expected a trace file or directory for format \"%s\"",
                 wl_format_names[fmt]);
        free(s);
        return -1;
    }
    wl_stream_opts_t so = {0};
    so.format = fmt;
    so.skip_bad = cfg->skip_bad;
    so.reader.default_block_tokens = cfg->default_block_tokens ? cfg->default_block_tokens : 64;
    so.reader.allow_backwards_time = cfg->allow_backwards_time;
    so.reader.bucket_s = cfg->timestamp_bucket_s;
    if (cfg->replay == WL_OPEN_LOOP && cfg->ramp_up_s > 0) {
        /* Conversations of a session directory carry no absolute start: in open loop they are staggered
         * evenly over ramp_up_s (all at 0 without it). In closed loop the cap and the ramp-up decide. */
        char **names;
        size_t n;
        if (wl_list_inputs(cfg->path, &names, &n, err, errlen)) {
            free(s);
            return -1;
        }
        wl_free_inputs(names, n);
        so.stagger_s = cfg->ramp_up_s / (double)n;
    }
    if (wl_stream_open(&s->stream, cfg->path, &so, err, errlen)) {
        free(s);
        return -1;
    }
    const wl_reader_ops_t *ops = wl_stream_reader(s->stream);
    if (cfg->replay == WL_CLOSED_LOOP)
        s->mode = SRC_CLOSED;
    else
        s->mode = ops->whole_conversations ? SRC_SCRIPT_OPEN : SRC_STREAM_OPEN;
    if (s->mode != SRC_STREAM_OPEN && !(s->as = wl_asm_new())) {
        wl_source_close(s);
        snprintf(err, errlen, "workload: out of memory");
        return -1;
    }
    *out = s;
    return 0;
}

void wl_source_close(wl_source_t *s)
{
    if (!s)
        return;
    /* Agents still running own nothing but their context; a top-level one owns its script tree. */
    while (s->lives) {
        wl_live_t *l = s->lives;
        s->lives = l->next_live;
        if (!l->parent)
            wl_script_free(l->script);
        wl_ctx_free(&l->ctx);
        free(l);
    }
    free(s->heap);
    wl_script_free(s->next_script);
    wl_stream_close(s->stream);
    wl_synth_close(s->synth);
    wl_asm_free(s->as);
    wl_request_free(&s->ahead);
    free(s);
}

/* ---- fetching scripts ---- */

static void src_record_error(wl_source_t *s, const wl_sess_info_t *info, const char *msg)
{
    char buf[768];
    snprintf(buf, sizeof buf, "%s:%llu: %s", wl_stream_file_name(s->stream), (unsigned long long)info->line, msg);
    src_fail(s, buf);
}

/* Next top-level script in start order: 1, 0 when none is left, -1 on error (s->fail_msg). */
static int src_fetch(wl_source_t *s, wl_script_t **out)
{
    *out = NULL;
    if (s->failed)
        return -1;
    if (s->synth) {
        int rc = wl_synth_next(s->synth, out);
        if (rc < 0)
            src_fail(s, "synthetic workload: out of memory");
        if (rc == 0) {
            wl_synth_close(s->synth);
            s->synth = NULL;
            s->input_done = true;
        }
        return rc;
    }
    if (!s->as)
        return 0;
    wl_request_t req = {0};
    wl_sess_info_t info;
    char err[512];
    int ret = 0;
    for (;;) {
        wl_script_t *sc = wl_asm_pop(s->as);
        if (sc) {
            *out = sc;
            ret = 1;
            break;
        }
        if (s->input_done)
            break;
        int rc = wl_stream_next(s->stream, &req, &info, err, sizeof err);
        if (rc == WL_REC_FATAL) {
            src_fail(s, err);
            ret = -1;
            break;
        }
        if (rc == WL_REC_EOF) {
            s->input_done = true;
            wl_asm_finish(s->as);
            continue;
        }
        if (wl_asm_add(s->as, &req, &info, err, sizeof err)) {
            if (s->cfg.skip_bad) {
                s->counts.skipped++;
                continue;
            }
            src_record_error(s, &info, err);
            ret = -1;
            break;
        }
    }
    wl_request_free(&req);
    return ret;
}

/* ---- delivering ---- */

static double src_open_time(const wl_source_t *s, const struct wl_live *l, uint32_t k);

static int src_deliver(wl_source_t *s, wl_live_t *l, double t, wl_request_t *req, wl_sess_info_t *info)
{
    const wl_script_t *sc = l->script;
    uint32_t k = l->next;
    if (wl_script_fill(sc, k, &l->ctx, req)) {
        src_fail(s, "workload: out of memory");
        return -1;
    }
    const wl_sturn_t *tu = &sc->turns[k];
    req->id = s->counts.delivered++;
    req->arrival_s = t;
    req->session_ref = l;
    req->parent_session = sc->parent_session;
    req->turns_left = sc->n_turns + sc->n_cut - k - 1;
    req->fork = tu->fork;
    req->next_arrival_s = NAN;
    if (s->mode == SRC_SCRIPT_OPEN && k + 1 < sc->n_turns && tu->fork == 0) {
        /* Open loop: the next turn comes at its recorded time (never before this one, as src_open_after). */
        double tn = src_open_time(s, l, k + 1);
        req->next_arrival_s = tn < t ? t : tn;
    }
    if (s->cfg.warm_shared_prefix && sc->shared_prefix_tokens)
        wl_apply_warm_prefix(req, sc->shared_prefix_tokens);
    l->cur = k;
    l->next = k + 1;
    l->prev_arrival_s = t;
    s->last_arrival_s = t;
    if (t > s->now_s)
        s->now_s = t;
    assert(tu->n_runs <= WL_MAX_RUNS);
    if (tu->n_runs)
        memcpy(s->last_runs, sc->runs + tu->off, tu->n_runs * sizeof *s->last_runs);
    s->n_last_runs = tu->n_runs;
    if (info) {
        memset(info, 0, sizeof *info);
        info->parent_session = sc->parent_session;
        info->parent_turn = sc->parent_turn;
        info->fork = tu->fork;
        info->last = k + 1 == sc->n_turns && sc->n_cut == 0;
        info->delay_known = tu->delay_known;
        info->tool_s = tu->tool_s;
        info->think_rec_s = tu->think_rec_s;
        info->shared_prefix_tokens = sc->shared_prefix_tokens;
    }
    return 0;
}

static wl_live_t *live_new(wl_source_t *s, wl_script_t *sc, wl_live_t *parent)
{
    wl_live_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->script = sc;
    l->parent = parent;
    l->next_live = s->lives;
    if (s->lives)
        s->lives->prev_live = l;
    s->lives = l;
    return l;
}

/* Unlinks and frees an agent (its script stays with the tree's root). */
static void live_free(wl_source_t *s, wl_live_t *l)
{
    if (l->prev_live)
        l->prev_live->next_live = l->next_live;
    else
        s->lives = l->next_live;
    if (l->next_live)
        l->next_live->prev_live = l->prev_live;
    wl_ctx_free(&l->ctx);
    free(l);
}

/* ---- scripted open loop ---- */

static double src_open_time(const wl_source_t *s, const struct wl_live *l, uint32_t k)
{
    double t = l->script->turns[k].rec_t_s;
    if (!isfinite(t))
        return s->last_arrival_s;
    return t * s->cfg.time_scale;
}

static void live_free_tree_if_done(wl_source_t *s, wl_live_t *l);

/* An agent of a merged tree has delivered turn cur: schedule what follows in recorded time (never before
 * what was just delivered, so the merged stream stays ordered). */
static int src_open_after(wl_source_t *s, wl_live_t *l)
{
    const wl_script_t *sc = l->script;
    const wl_sturn_t *tu = &sc->turns[l->cur];
    for (uint32_t c = 0; c < tu->fork; c++) {
        wl_live_t *ch = live_new(s, sc->children[tu->child0 + c], l);
        if (!ch)
            return -1;
        double t = src_open_time(s, ch, 0);
        if (ev_push(s, t < l->prev_arrival_s ? l->prev_arrival_s : t, ch)) {
            live_free(s, ch);
            return -1;
        }
        l->waiting++;
    }
    if (l->next < sc->n_turns) {
        double t = src_open_time(s, l, l->next);
        return ev_push(s, t < l->prev_arrival_s ? l->prev_arrival_s : t, l);
    }
    live_free_tree_if_done(s, l);
    return 0;
}

/* Frees an agent that has delivered everything and whose children are done, then its parent likewise. */
static void live_free_tree_if_done(wl_source_t *s, wl_live_t *l)
{
    while (l && l->next >= l->script->n_turns && l->waiting == 0) {
        wl_live_t *p = l->parent;
        if (!p) {
            wl_script_free(l->script);
            s->active--;
        } else {
            p->waiting--;
        }
        live_free(s, l);
        l = p;
    }
}

/* ---- closed loop ---- */

static double src_start_time(const wl_source_t *s, const wl_script_t *sc)
{
    double t = isfinite(sc->start_s) ? sc->start_s * s->cfg.time_scale : 0;
    if (s->cfg.max_sessions && s->started < s->cfg.max_sessions && s->cfg.ramp_up_s > 0) {
        double ramp = s->cfg.ramp_up_s * (double)s->started / (double)s->cfg.max_sessions;
        if (ramp > t)
            t = ramp;
    }
    if (s->next_blocked && s->next_floor_s > t)
        t = s->next_floor_s;
    /* Sessions start in order (one held back by the ramp holds back those behind it), and never in the
     * source's past: a late slot or a ramp turns a past start into now. */
    if (t < s->last_admit_s)
        t = s->last_admit_s;
    if (t < s->now_s)
        t = s->now_s;
    return t;
}

static bool src_past_cutoff(const wl_source_t *s, double t)
{
    return s->cfg.max_arrival_s > 0 && t > s->cfg.max_arrival_s;
}

static void src_finish_live(wl_source_t *s, wl_live_t *l, double t_end);

/* Schedules turn l->next at or after base (the completion of the previous turn, or the children's join). */
static void src_advance(wl_source_t *s, wl_live_t *l, double base, bool after_fork)
{
    const wl_script_t *sc = l->script;
    if (l->next >= sc->n_turns) {
        /* A script cut at the generator's horizon ends only after the run's end of arrivals; were it
         * reached, its rest would be counted as after the end, as below. */
        if (sc->n_cut)
            s->truncated++;
        src_finish_live(s, l, base);
        return;
    }
    const wl_sturn_t *prev = &sc->turns[l->cur];
    const wl_sturn_t *tu = &sc->turns[l->next];
    double t = base + tu->delay_s;
    switch (s->cfg.timing) {
    case WL_TIMING_ORIGINAL:
        if (isfinite(tu->rec_t_s) && isfinite(prev->rec_t_s)) {
            t = l->prev_arrival_s + (tu->rec_t_s - prev->rec_t_s);
            if (t < base)
                t = base;
        }
        break;
    case WL_TIMING_API_SCALED:
        if (!after_fork && prev->api_s >= 0) {
            t = l->prev_arrival_s + prev->api_s * s->cfg.api_scale + tu->delay_s;
            if (t < base)
                t = base;
        } else if (!after_fork && isfinite(tu->rec_t_s) && isfinite(prev->rec_t_s)) {
            /* No recorded service time: fall back to the recorded gap, as the upstream replayer does. */
            t = l->prev_arrival_s + (tu->rec_t_s - prev->rec_t_s);
            if (t < base)
                t = base;
        }
        break;
    default:
        break;
    }
    if (src_past_cutoff(s, t)) {
        s->truncated++;
        l->next = sc->n_turns; /* the rest of this agent falls after the end of arrivals */
        src_finish_live(s, l, base);
        return;
    }
    if (ev_push(s, t, l)) {
        src_fail(s, "workload: out of memory");
        return;
    }
    s->sched_valid = true;
    s->sched_session = sc->session_id;
    s->sched_turn = l->next;
    s->sched_t_s = t;
}

/* An agent is done (its last turn completed, or it was cut): tell its parent, or free its slot. */
static void src_finish_live(wl_source_t *s, wl_live_t *l, double t_end)
{
    wl_live_t *p = l->parent;
    if (!p) {
        wl_script_free(l->script);
        live_free(s, l);
        s->active--;
        if (s->next_script && s->next_blocked && t_end > s->next_floor_s)
            s->next_floor_s = t_end;
        return;
    }
    live_free(s, l);
    if (t_end > p->join_s)
        p->join_s = t_end;
    if (--p->waiting == 0)
        src_advance(s, p, p->join_s, true);
}

/* Makes s->next_script the next script to start, if any. */
static void src_lookahead(wl_source_t *s)
{
    if (!s->next_script && !s->failed) {
        wl_script_t *sc;
        if (src_fetch(s, &sc) == 1) {
            s->next_script = sc;
            s->next_blocked = false;
            s->next_floor_s = 0;
        }
    }
}

/* Time at which the next script may start, HUGE_VAL if none can now. */
static double src_admit_time(wl_source_t *s)
{
    if (s->cfg.max_requests && s->counts.delivered >= s->cfg.max_requests)
        return HUGE_VAL;
    src_lookahead(s);
    if (!s->next_script)
        return HUGE_VAL;
    if (s->mode == SRC_CLOSED && s->cfg.max_sessions && s->active >= s->cfg.max_sessions) {
        s->next_blocked = true;
        return HUGE_VAL;
    }
    double t = s->mode == SRC_CLOSED
                   ? src_start_time(s, s->next_script)
                   : (isfinite(s->next_script->start_s) ? s->next_script->start_s : 0) * s->cfg.time_scale;
    return t;
}

static int src_admit(wl_source_t *s, double t)
{
    wl_script_t *sc = s->next_script;
    s->next_script = NULL;
    if (src_past_cutoff(s, t)) {
        /* Sessions starting after the end of arrivals are not started; nor are later ones. */
        wl_script_free(sc);
        s->input_done = true;
        wl_asm_free(s->as);
        s->as = NULL;
        wl_synth_close(s->synth);
        s->synth = NULL;
        return 0;
    }
    wl_live_t *l = live_new(s, sc, NULL);
    if (!l || ev_push(s, t, l)) {
        if (l)
            live_free(s, l);
        wl_script_free(sc);
        src_fail(s, "workload: out of memory");
        return -1;
    }
    s->active++;
    s->started++;
    s->counts.sessions++;
    s->last_admit_s = t;
    return 0;
}

/* ---- streamed open loop ---- */

static int src_stream_ahead(wl_source_t *s)
{
    if (s->have_ahead || s->input_done || s->failed)
        return 0;
    char err[512];
    int rc = wl_stream_next(s->stream, &s->ahead, &s->ahead_info, err, sizeof err);
    if (rc == WL_REC_FATAL) {
        src_fail(s, err);
        return -1;
    }
    if (rc == WL_REC_EOF) {
        s->input_done = true;
        return 0;
    }
    double t = s->ahead.arrival_s * s->cfg.time_scale;
    if (t < s->last_arrival_s)
        t = s->last_arrival_s; /* let through by allow_backwards_time: never deliver into the past */
    s->ahead.arrival_s = t;
    if (src_past_cutoff(s, t)) {
        s->input_done = true;
        return 0;
    }
    s->have_ahead = true;
    return 0;
}

/* ---- the interface ---- */

double wl_source_peek_time(wl_source_t *s)
{
    if (s->failed)
        return s->last_arrival_s;
    if (s->cfg.max_requests && s->counts.delivered >= s->cfg.max_requests)
        return HUGE_VAL;
    if (s->mode == SRC_STREAM_OPEN) {
        src_stream_ahead(s);
        if (s->failed)
            return s->last_arrival_s;
        return s->have_ahead ? s->ahead.arrival_s : HUGE_VAL;
    }
    double ta = src_admit_time(s);
    if (s->failed)
        return s->last_arrival_s;
    double th = s->n_ev ? s->heap[0].t_s : HUGE_VAL;
    return ta < th ? ta : th;
}

int wl_source_next_info(wl_source_t *s, wl_request_t *req, wl_sess_info_t *info, char *err, size_t errlen)
{
    double t = wl_source_peek_time(s);
    if (s->failed) {
        snprintf(err, errlen, "%s", s->fail_msg);
        return -1;
    }
    if (!isfinite(t))
        return 0;
    s->n_last_runs = 0;
    if (s->mode == SRC_STREAM_OPEN) {
        uint64_t *ids = req->block_ids;
        uint32_t cap = req->blocks_cap;
        *req = s->ahead;
        s->ahead.block_ids = ids;
        s->ahead.blocks_cap = cap;
        s->have_ahead = false;
        req->id = s->counts.delivered++;
        req->session_ref = NULL;
        req->parent_session = s->ahead_info.parent_session;
        req->turns_left = s->ahead_info.last ? 0 : WL_TURNS_UNKNOWN;
        req->fork = s->ahead_info.fork;
        req->next_arrival_s = NAN;
        if (s->cfg.warm_shared_prefix && s->ahead_info.shared_prefix_tokens)
            wl_apply_warm_prefix(req, s->ahead_info.shared_prefix_tokens);
        if (s->ahead_info.parent_session == WL_NO_SESSION && req->turn == 0 && req->session_id != WL_NO_SESSION)
            s->counts.sessions++;
        s->last_arrival_s = req->arrival_s;
        if (info)
            *info = s->ahead_info;
        return 1;
    }
    for (;;) {
        /* Sessions due no later than the first ready turn start first (their turn 0 may be that turn). */
        double ta = src_admit_time(s);
        double th = s->n_ev ? s->heap[0].t_s : HUGE_VAL;
        if (s->failed)
            goto failed;
        if (ta > th || !isfinite(ta))
            break;
        if (src_admit(s, ta))
            goto failed;
    }
    if (s->n_ev == 0)
        return 0;
    wl_ev_t e = ev_pop(s);
    if (src_deliver(s, e.live, e.t_s, req, info))
        goto failed;
    if (s->mode == SRC_SCRIPT_OPEN) {
        if (src_open_after(s, e.live))
            src_fail(s, "workload: out of memory");
    } else {
        s->in_flight++;
    }
    return 1;
failed:
    snprintf(err, errlen, "%s", s->fail_msg);
    return -1;
}

int wl_source_next(wl_source_t *s, wl_request_t *req, char *err, size_t errlen)
{
    return wl_source_next_info(s, req, NULL, err, errlen);
}

void wl_source_complete(wl_source_t *s, const wl_request_t *req, double t_first_s, double t_done_s)
{
    (void)t_first_s;
    s->sched_valid = false;
    if (s->mode != SRC_CLOSED)
        return;
    wl_live_t *l = req->session_ref;
    assert(l && s->in_flight > 0);
    if (t_done_s > s->now_s)
        s->now_s = t_done_s;
    assert(req->turn == l->cur);
    s->in_flight--;
    const wl_script_t *sc = l->script;
    const wl_sturn_t *tu = &sc->turns[l->cur];
    if (tu->fork > 0) {
        /* Sub-agents of one fork start together; the parent resumes when the last one finishes. */
        l->join_s = t_done_s;
        l->waiting = tu->fork;
        for (uint32_t c = 0; c < tu->fork; c++) {
            wl_live_t *ch = live_new(s, sc->children[tu->child0 + c], l);
            if (!ch) {
                src_fail(s, "workload: out of memory");
                return;
            }
            double t = t_done_s + ch->script->turns[0].delay_s;
            if (src_past_cutoff(s, t)) {
                s->truncated++;
                ch->next = ch->script->n_turns;
                src_finish_live(s, ch, t_done_s);
                continue;
            }
            if (ev_push(s, t, ch)) {
                live_free(s, ch);
                src_fail(s, "workload: out of memory");
                return;
            }
        }
        return;
    }
    src_advance(s, l, t_done_s, false);
}

bool wl_source_knows_next(const wl_source_t *s)
{
    return s->mode != SRC_STREAM_OPEN;
}

int wl_source_scheduled(const wl_source_t *s, uint64_t *session, uint32_t *turn, double *t_s)
{
    if (!s->sched_valid)
        return 0;
    *session = s->sched_session;
    *turn = s->sched_turn;
    *t_s = s->sched_t_s;
    return 1;
}

bool wl_source_finished(const wl_source_t *s)
{
    if (s->cfg.max_requests && s->counts.delivered >= s->cfg.max_requests)
        return true;
    if (s->mode == SRC_STREAM_OPEN)
        return !s->have_ahead && s->input_done;
    bool more_input = s->next_script || !s->input_done || (s->as && wl_asm_pending(s->as) > 0);
    return s->n_ev == 0 && s->in_flight == 0 && !more_input;
}

void wl_source_counts(const wl_source_t *s, wl_source_counts_t *out)
{
    *out = s->counts;
    if (s->stream) {
        out->skipped += wl_stream_skipped(s->stream);
        out->backwards_time = wl_stream_backwards(s->stream);
    }
}

uint32_t wl_source_last_runs(const wl_source_t *s, const wl_run_t **runs)
{
    *runs = s->n_last_runs ? s->last_runs : NULL;
    return s->n_last_runs;
}
