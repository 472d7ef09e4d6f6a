/* kvtwin cache: cache-only replay. Reads one or more traces through the workload sources (open loop, any
 * supported format), keeps their block references in memory once, then replays them through a KV tier
 * stack with no timing for every (policy, capacity) point and prints the hit rates per tier and overall,
 * token-weighted and request-averaged (definitions in sim/kv/replay.h and docs/validation.md).
 * Capacities are in tokens (converted with the trace's block size) unless suffixed with b (blocks);
 * "inf" is a cache that never evicts. Traces given together are concatenated; the block ids of the second
 * and later files are mixed with the file's index so that files never share blocks by accident.
 *
 * Order of the replay: the workload source's open loop. Request logs in file order; a directory of agentic
 * conversations (kv-cache-tester) with every conversation starting at time 0 and all their requests, sub-
 * agents' included, merged by recorded time (so conversations overlap as concurrent users would).
 * With --sessions, each row also gives the figures of main-agent requests (depth 0) alone and the
 * distribution over top-level sessions of their token-weighted hit rate (VALIDATION.md 2 counts those). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "sim/base/jsonbind.h"
#include "sim/base/mix.h"
#include "sim/cli/cli.h"
#include "sim/kv/kv.h"
#include "sim/kv/mrc.h"
#include "sim/kv/policy.h"
#include "sim/kv/replay.h"
#include "sim/kv/route.h"
#include "sim/kv/write.h"
#include "workloads/source.h"

#define MAX_POINTS 256
#define MAX_POLICIES 32

typedef struct tier_spec {
    bool enabled, swept, inclusive;
    double cap;      /* tokens or blocks, see blocks; INFINITY: never evicts */
    bool blocks;     /* cap is in blocks */
    char policy[32]; /* "" = the --policy of the run */
} tier_spec_t;

static int tier_index(const char *name)
{
    for (int t = 0; t < KV_NTIERS; t++)
        if (strcmp(kv_tier_name(t), name) == 0)
            return t;
    return -1;
}

/* "12", "1e6", "2000b", "inf" -> value; false on junk. */
static bool parse_cap(const char *s, double *v, bool *blocks)
{
    *blocks = false;
    if (strcmp(s, "inf") == 0) {
        *v = INFINITY;
        return true;
    }
    char *end;
    double x = strtod(s, &end);
    if (end == s || !(x > 0) || !isfinite(x))
        return false;
    if (*end == 'b' && end[1] == '\0')
        *blocks = true;
    else if (*end)
        return false;
    *v = x;
    return true;
}

/* "G1=*,G2=4e7:exclusive:lfu,G4=inf" */
static int parse_tiers(const char *text, tier_spec_t *ts, char *msg, size_t len)
{
    memset(ts, 0, KV_NTIERS * sizeof *ts);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    int swept = 0;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            snprintf(msg, len, "--tiers: expected NAME=CAPACITY in \"%s\"", item);
            return -1;
        }
        *eq = '\0';
        int t = tier_index(item);
        if (t < 0) {
            snprintf(msg, len, "--tiers: unknown tier \"%s\"; valid tiers: G1, G2, G3, G3.5, G4", item);
            return -1;
        }
        tier_spec_t *x = &ts[t];
        x->enabled = true;
        x->inclusive = true;
        char *save2 = NULL;
        char *cap = strtok_r(eq + 1, ":", &save2);
        if (cap && strcmp(cap, "*") == 0) {
            x->swept = true;
            swept++;
        } else if (!cap || !parse_cap(cap, &x->cap, &x->blocks)) {
            snprintf(msg, len, "--tiers: bad capacity for %s (tokens, NNNb for blocks, inf or *)", item);
            return -1;
        }
        for (char *opt = strtok_r(NULL, ":", &save2); opt; opt = strtok_r(NULL, ":", &save2)) {
            if (strcmp(opt, "inclusive") == 0) {
                x->inclusive = true;
            } else if (strcmp(opt, "exclusive") == 0) {
                x->inclusive = false;
            } else if (kv_policy_find(opt)) {
                snprintf(x->policy, sizeof x->policy, "%s", opt);
            } else {
                char names[512];
                kv_policy_names(names, sizeof names);
                snprintf(msg, len, "--tiers: \"%s\" is neither inclusive/exclusive nor a policy; valid policies: %s",
                         opt, names);
                return -1;
            }
        }
    }
    if (!ts[KV_G1].enabled) {
        snprintf(msg, len, "--tiers: G1 is required");
        return -1;
    }
    if (swept != 1) {
        snprintf(msg, len, "--tiers: exactly one tier must have capacity * (the one --capacity sweeps)");
        return -1;
    }
    return 0;
}

/* "1e6,3e6,2000b,inf" -> caps; every item must parse (empty items too are refused). 0, or -1 with msg. */
static int parse_cap_list(const char *text, double *caps, bool *blocks, int max, int *ncaps, char *msg, size_t len)
{
    *ncaps = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char item[64];
        if (n == 0 || n >= sizeof item) {
            snprintf(msg, len,
                     "--capacity: %s in \"%s\" (expected tokens such as 1e6, NNNb for blocks, or inf, "
                     "comma separated, each > 0)",
                     n ? "value too long" : "empty value", text);
            return -1;
        }
        memcpy(item, p, n);
        item[n] = '\0';
        if (*ncaps == max) {
            snprintf(msg, len, "--capacity: at most %d values", max);
            return -1;
        }
        if (!parse_cap(item, &caps[*ncaps], &blocks[*ncaps])) {
            snprintf(msg, len,
                     "--capacity: bad value \"%s\" (expected tokens such as 1e6, NNNb for blocks, or inf; "
                     "each > 0)",
                     item);
            return -1;
        }
        (*ncaps)++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static int load_traces(char **paths, int npaths, uint64_t max_requests, kv_trace_t *tr, uint32_t *block_tokens)
{
    wl_request_t req;
    memset(&req, 0, sizeof req);
    *block_tokens = 0;
    for (int k = 0; k < npaths; k++) {
        wl_config_t wc;
        wl_config_defaults(&wc);
        wc.replay = WL_OPEN_LOOP;
        wc.format = WL_FMT_AUTO;
        wc.max_requests = max_requests;
        if (strlen(paths[k]) >= sizeof wc.path)
            return cli_input_error("%s: path too long", paths[k]);
        snprintf(wc.path, sizeof wc.path, "%s", paths[k]);
        char err[512];
        wl_source_t *src = NULL;
        if (wl_source_open(&src, &wc, err, sizeof err)) {
            wl_request_free(&req);
            return cli_input_error("%s", err);
        }
        uint64_t salt = k ? kvt_splitmix64((uint64_t)k) : 0;
        for (;;) {
            int rc = wl_source_next(src, &req, err, sizeof err);
            if (rc < 0) {
                wl_source_close(src);
                wl_request_free(&req);
                return cli_input_error("%s", err);
            }
            if (rc == 0)
                break;
            if (salt)
                for (uint32_t i = 0; i < req.n_blocks; i++)
                    req.block_ids[i] = kvt_splitmix64(req.block_ids[i] ^ salt);
            if (*block_tokens == 0)
                *block_tokens = req.block_tokens;
            uint64_t session = req.session_id == WL_NO_SESSION ? UINT64_MAX
                               : salt                          ? kvt_splitmix64(req.session_id ^ salt)
                                                               : req.session_id;
            kv_trace_add(tr, req.block_ids, req.n_blocks, req.input_tokens, req.block_tokens, session, req.arrival_s);
            kv_trace_set_depth(tr, req.depth);
        }
        wl_source_close(src);
    }
    wl_request_free(&req);
    if (tr->nreq == 0)
        return cli_input_error("no requests in the trace%s", npaths > 1 ? "s" : "");
    kv_trace_finish(tr);
    return KVT_EXIT_OK;
}

/* Top-level sessions of a trace: each main-agent request (depth 0, with a session) mapped to its session's
 * index, the others to UINT32_MAX. */
typedef struct sess_map {
    uint32_t *of; /* per request */
    uint32_t count;
} sess_map_t;

typedef struct sess_key {
    uint64_t session, req;
} sess_key_t;

static int sess_key_cmp(const void *a, const void *b)
{
    const sess_key_t *x = a, *y = b;
    if (x->session != y->session)
        return x->session < y->session ? -1 : 1;
    return x->req < y->req ? -1 : x->req > y->req;
}

static void sess_map_build(const kv_trace_t *t, sess_map_t *m)
{
    m->of = malloc((size_t)(t->nreq ? t->nreq : 1) * sizeof *m->of);
    sess_key_t *k = malloc((size_t)(t->nreq ? t->nreq : 1) * sizeof *k);
    if (!m->of || !k) {
        fprintf(stderr, "kvtwin: out of memory\n");
        abort();
    }
    uint64_t n = 0;
    for (uint64_t r = 0; r < t->nreq; r++) {
        m->of[r] = UINT32_MAX;
        if (t->depth[r] == 0 && t->session[r] != UINT64_MAX)
            k[n++] = (sess_key_t){t->session[r], r};
    }
    qsort(k, (size_t)n, sizeof *k, sess_key_cmp);
    m->count = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (i > 0 && k[i].session != k[i - 1].session)
            m->count++;
        m->of[k[i].req] = m->count;
    }
    if (n)
        m->count++;
    free(k);
}

/* What --sessions adds to a row. */
typedef struct sess_figs {
    uint64_t main_requests;
    double main_hit_tokens, main_hit_requests; /* token-weighted and request-averaged hit of main agents */
    uint32_t sessions;                         /* top-level sessions with input */
    double q[6];                               /* their token-weighted hit: min, p25, p50, p75, max, mean */
} sess_figs_t;

static void sess_figs_compute(const kv_trace_t *t, const sess_map_t *m, const uint32_t *hit, sess_figs_t *f)
{
    memset(f, 0, sizeof *f);
    double main_hit = 0, main_in = 0, req_sum = 0;
    double *sh = calloc((size_t)m->count + 1, sizeof *sh), *si = calloc((size_t)m->count + 1, sizeof *si);
    if (!sh || !si) {
        fprintf(stderr, "kvtwin: out of memory\n");
        abort();
    }
    for (uint64_t r = 0; r < t->nreq; r++) {
        if (t->depth[r] != 0)
            continue;
        f->main_requests++;
        main_hit += hit[r];
        main_in += t->input_tokens[r];
        if (t->input_tokens[r] > 0)
            req_sum += (double)hit[r] / t->input_tokens[r];
        if (m->of[r] != UINT32_MAX) {
            sh[m->of[r]] += hit[r];
            si[m->of[r]] += t->input_tokens[r];
        }
    }
    f->main_hit_tokens = main_in > 0 ? main_hit / main_in : 0;
    f->main_hit_requests = f->main_requests ? req_sum / (double)f->main_requests : 0;
    for (uint32_t k = 0; k < m->count; k++)
        if (si[k] > 0)
            sh[f->sessions++] = sh[k] / si[k];
    if (f->sessions) {
        /* Quantiles by linear interpolation between order statistics, as kvtwin trace stats gives them. */
        gsl_sort(sh, 1, f->sessions);
        f->q[0] = sh[0];
        f->q[1] = gsl_stats_quantile_from_sorted_data(sh, 1, f->sessions, 0.25);
        f->q[2] = gsl_stats_quantile_from_sorted_data(sh, 1, f->sessions, 0.50);
        f->q[3] = gsl_stats_quantile_from_sorted_data(sh, 1, f->sessions, 0.75);
        f->q[4] = sh[f->sessions - 1];
        f->q[5] = gsl_stats_mean(sh, 1, f->sessions);
    }
    free(sh);
    free(si);
}

static uint64_t to_blocks(double cap, bool blocks, uint32_t bt, uint64_t distinct)
{
    if (isinf(cap))
        return distinct ? distinct : 1;
    double b = blocks ? cap : floor(cap / bt);
    return b < 1 ? 1 : (uint64_t)b;
}

static int cmd_main(int argc, char **argv)
{
    char *paths[64];
    int npaths = 0;
    const char *policy_arg = NULL, *cap_arg = NULL, *tiers_arg = "G1=*", *format = "csv", *params_arg = NULL;
    const kv_write_ops_t *write_policy = kv_write_default();
    unsigned long long max_requests = 0, instances = 1, domains = 0, seed = 1;
    bool sessions = false, mrc = false;
    double sample = 0; /* --sample: 0 = not given */
    int count = KV_COUNT_PREFIX, route = KV_ROUTE_RR;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (npaths == 64)
                return cli_usage_error("cache", "at most 64 traces");
            paths[npaths++] = argv[i];
            continue;
        }
        if (strcmp(a, "--sessions") == 0) {
            sessions = true;
            continue;
        }
        if (strcmp(a, "--mrc") == 0) {
            mrc = true;
            continue;
        }
        if (!v)
            return cli_usage_error("cache", "option %s needs a value", a);
        i++;
        if (strcmp(a, "--policy") == 0)
            policy_arg = v;
        else if (strcmp(a, "--capacity") == 0)
            cap_arg = v;
        else if (strcmp(a, "--tiers") == 0)
            tiers_arg = v;
        else if (strcmp(a, "--format") == 0)
            format = v;
        else if (strcmp(a, "--params") == 0)
            params_arg = v;
        else if (strcmp(a, "--max-requests") == 0) {
            if (cli_parse_u64(v, &max_requests))
                return cli_usage_error("cache", "--max-requests: expected a count, got \"%s\"", v);
        } else if (strcmp(a, "--count") == 0) {
            if ((count = kv_count_find(v)) < 0)
                return cli_usage_error("cache", "--count: expected prefix or blocks, got \"%s\"", v);
        } else if (strcmp(a, "--instances") == 0) {
            if (cli_parse_u64(v, &instances) || instances < 1 || instances > 4096)
                return cli_usage_error("cache", "--instances: expected a count from 1 to 4096, got \"%s\"", v);
        } else if (strcmp(a, "--domains") == 0) {
            if (cli_parse_u64(v, &domains) || domains < 1 || domains > 4096)
                return cli_usage_error("cache", "--domains: expected a count from 1 to 4096, got \"%s\"", v);
        } else if (strcmp(a, "--route") == 0) {
            if ((route = kv_route_find(v)) < 0) {
                char names[128];
                kv_route_names(names, sizeof names);
                return cli_usage_error("cache", "--route: unknown router \"%s\"; valid routers: %s", v, names);
            }
        } else if (strcmp(a, "--sample") == 0) {
            char *end;
            sample = strtod(v, &end);
            if (end == v || *end || !(sample > 0 && sample <= 1))
                return cli_usage_error("cache", "--sample: expected a sampling rate in (0, 1], got \"%s\"", v);
        } else if (strcmp(a, "--seed") == 0) {
            if (cli_parse_u64(v, &seed))
                return cli_usage_error("cache", "--seed: expected an unsigned integer, got \"%s\"", v);
        } else if (strcmp(a, "--write") == 0) {
            /* The scenario names (kv.write_policy), and the short forms this option always took. */
            write_policy = kv_write_find_alias(v);
            if (!write_policy) {
                char names[256];
                plugin_names(&kv_write_axis, names, sizeof names);
                return cli_usage_error("cache", "--write: expected one of %s (or back, through), got \"%s\"", names, v);
            }
        } else
            return cli_usage_error("cache", "unknown option \"%s\"", a);
    }
    if (npaths == 0)
        return cli_usage_error("cache", "no trace given");
    if (!policy_arg)
        return cli_usage_error("cache", "--policy is required");
    if (!cap_arg && !mrc)
        return cli_usage_error("cache", "--capacity is required (or --mrc for a curve over default capacities)");
    if (sample > 0 && !mrc)
        return cli_usage_error("cache", "--sample is a rate of --mrc's spatial sampling: give --mrc too");
    if (sample > 0 && count != KV_COUNT_BLOCKS)
        return cli_usage_error("cache", "--sample needs --count blocks: a sampled block after an unsampled miss "
                                        "would count as a prefix hit (without --sample, --mrc replays other "
                                        "policies in full)");
    if (mrc && (strcmp(tiers_arg, "G1=*") != 0 || instances > 1 || sessions))
        return cli_usage_error("cache", "--mrc is for one G1 pool (no --tiers, --instances or --sessions)");
    if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
        return cli_usage_error("cache", "--format: expected csv or json, got \"%s\"", format);

    /* Policies. */
    const char *pols[MAX_POLICIES];
    int npols = 0;
    char polbuf[512];
    snprintf(polbuf, sizeof polbuf, "%s", policy_arg);
    if (strcmp(policy_arg, "all") == 0) {
        for (size_t i = 0; i < kv_policy_count() && npols < MAX_POLICIES; i++)
            pols[npols++] = kv_policy_at(i)->base.name;
    } else {
        char *save = NULL;
        for (char *p = strtok_r(polbuf, ",", &save); p && npols < MAX_POLICIES; p = strtok_r(NULL, ",", &save))
            pols[npols++] = p;
    }
    cJSON *params = NULL;
    if (params_arg) {
        char msg[256];
        params = jb_parse_kv_list(params_arg, msg, sizeof msg);
        if (!params)
            return cli_usage_error("cache", "--params: %s", msg);
    }
    int rc = KVT_EXIT_OK;
    for (int p = 0; p < npols; p++) {
        jb_error_t je;
        if (kv_policy_validate(pols[p], params, &je)) {
            rc = je.path[0] ? cli_input_error("--params %s: %s", je.path, je.msg) : cli_input_error("%s", je.msg);
            cJSON_Delete(params);
            return rc;
        }
    }
    /* Tiers and capacities. */
    tier_spec_t ts[KV_NTIERS];
    char msg[640];
    if (parse_tiers(tiers_arg, ts, msg, sizeof msg)) {
        cJSON_Delete(params);
        return cli_usage_error("cache", "%s", msg);
    }
    double caps[MAX_POINTS];
    bool cap_blocks[MAX_POINTS];
    int ncaps = 0;
    if (cap_arg && parse_cap_list(cap_arg, caps, cap_blocks, MAX_POINTS, &ncaps, msg, sizeof msg)) {
        cJSON_Delete(params);
        return cli_usage_error("cache", "%s", msg);
    }
    if (domains > instances) {
        cJSON_Delete(params);
        return cli_usage_error("cache", "--domains: %llu domains for %llu instances (at most one per instance)",
                               domains, instances);
    }

    kv_trace_t tr;
    kv_trace_init(&tr);
    uint32_t bt = 0;
    rc = load_traces(paths, npaths, max_requests, &tr, &bt);
    if (rc != KVT_EXIT_OK) {
        kv_trace_free(&tr);
        cJSON_Delete(params);
        return rc;
    }
    uint64_t distinct = kv_trace_distinct(&tr);
    if (!cap_arg) { /* --mrc without --capacity: 40 capacities, log-spaced from 1 block to every block */
        for (ncaps = 0; ncaps < 40; ncaps++) {
            caps[ncaps] = floor(pow((double)distinct, ncaps / 39.0) + 0.5);
            cap_blocks[ncaps] = true;
        }
    }
    kv_mrc_t curve;
    memset(&curve, 0, sizeof curve);
    kv_shards_t smp;
    memset(&smp, 0, sizeof smp);
    double sampled_rate = 0;
    bool oracle_done = false;
    double oracle_s = 0;
    sess_map_t smap = {NULL, 0};
    uint32_t *req_hit = NULL;
    if (sessions) {
        sess_map_build(&tr, &smap);
        req_hit = malloc((size_t)tr.nreq * sizeof *req_hit);
        if (!req_hit) {
            fprintf(stderr, "kvtwin: out of memory\n");
            abort();
        }
    }

    cJSON *rows = cJSON_CreateArray();
    bool csv = strcmp(format, "csv") == 0;
    if (csv) {
        printf("policy,write,tiers,capacity_tokens,capacity_blocks,requests,block_refs,hit_blocks,input_tokens,"
               "hit_tokens,hit_rate_tokens,hit_rate_requests,hit_rate_blocks");
        for (int t = 0; t < KV_NTIERS; t++)
            if (ts[t].enabled)
                printf(",%s_hit_rate_tokens,%s_hit_rate_requests", kv_tier_name(t), kv_tier_name(t));
        if (sessions)
            printf(",main_requests,main_hit_rate_tokens,main_hit_rate_requests,sessions,session_hit_min,"
                   "session_hit_p25,session_hit_p50,session_hit_p75,session_hit_max,session_hit_mean");
        if (count != KV_COUNT_PREFIX)
            printf(",count");
        if (mrc)
            printf(",mrc");
        if (instances > 1)
            printf(",instances,route,load_imbalance,pooled_hit_rate_tokens,sharing_gain_tokens");
        printf(",too_big,wall_s\n");
    }
    for (int p = 0; p < npols && rc == KVT_EXIT_OK; p++) {
        /* --params were validated against every policy above: binding them fails only for memory. */
        jb_error_t je;
        void *bound = plugin_bind(&kv_policy_find(pols[p])->base, params, &je);
        if (!bound) {
            rc = cli_input_error("%s", je.msg);
            break;
        }
        for (int c = 0; c < ncaps && rc == KVT_EXIT_OK; c++) {
            kv_cfg_t cfg;
            memset(&cfg, 0, sizeof cfg);
            cfg.write = write_policy;
            bool future = false;
            for (int t = 0; t < KV_NTIERS; t++) {
                if (!ts[t].enabled)
                    continue;
                kv_tier_cfg_t *k = &cfg.tier[t];
                k->enabled = true;
                k->inclusive = ts[t].inclusive;
                k->capacity_blocks = ts[t].swept ? to_blocks(caps[c], cap_blocks[c], bt, distinct)
                                                 : to_blocks(ts[t].cap, ts[t].blocks, bt, distinct);
                k->policy = kv_policy_find(ts[t].policy[0] ? ts[t].policy : pols[p]);
                k->policy_params = ts[t].policy[0] ? NULL : bound;
                future |= k->policy->needs_next_use;
            }
            if (future && !oracle_done) {
                oracle_s = kv_trace_oracle(&tr);
                oracle_done = true;
            }
            kv_replay_result_t res;
            kv_replay_opts_t opts = {0};
            opts.hit_tokens = req_hit;
            opts.count = count;
            opts.n_instances = (uint32_t)instances;
            opts.n_domains = (uint32_t)domains;
            opts.route = route;
            opts.route_seed = seed;
            char err[512];
            char method[48] = "";
            bool exact = mrc && strcmp(pols[p], "lru") == 0 && sample == 0;
            if (exact) {
                if (!curve.cum_blocks)
                    kv_mrc_lru(&tr, count, &curve);
                kv_mrc_at(&curve, cfg.tier[KV_G1].capacity_blocks, &res);
                snprintf(method, sizeof method, "exact");
            } else if (mrc && sample > 0) {
                /* SHARDS (mrc.h): the sample at its capacity; its weighted ratios estimate the trace's. */
                double rate = sample;
                if (rate != sampled_rate) {
                    kv_shards_free(&smp);
                    kv_shards_build(&tr, rate, KV_SHARDS_HOT_SHARE, &smp);
                    sampled_rate = rate;
                }
                if (future && !smp.tok.next_use) {
                    kv_trace_oracle(&smp.tok);
                    kv_trace_oracle(&smp.blk);
                }
                kv_cfg_t sc = cfg;
                sc.tier[KV_G1].capacity_blocks = kv_shards_capacity(&smp, cfg.tier[KV_G1].capacity_blocks);
                kv_replay_result_t sr, sb;
                kv_replay_opts_t so = opts;
                so.hit_tokens = NULL;
                if (kv_replay_run(&smp.tok, &sc, &so, &sr, err, sizeof err) ||
                    kv_replay_run(&smp.blk, &sc, &so, &sb, err, sizeof err)) {
                    rc = cli_input_error("%s", err);
                    break;
                }
                uint64_t nref = tr.off[tr.nreq];
                memset(&res, 0, sizeof res);
                res.requests = tr.nreq;
                res.block_refs = nref;
                for (uint64_t r = 0; r < tr.nreq; r++)
                    res.input_tokens += tr.input_tokens[r];
                double hb = sb.input_tokens ? (double)sb.hit_tokens / (double)sb.input_tokens : 0;
                double ht = sr.input_tokens ? (double)sr.hit_tokens / (double)sr.input_tokens * smp.covered : 0;
                res.hit_blocks = (uint64_t)(hb * (double)nref + 0.5);
                res.hit_tokens = (uint64_t)(ht * (double)res.input_tokens + 0.5);
                res.hit_tokens_tier[KV_G1] = res.hit_tokens;
                /* Not estimated apart: the request average is given the token-weighted estimate. */
                res.req_hit_sum = ht * (double)tr.nreq;
                res.req_hit_sum_tier[KV_G1] = res.req_hit_sum;
                res.tier[KV_G1] = sr.tier[KV_G1];
                res.mem_bytes[KV_G1] = sr.mem_bytes[KV_G1];
                res.n_instances = 1;
                res.wall_s = sr.wall_s + sb.wall_s;
                snprintf(method, sizeof method, "shards:%g", rate);
            } else {
                if (mrc)
                    snprintf(method, sizeof method, "replay");
                if (kv_replay_run(&tr, &cfg, &opts, &res, err, sizeof err)) {
                    rc = cli_input_error("%s", err);
                    break;
                }
            }
            /* The gain of sharing: the same capacities pooled, one G1 of N x G1 and one G2/G3 of their
             * domains' total, every request meeting the one pool. */
            kv_replay_result_t pooled;
            memset(&pooled, 0, sizeof pooled);
            if (instances > 1) {
                kv_cfg_t pc = cfg;
                uint32_t nd = domains ? (uint32_t)domains : (uint32_t)instances;
                pc.tier[KV_G1].capacity_blocks *= instances;
                for (int t = KV_G2; t <= KV_G3; t++)
                    pc.tier[t].capacity_blocks *= nd;
                kv_replay_opts_t po = {0};
                po.count = count;
                if (kv_replay_run(&tr, &pc, &po, &pooled, err, sizeof err)) {
                    rc = cli_input_error("%s", err);
                    break;
                }
            }
            double pooled_rate = instances > 1 ? pooled.hit_tokens / (double)pooled.input_tokens : 0;
            sess_figs_t sf;
            if (sessions)
                sess_figs_compute(&tr, &smap, req_hit, &sf);
            int sw = 0;
            for (int t = 0; t < KV_NTIERS; t++)
                if (ts[t].swept)
                    sw = t;
            uint64_t capb = cfg.tier[sw].capacity_blocks;
            double n = (double)res.requests, in = (double)res.input_tokens;
            if (csv) {
                /* A stack of several tiers holds commas: quoted (RFC 4180), so that the row keeps its columns. */
                const char *q = strchr(tiers_arg, ',') ? "\"" : "";
                printf("%s,%s,%s%s%s,%.0f,%llu,%llu,%llu,%llu,%llu,%llu,%.6f,%.6f,%.6f", pols[p],
                       write_policy->base.name, q, tiers_arg, q, (double)capb * bt, (unsigned long long)capb,
                       (unsigned long long)res.requests, (unsigned long long)res.block_refs,
                       (unsigned long long)res.hit_blocks, (unsigned long long)res.input_tokens,
                       (unsigned long long)res.hit_tokens, res.hit_tokens / in, res.req_hit_sum / n,
                       (double)res.hit_blocks / (double)res.block_refs);
                for (int t = 0; t < KV_NTIERS; t++)
                    if (ts[t].enabled)
                        printf(",%.6f,%.6f", res.hit_tokens_tier[t] / in, res.req_hit_sum_tier[t] / n);
                if (sessions) {
                    printf(",%llu,%.6f,%.6f,%u", (unsigned long long)sf.main_requests, sf.main_hit_tokens,
                           sf.main_hit_requests, sf.sessions);
                    for (int k = 0; k < 6; k++) {
                        if (sf.sessions)
                            printf(",%.6f", sf.q[k]);
                        else
                            printf(",");
                    }
                }
                if (count != KV_COUNT_PREFIX)
                    printf(",%s", kv_count_name(count));
                if (mrc)
                    printf(",%s", method);
                if (instances > 1)
                    printf(",%llu,%s,%.4f,%.6f,%.6f", instances, kv_route_name(route), res.load_imbalance, pooled_rate,
                           pooled_rate - res.hit_tokens / in);
                printf(",%llu,%.4f\n", (unsigned long long)res.too_big, res.wall_s);
            } else {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "policy", pols[p]);
                cJSON_AddStringToObject(o, "write", write_policy->base.name);
                cJSON_AddStringToObject(o, "tiers", tiers_arg);
                cJSON_AddNumberToObject(o, "capacity_tokens", (double)capb * bt);
                cJSON_AddNumberToObject(o, "capacity_blocks", (double)capb);
                cJSON_AddNumberToObject(o, "requests", n);
                cJSON_AddNumberToObject(o, "block_refs", (double)res.block_refs);
                cJSON_AddNumberToObject(o, "hit_blocks", (double)res.hit_blocks);
                cJSON_AddNumberToObject(o, "input_tokens", in);
                cJSON_AddNumberToObject(o, "hit_tokens", (double)res.hit_tokens);
                cJSON_AddNumberToObject(o, "hit_rate_tokens", res.hit_tokens / in);
                cJSON_AddNumberToObject(o, "hit_rate_requests", res.req_hit_sum / n);
                cJSON_AddNumberToObject(o, "hit_rate_blocks", (double)res.hit_blocks / (double)res.block_refs);
                cJSON *per = cJSON_AddObjectToObject(o, "tiers_hit");
                for (int t = 0; t < KV_NTIERS; t++) {
                    if (!ts[t].enabled)
                        continue;
                    cJSON *x = cJSON_AddObjectToObject(per, kv_tier_name(t));
                    cJSON_AddNumberToObject(x, "capacity_blocks", (double)cfg.tier[t].capacity_blocks);
                    cJSON_AddNumberToObject(x, "hit_rate_tokens", res.hit_tokens_tier[t] / in);
                    cJSON_AddNumberToObject(x, "hit_rate_requests", res.req_hit_sum_tier[t] / n);
                    cJSON_AddNumberToObject(x, "evicted_blocks", (double)res.tier[t].evicted_blocks);
                    cJSON_AddNumberToObject(
                        x, "metadata_bytes_per_block",
                        res.tier[t].used_blocks ? (double)res.mem_bytes[t] / (double)res.tier[t].used_blocks : 0);
                }
                if (sessions) {
                    cJSON *ma = cJSON_AddObjectToObject(o, "main_agents");
                    cJSON_AddNumberToObject(ma, "requests", (double)sf.main_requests);
                    cJSON_AddNumberToObject(ma, "hit_rate_tokens", sf.main_hit_tokens);
                    cJSON_AddNumberToObject(ma, "hit_rate_requests", sf.main_hit_requests);
                    cJSON *se = cJSON_AddObjectToObject(o, "sessions");
                    cJSON_AddNumberToObject(se, "count", sf.sessions);
                    if (sf.sessions) {
                        static const char *const qn[6] = {"min", "p25", "p50", "p75", "max", "mean"};
                        cJSON *hq = cJSON_AddObjectToObject(se, "hit_rate_tokens");
                        for (int k = 0; k < 6; k++)
                            cJSON_AddNumberToObject(hq, qn[k], sf.q[k]);
                    }
                }
                if (count != KV_COUNT_PREFIX)
                    cJSON_AddStringToObject(o, "count", kv_count_name(count));
                if (mrc) {
                    cJSON_AddStringToObject(o, "mrc", method);
                    if (exact) {
                        cJSON_AddNumberToObject(o, "stack_violations", (double)curve.stack_violations);
                        cJSON_AddNumberToObject(o, "max_request_blocks", curve.max_blocks);
                    }
                }
                if (instances > 1) {
                    cJSON *pod = cJSON_AddObjectToObject(o, "pod");
                    cJSON_AddNumberToObject(pod, "instances", (double)instances);
                    cJSON_AddNumberToObject(pod, "domains", domains ? (double)domains : (double)instances);
                    cJSON_AddStringToObject(pod, "route", kv_route_name(route));
                    cJSON_AddNumberToObject(pod, "load_imbalance", res.load_imbalance);
                    cJSON_AddNumberToObject(pod, "pooled_hit_rate_tokens", pooled_rate);
                    cJSON_AddNumberToObject(pod, "pooled_hit_rate_requests", pooled.req_hit_sum / n);
                    cJSON_AddNumberToObject(pod, "sharing_gain_tokens", pooled_rate - res.hit_tokens / in);
                }
                cJSON_AddNumberToObject(o, "too_big", (double)res.too_big);
                cJSON_AddNumberToObject(o, "wall_s", res.wall_s);
                if (future)
                    cJSON_AddNumberToObject(o, "oracle_s", oracle_s);
                cJSON_AddItemToArray(rows, o);
            }
            fflush(stdout);
        }
        free(bound);
    }
    if (!csv && rc == KVT_EXIT_OK) {
        char *text = cJSON_Print(rows);
        printf("%s\n", text);
        cJSON_free(text);
    }
    cJSON_Delete(rows);
    cJSON_Delete(params);
    kv_mrc_free(&curve);
    kv_shards_free(&smp);
    free(smap.of);
    free(req_hit);
    kv_trace_free(&tr);
    return rc;
}

const kvt_cmd_t kvt_cmd_cache = {
    .name = "cache",
    .summary = "cache-only replay: hit rates per policy, capacity and tier",
    .usage =
        "usage: kvtwin cache TRACE... --policy P[,P...] --capacity LIST [--tiers SPEC] [--params K=V,...]\n"
        "                    [--write W] [--format csv|json] [--max-requests N] [--sessions]\n"
        "                    [--count prefix|blocks] [--instances N [--route R] [--domains D] [--seed S]]\n"
        "                    [--mrc [--sample RATE]]\n"
        "\n"
        "Replays traces (any supported format, open loop, concatenated) through a KV tier stack with no timing\n"
        "and prints, for every policy and capacity, the prefix hit rate overall and per tier: token-weighted\n"
        "(sum of hit tokens / sum of input tokens) and request-averaged. A request hits the longest leading\n"
        "run of its blocks cached in any tier; hit tokens = min(prefix x block tokens, input tokens).\n"
        "\n"
        "  --policy P      eviction policy of every tier without its own (kvtwin policies); a comma list or\n"
        "                  \"all\" runs each in turn\n"
        "  --capacity LIST capacities of the swept tier, comma separated: tokens (1e6), blocks (2000b) or inf\n"
        "  --tiers SPEC    the tier stack, fastest first: NAME=CAP[:inclusive|:exclusive][:POLICY],...\n"
        "                  with CAP = * for the swept tier; default G1=*. Example: G1=1e6,G2=*,G4=inf:exclusive\n"
        "  --params K=V    parameters of --policy (kvtwin policies NAME lists them)\n"
        "  --write W       write policy between tiers, as kv.write_policy: write-back (default), write-through\n"
        "                  or selective; back and through are accepted for write-back and write-through\n"
        "  --format F      csv (default) or json\n"
        "  --max-requests  stop each trace after N requests\n"
        "  --sessions      also the hit rates of main-agent requests alone (sub-agents replayed, not counted)\n"
        "                  and, over top-level sessions, min/p25/p50/p75/max/mean of their token-weighted hit\n"
        "  --count C       prefix (default): a request hits its longest cached leading run of blocks;\n"
        "                  blocks: every block reference is an access of its own, in trace order (general\n"
        "                  cache simulators' convention); the two agree on one-block requests\n"
        "  --instances N   a pod of N instances, each with its own G1 (capacities are per instance) and G2/G3 per\n"
        "                  domain, G3.5 and G4 shared; adds load_imbalance, the hit of the same capacity pooled\n"
        "                  in one instance and the gain of sharing (pooled - this)\n"
        "  --route R       with --instances: rr (default), random, tokens (least-loaded by routed tokens),\n"
        "                  session (affinity; requests without a session go round-robin), prefix (longest\n"
        "                  cached prefix within a load band)\n"
        "  --domains D     with --instances: G2/G3 instances, instance i in domain i mod D (default N: one each)\n"
        "  --seed S        seed of --route random (default 1)\n"
        "  --mrc           miss-ratio curve: LRU exact in one pass (stack distances; with prefix counting exact\n"
        "                  where every request fits the capacity, see docs/policies.md), other policies\n"
        "                  replayed; without --capacity, 40 capacities from 1 block to every block. One G1 pool\n"
        "  --sample RATE   with --mrc and --count blocks: policies other than LRU (and LRU too) replayed on a\n"
        "                  spatial sample of the blocks (SHARDS) at RATE x capacity\n"
        "\n"
        "Order: the trace's open loop. A directory of agentic conversations starts every conversation at time 0\n"
        "and merges all their requests (sub-agents' too) by recorded time.\n"
        "\n"
        "Offline policies (belady) get the future from an oracle pass over the loaded trace.\n"
        "Exit codes: 0 ok, 2 bad arguments, unknown policy or parameter, unreadable trace.\n",
    .main = cmd_main,
};
