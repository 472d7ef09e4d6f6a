/* The synthetic agentic generator; see synth.h.
 *
 * Model of one session (all sizes in tokens, times in seconds):
 *  - turns ~ geometric with mean turns_mean (support >= 1), capped at turns_max;
 *  - the input of turn k is the shared system prompt S plus the session's own context C_k;
 *    C_0 ~ lognormal(initial context); C_{k+1} = C_k + output_k + growth, growth ~ lognormal (tool
 *    results, user text); when S + C would exceed max_context_tokens the session compacts: its context
 *    restarts from a fresh summary (a new lognormal initial-context draw) in a new token stream, as coding
 *    agents do when their window fills up;
 *  - output_k ~ lognormal; the nominal service time is api_base_s + per-token terms;
 *  - between turns: with probability user_turn_prob the user thinks (think law), otherwise a tool runs
 *    (tool law);
 *  - after a turn (not the last), with probability subagent_prob the agent forks 1 + Poisson(fanout - 1)
 *    sub-agents; each has geometric(subagent_turns_mean) turns, its own shared sub-agent prompt, a task
 *    prompt drawn from the growth law, tool-law delays, and starts subagent_spawn_s after the fork; the
 *    parent resumes a tool-law delay after the last one finishes.
 * Sessions start at 0 and then at Gamma(1/cv^2) inter-arrival times of mean 1/rate (cv = 1 is Poisson).
 *
 * Warm start (warm_start_s = H > 0): the arrival process starts at -H instead, every session is generated
 * on its nominal timeline (turn k arrives at the completion of turn k-1, nominal service time api_s, plus its
 * delay), and at 0 the sessions are cut: one whose last turn completed before 0 is dropped; one still running
 * keeps its turns from the first whose nominal completion is after 0 (the turn in service, or the one it waits
 * for), which starts at max(0, its nominal arrival) with the context the session has grown to. This is the
 * open arrival process observed at 0 after running for H, so the population is what Little's law gives
 * (rate x E[min(duration, H)] sessions, in expectation) and its ages are the stationary ones: a session of
 * duration D is present with probability proportional to D (length bias) and its age is uniform in it
 * (docs/workloads.md). Sub-agents forked before 0 are dropped (their parent's next turn keeps its nominal
 * time). The cold sessions after 0 continue the same arrival stream, with indices after the warm ones.
 * Block ids come from token streams (blockid.h): the system prompts are shared by all sessions, each
 * session's own context is a stream of its own. */
#include "workloads/synth.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/blockid.h"
#include "workloads/script.h"

void wl_synth_defaults(wl_synth_cfg_t *c)
{
    /* Fitted by `kvtwin trace stats --fit ../shared/traces/mooncake/conversation_trace.jsonl
     * ../shared/traces/kv-cache-tester` (docs/workloads.md); tests/check_synth.c re-runs the fit and checks
     * these figures against it. Run length (sessions, duration) and the block size are choices. */
    c->session_rate_per_s = 2.083;
    c->arrival_cv = 1.276;
    c->sessions = 0;
    c->duration_s = 3600;
    c->turns_mean = 71.89;
    c->turns_max = 350;
    c->system_prompt_tokens = 14478;
    c->initial_context_tokens_median = 12870;
    c->initial_context_sigma = 2.092;
    c->growth_tokens_median = 334.7;
    c->growth_sigma = 1.863;
    c->output_tokens_median = 246;
    c->output_sigma = 0.8831;
    c->think_s_median = 135.8;
    c->think_sigma = 1.848;
    c->subagent_prob = 0.001227;
    c->subagent_fanout_mean = 2.125;
    c->subagent_turns_mean = 12.88;
    c->max_context_tokens = 880502;
    c->block_tokens = 64;
    c->user_turn_prob = 0.1196;
    c->tool_s_median = 11.89;
    c->tool_sigma = 1.237;
    c->subagent_prompt_tokens = 9165;
    c->subagent_spawn_s = 0.694;
    c->api_base_s = 0.7515;
    c->api_s_per_input_token = 2.107e-05;
    c->api_s_per_output_token = 0.01491;
    c->warm_start_s = 0;
    c->horizon_s = 0;
}

int wl_synth_check(const wl_synth_cfg_t *c, char *err, size_t errlen)
{
    if (c->sessions == 0 && !(c->duration_s > 0)) {
        snprintf(err, errlen, "sessions or duration_s: expected a number of sessions or a duration > 0");
        return -1;
    }
    if (!(c->session_rate_per_s > 0)) {
        snprintf(err, errlen, "session_rate_per_s: expected > 0");
        return -1;
    }
    if (c->turns_max < 1 || c->turns_mean < 1 || c->turns_mean > c->turns_max) {
        snprintf(err, errlen, "turns_mean: expected 1 <= turns_mean <= turns_max (%g)", c->turns_max);
        return -1;
    }
    if (c->system_prompt_tokens + 1 > c->max_context_tokens || c->subagent_prompt_tokens + 1 > c->max_context_tokens) {
        snprintf(err, errlen, "max_context_tokens: expected more than the system and sub-agent prompts (%g, %g)",
                 c->system_prompt_tokens, c->subagent_prompt_tokens);
        return -1;
    }
    if (c->subagent_fanout_mean < 1 || c->subagent_turns_mean < 1) {
        snprintf(err, errlen, "subagent_fanout_mean and subagent_turns_mean: expected >= 1");
        return -1;
    }
    if (!(c->warm_start_s >= 0)) {
        snprintf(err, errlen, "warm_start_s: expected >= 0 (0 = cold start)");
        return -1;
    }
    if (c->block_tokens == 0) {
        snprintf(err, errlen, "block_tokens: expected >= 1");
        return -1;
    }
    return 0;
}

struct wl_synth {
    wl_synth_cfg_t c;
    uint64_t seed;
    gsl_rng *arrivals;
    gsl_rng *r;       /* re-seeded per session tree */
    uint64_t index;   /* top-level sessions made */
    uint64_t next_id; /* session ids: index << 12 for the main agent, | 1, 2, ... for its sub-agents, so
                         that a session's ids do not depend on the sessions before it */
    double next_start_s;
    /* warm start */
    wl_script_t **warm; /* sessions begun before 0, by (start_s, session id) */
    size_t n_warm, i_warm;
    uint64_t index0;      /* index of the first session beginning at or after 0 */
    wl_script_t *pending; /* the next new session, made but not yet returned */
};

static gsl_rng *wl_rng_for(uint64_t seed, uint64_t entity)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r)
        gsl_rng_set(r, (unsigned long)kvt_splitmix64(kvt_splitmix64(seed) ^ entity));
    return r;
}

static int wl_synth_warm(wl_synth_t *g);

#define WL_ENTITY_ARRIVALS UINT64_C(0xA5A5000000000001)

int wl_synth_open(wl_synth_t **out, const wl_synth_cfg_t *cfg, uint64_t seed, char *err, size_t errlen)
{
    *out = NULL;
    if (wl_synth_check(cfg, err, errlen))
        return -1;
    wl_synth_t *g = calloc(1, sizeof *g);
    if (!g || !(g->arrivals = wl_rng_for(seed, WL_ENTITY_ARRIVALS)) || !(g->r = gsl_rng_alloc(gsl_rng_mt19937))) {
        wl_synth_close(g);
        snprintf(err, errlen, "synthetic workload: out of memory");
        return -1;
    }
    g->c = *cfg;
    g->seed = seed;
    g->next_start_s = 0;
    if (cfg->warm_start_s > 0 && wl_synth_warm(g)) {
        wl_synth_close(g);
        snprintf(err, errlen, "synthetic workload: out of memory");
        return -1;
    }
    *out = g;
    return 0;
}

void wl_synth_close(wl_synth_t *g)
{
    if (!g)
        return;
    if (g->arrivals)
        gsl_rng_free(g->arrivals);
    if (g->r)
        gsl_rng_free(g->r);
    for (size_t i = g->i_warm; i < g->n_warm; i++)
        wl_script_free(g->warm[i]);
    free(g->warm);
    wl_script_free(g->pending);
    free(g);
}

static double wl_lognormal_median(gsl_rng *r, double median, double sigma)
{
    if (!(median > 0))
        return 0;
    return sigma > 0 ? gsl_ran_lognormal(r, log(median), sigma) : median;
}

static uint32_t wl_turns(gsl_rng *r, double mean, double max)
{
    unsigned n = mean > 1 ? gsl_ran_geometric(r, 1.0 / mean) : 1;
    if (n < 1)
        n = 1;
    if ((double)n > max)
        n = (unsigned)max;
    return n;
}

static uint32_t wl_tokens(double x, uint32_t min)
{
    if (!(x >= min))
        return min;
    if (x > 4e9)
        return 4000000000u;
    return (uint32_t)llround(x);
}

static double wl_api(const wl_synth_cfg_t *c, uint32_t in, uint32_t out)
{
    return c->api_base_s + c->api_s_per_input_token * in + c->api_s_per_output_token * out;
}

/* Draws the delay before the next turn of a main agent; *tool_s gets the tool part. */
static double wl_main_delay(wl_synth_t *g, double *tool_s)
{
    if (gsl_rng_uniform(g->r) < g->c.user_turn_prob) {
        *tool_s = 0;
        return wl_lognormal_median(g->r, g->c.think_s_median, g->c.think_sigma);
    }
    *tool_s = wl_lognormal_median(g->r, g->c.tool_s_median, g->c.tool_sigma);
    return *tool_s;
}

/* Builds one agent's script (main agent at depth 0, sub-agent at 1) starting at t0 on the nominal clock into
 * *out; returns its nominal end (last turn's completion) in *end_s, and 0, or -1 when out of memory. lb_s is
 * the earliest its first turn's delay can start from (the session's start plus the delays before it): past
 * the horizon the script stops (see wl_synth_cfg_t.horizon_s): a main agent's *end_s is then infinite, a
 * sub-agent's stays its nominal end (it goes on drawing, unbuilt). With out
 * NULL it only draws (a dry run): the same random numbers in the same order, the same ids used, no script;
 * the warm start learns this way which sessions end before 0 without building them. */
static int wl_gen_agent(wl_synth_t *g, uint32_t depth, double t0, double first_delay, double lb_s, double *end_s,
                        wl_script_t **out)
{
    const wl_synth_cfg_t *c = &g->c;
    uint64_t id = g->next_id++;
    wl_script_t *s = NULL;
    if (out && !(s = *out = wl_script_new(id, depth)))
        return -1;
    bool sub = depth > 0;
    uint32_t prompt = wl_tokens(sub ? c->subagent_prompt_tokens : c->system_prompt_tokens, 0);
    if (s) {
        s->shared_prefix_tokens = prompt;
        s->start_s = t0;
    }
    uint32_t n =
        sub ? wl_turns(g->r, c->subagent_turns_mean, c->turns_max) : wl_turns(g->r, c->turns_mean, c->turns_max);
    double own = sub ? wl_lognormal_median(g->r, c->growth_tokens_median, c->growth_sigma)
                     : wl_lognormal_median(g->r, c->initial_context_tokens_median, c->initial_context_sigma);
    uint32_t epoch = 0;
    double t = t0, delay = first_delay, tool = sub ? first_delay : 0;
    double room = c->max_context_tokens - prompt;
    double horizon = c->horizon_s > 0 ? c->horizon_s : HUGE_VAL;
    uint32_t cut = 0;
    for (uint32_t k = 0; k < n; k++) {
        lb_s += delay;
        bool last_built = !cut && lb_s > horizon && k + 1 < n;
        if (own > room) {
            /* Compaction: a fresh summary in a new stream. */
            epoch++;
            own = wl_lognormal_median(g->r, c->initial_context_tokens_median, c->initial_context_sigma);
            if (own > room)
                own = room;
        }
        wl_sturn_t t_ = {0};
        uint32_t own_tok = wl_tokens(own, 1);
        t_.input_tokens = prompt + own_tok;
        t_.output_tokens = wl_tokens(wl_lognormal_median(g->r, c->output_tokens_median, c->output_sigma), 1);
        t_.block_tokens = c->block_tokens;
        t_.rec_t_s = t;
        t_.delay_s = delay;
        t_.tool_s = tool;
        t_.think_rec_s = k == 0 ? 0 : delay;
        t_.delay_known = true;
        t_.api_s = wl_api(c, t_.input_tokens, t_.output_tokens);
        wl_run_t runs[2] = {{sub ? WL_SYNTH_STREAM_SUBAGENT : WL_SYNTH_STREAM_SYSTEM, prompt},
                            {WL_SYNTH_STREAM_FIRST + id * 65536u + epoch, own_tok}};
        uint32_t nr = prompt ? 2 : 1;
        if (s && !cut && wl_script_add_run_turn(s, &t_, prompt ? runs : runs + 1, nr)) {
            wl_script_free(s);
            *out = NULL;
            return -1;
        }
        double done = t + t_.api_s;
        if (k + 1 < n) {
            if (!sub && c->subagent_prob > 0 && gsl_rng_uniform(g->r) < c->subagent_prob) {
                unsigned fan = 1 + gsl_ran_poisson(g->r, c->subagent_fanout_mean - 1);
                unsigned ids_left = (unsigned)(4096 - (g->next_id & 0xFFF)); /* ids left to this session */
                if ((g->next_id & 0xFFF) == 0)
                    ids_left = 0;
                if (fan > ids_left)
                    fan = ids_left;
                double join = done;
                for (unsigned f = 0; f < fan; f++) {
                    double cend;
                    wl_script_t *ch = NULL;
                    if (wl_gen_agent(g, depth + 1, done + c->subagent_spawn_s, c->subagent_spawn_s, lb_s, &cend,
                                     s ? &ch : NULL) ||
                        (s && wl_script_add_child(s, ch))) {
                        wl_script_free(ch);
                        wl_script_free(s);
                        if (out)
                            *out = NULL;
                        return -1;
                    }
                    if (cend > join)
                        join = cend;
                }
                tool = wl_lognormal_median(g->r, c->tool_s_median, c->tool_sigma);
                delay = tool;
                t = join + delay;
            } else if (sub) {
                tool = wl_lognormal_median(g->r, c->tool_s_median, c->tool_sigma);
                delay = tool;
                t = done + delay;
            } else {
                delay = wl_main_delay(g, &tool);
                t = done + delay;
            }
            own += t_.output_tokens + wl_lognormal_median(g->r, c->growth_tokens_median, c->growth_sigma);
            if (last_built) {
                /* Past the horizon: a main agent stops (its session has a stream of its own, and the kept
                 * turn's sub-agents were drawn above); a sub-agent builds no more turns but goes on drawing
                 * them, because its siblings and the rest of its parent draw from the same stream after it
                 * and its nominal end is the parent's join. */
                cut = n - k - 1;
                if (!sub)
                    break;
            }
        }
        *end_s = done;
    }
    if (cut && !sub)
        *end_s = HUGE_VAL;
    if (s) {
        s->n_cut = cut;
        s->complete = true;
    }
    return 0;
}

/* Draws the session of index g->index starting at g->next_start_s: its script into *out, or with out NULL
 * only its nominal end (*end_s; see wl_gen_agent). Each session's draws come from its own seed, so a dry run
 * followed by a real one gives the script the real one alone would. Returns 0, -1 when out of memory. */
static int wl_draw_session(wl_synth_t *g, double *end_s, wl_script_t **out)
{
    gsl_rng_set(g->r, (unsigned long)kvt_splitmix64(kvt_splitmix64(g->seed) ^ (g->index + 1)));
    g->next_id = g->index << 12;
    return wl_gen_agent(g, 0, g->next_start_s, 0, g->next_start_s, end_s, out);
}

/* Moves on to the next session: its index, and its start from the arrival process. */
static void wl_next_session(wl_synth_t *g)
{
    const wl_synth_cfg_t *c = &g->c;
    g->index++;
    /* Gamma inter-arrivals with mean 1/rate and the requested CV (shape 1/cv^2); cv 0 is a fixed period. */
    double mean = 1.0 / c->session_rate_per_s;
    double cv = c->arrival_cv;
    double gap = cv > 0 ? gsl_ran_gamma(g->arrivals, 1.0 / (cv * cv), mean * cv * cv) : mean;
    g->next_start_s += gap;
}

/* Makes the session of index g->index starting at g->next_start_s, and draws the next start. */
static wl_script_t *wl_make_session(wl_synth_t *g)
{
    double start = g->next_start_s, end;
    wl_script_t *s = NULL;
    if (wl_draw_session(g, &end, &s))
        return NULL;
    s->start_s = start;
    s->origin_s = start;
    wl_next_session(g);
    return s;
}

/* Cuts a session begun before 0 at 0 (see the top of this file): 1 if it is still running, 0 if it has
 * ended (the caller frees it). */
static int wl_cut_at_zero(wl_script_t *s)
{
    uint32_t k0 = 0;
    while (k0 < s->n_turns && !(s->turns[k0].rec_t_s + s->turns[k0].api_s > 0))
        k0++;
    if (k0 == s->n_turns)
        return 0;
    uint32_t c0 = s->turns[k0].child0; /* children forked before turn k0 */
    for (uint32_t i = 0; i < c0; i++)
        wl_script_free(s->children[i]);
    s->n_children -= c0;
    if (c0 && s->n_children) /* memmove's pointers must be valid even for 0 bytes: children may be NULL */
        memmove(s->children, s->children + c0, (size_t)s->n_children * sizeof *s->children);
    s->n_turns -= k0;
    if (k0)
        memmove(s->turns, s->turns + k0, (size_t)s->n_turns * sizeof *s->turns);
    /* The runs of the turns cut go too (the kept turns' runs follow them, in order), and the arrays shrink:
     * a day-long warm start holds thousands of long sessions at once. */
    size_t r0 = s->turns[0].off;
    s->n_runs -= r0;
    if (r0 && s->n_runs)
        memmove(s->runs, s->runs + r0, s->n_runs * sizeof *s->runs);
    for (uint32_t k = 0; k < s->n_turns; k++) {
        s->turns[k].child0 -= c0;
        s->turns[k].off -= r0;
    }
    wl_sturn_t *tt = realloc(s->turns, (size_t)s->n_turns * sizeof *tt);
    if (tt) {
        s->turns = tt;
        s->cap_turns = s->n_turns;
    }
    wl_run_t *rr = s->n_runs ? realloc(s->runs, s->n_runs * sizeof *rr) : NULL;
    if (rr) {
        s->runs = rr;
        s->cap_runs = s->n_runs;
    }
    for (uint32_t i = 0; i < s->n_children; i++)
        s->children[i]->parent_turn -= k0;
    wl_sturn_t *t = &s->turns[0];
    double start = t->rec_t_s > 0 ? t->rec_t_s : 0;
    /* What is left of the delay after 0 (none for a turn in service), the tool share kept in proportion. */
    double left = start < t->delay_s ? start : t->delay_s;
    t->tool_s = t->delay_s > 0 ? t->tool_s * left / t->delay_s : 0;
    t->delay_s = left;
    t->rec_t_s = start;
    s->first_turn = k0;
    s->start_s = start;
    return 1;
}

static int wl_warm_cmp(const void *a, const void *b)
{
    const wl_script_t *x = *(wl_script_t *const *)a, *y = *(wl_script_t *const *)b;
    if (x->start_s != y->start_s)
        return x->start_s < y->start_s ? -1 : 1;
    return x->session_id < y->session_id ? -1 : x->session_id > y->session_id;
}

static int wl_synth_warm(wl_synth_t *g)
{
    size_t cap = 0;
    g->next_start_s = -g->c.warm_start_s;
    while (g->next_start_s < 0) {
        /* Most sessions of a long warm start have ended by 0: a dry run finds those, unbuilt. A session is
         * running at 0 exactly when its last turn's nominal completion is after 0 (completions only grow). */
        double end;
        if (wl_draw_session(g, &end, NULL))
            return -1;
        if (!(end > 0)) {
            wl_next_session(g);
            continue;
        }
        wl_script_t *s = wl_make_session(g);
        if (!s)
            return -1;
        if (!wl_cut_at_zero(s)) {
            wl_script_free(s);
            continue;
        }
        if (g->n_warm == cap) {
            size_t nc = cap ? 2 * cap : 256;
            wl_script_t **w = realloc(g->warm, nc * sizeof *w);
            if (!w) {
                wl_script_free(s);
                return -1;
            }
            g->warm = w;
            cap = nc;
        }
        g->warm[g->n_warm++] = s;
    }
    if (g->n_warm)
        qsort(g->warm, g->n_warm, sizeof *g->warm, wl_warm_cmp);
    g->index0 = g->index;
    return 0;
}

int wl_synth_next(wl_synth_t *g, wl_script_t **out)
{
    *out = NULL;
    const wl_synth_cfg_t *c = &g->c;
    if (!g->pending && !(c->sessions ? g->index - g->index0 >= c->sessions : g->next_start_s > c->duration_s)) {
        if (!(g->pending = wl_make_session(g)))
            return -1;
    }
    wl_script_t *w = g->i_warm < g->n_warm ? g->warm[g->i_warm] : NULL;
    if (w && (!g->pending || w->start_s <= g->pending->start_s)) {
        g->warm[g->i_warm++] = NULL;
        *out = w;
        return 1;
    }
    if (!g->pending)
        return 0;
    *out = g->pending;
    g->pending = NULL;
    return 1;
}
