/* kvtwin cache: cache-only replay. Reads one or more traces through the workload sources (open loop, any
 * supported format), keeps their block references in memory once, then replays them through a KV tier
 * stack with no timing for every (policy, capacity) point and prints the hit rates per tier and overall,
 * token-weighted and request-averaged (definitions in sim/kv/replay.h and docs/validation.md).
 * Capacities are in tokens (converted with the trace's block size) unless suffixed with b (blocks);
 * "inf" is a cache that never evicts. Traces given together are concatenated; the block ids of the second
 * and later files are mixed with the file's index so that files never share blocks by accident. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cli.h"
#include "sim/jsonbind.h"
#include "sim/kv/kv.h"
#include "sim/kv/policy.h"
#include "sim/kv/replay.h"
#include "workloads/source.h"

#define MAX_POINTS 256
#define MAX_POLICIES 32

typedef struct tier_spec {
    bool enabled, swept, inclusive;
    double cap;          /* tokens or blocks, see blocks; INFINITY: never evicts */
    bool blocks;         /* cap is in blocks */
    char policy[32];     /* "" = the --policy of the run */
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

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
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
        uint64_t salt = k ? mix64((uint64_t)k) : 0;
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
                    req.block_ids[i] = mix64(req.block_ids[i] ^ salt);
            if (*block_tokens == 0)
                *block_tokens = req.block_tokens;
            uint64_t session = req.session_id == WL_NO_SESSION ? UINT64_MAX
                               : salt                          ? mix64(req.session_id ^ salt)
                                                               : req.session_id;
            kv_trace_add(tr, req.block_ids, req.n_blocks, req.input_tokens, req.block_tokens, session, req.arrival_s);
        }
        wl_source_close(src);
    }
    wl_request_free(&req);
    if (tr->nreq == 0)
        return cli_input_error("no requests in the trace%s", npaths > 1 ? "s" : "");
    kv_trace_finish(tr);
    return KVT_EXIT_OK;
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
    int write_policy = KV_WRITE_BACK;
    unsigned long long max_requests = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (npaths == 64)
                return cli_usage_error("cache", "at most 64 traces");
            paths[npaths++] = argv[i];
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
        } else if (strcmp(a, "--write") == 0) {
            if (strcmp(v, "back") == 0)
                write_policy = KV_WRITE_BACK;
            else if (strcmp(v, "through") == 0)
                write_policy = KV_WRITE_THROUGH;
            else if (strcmp(v, "selective") == 0)
                write_policy = KV_WRITE_SELECTIVE;
            else
                return cli_usage_error("cache", "--write: expected back, through or selective, got \"%s\"", v);
        } else
            return cli_usage_error("cache", "unknown option \"%s\"", a);
    }
    if (npaths == 0)
        return cli_usage_error("cache", "no trace given");
    if (!policy_arg)
        return cli_usage_error("cache", "--policy is required");
    if (!cap_arg)
        return cli_usage_error("cache", "--capacity is required");
    if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
        return cli_usage_error("cache", "--format: expected csv or json, got \"%s\"", format);

    /* Policies. */
    const char *pols[MAX_POLICIES];
    int npols = 0;
    char polbuf[512];
    snprintf(polbuf, sizeof polbuf, "%s", policy_arg);
    if (strcmp(policy_arg, "all") == 0) {
        for (size_t i = 0; i < kv_policy_count() && npols < MAX_POLICIES; i++)
            pols[npols++] = kv_policy_at(i)->name;
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
    char capbuf[4096];
    snprintf(capbuf, sizeof capbuf, "%s", cap_arg);
    char *save = NULL;
    for (char *c = strtok_r(capbuf, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        if (ncaps == MAX_POINTS || !parse_cap(c, &caps[ncaps], &cap_blocks[ncaps])) {
            cJSON_Delete(params);
            return cli_usage_error("cache", "--capacity: bad value \"%s\" (tokens, NNNb for blocks, or inf; at most %d)",
                                   c, MAX_POINTS);
        }
        ncaps++;
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
    bool oracle_done = false;
    double oracle_s = 0;

    cJSON *rows = cJSON_CreateArray();
    bool csv = strcmp(format, "csv") == 0;
    if (csv) {
        printf("policy,write,tiers,capacity_tokens,capacity_blocks,requests,block_refs,hit_blocks,input_tokens,"
               "hit_tokens,hit_rate_tokens,hit_rate_requests,hit_rate_blocks");
        for (int t = 0; t < KV_NTIERS; t++)
            if (ts[t].enabled)
                printf(",%s_hit_rate_tokens,%s_hit_rate_requests", kv_tier_name(t), kv_tier_name(t));
        printf(",too_big,wall_s\n");
    }
    for (int p = 0; p < npols && rc == KVT_EXIT_OK; p++) {
        for (int c = 0; c < ncaps; c++) {
            kv_cfg_t cfg;
            memset(&cfg, 0, sizeof cfg);
            cfg.write_policy = write_policy;
            bool future = false;
            for (int t = 0; t < KV_NTIERS; t++) {
                if (!ts[t].enabled)
                    continue;
                kv_tier_cfg_t *k = &cfg.tier[t];
                k->enabled = true;
                k->inclusive = ts[t].inclusive;
                k->capacity_blocks = ts[t].swept ? to_blocks(caps[c], cap_blocks[c], bt, distinct)
                                                 : to_blocks(ts[t].cap, ts[t].blocks, bt, distinct);
                snprintf(k->policy, sizeof k->policy, "%s", ts[t].policy[0] ? ts[t].policy : pols[p]);
                k->policy_params = ts[t].policy[0] ? NULL : params;
                future |= kv_policy_find(k->policy)->needs_next_use;
            }
            if (future && !oracle_done) {
                oracle_s = kv_trace_oracle(&tr);
                oracle_done = true;
            }
            kv_replay_result_t res;
            kv_replay_opts_t opts = {0};
            char err[512];
            if (kv_replay_run(&tr, &cfg, &opts, &res, err, sizeof err)) {
                rc = cli_input_error("%s", err);
                break;
            }
            int sw = 0;
            for (int t = 0; t < KV_NTIERS; t++)
                if (ts[t].swept)
                    sw = t;
            uint64_t capb = cfg.tier[sw].capacity_blocks;
            double n = (double)res.requests, in = (double)res.input_tokens;
            if (csv) {
                printf("%s,%s,%s,%.0f,%llu,%llu,%llu,%llu,%llu,%llu,%.6f,%.6f,%.6f", pols[p],
                       kv_write_policy_name(write_policy), tiers_arg, (double)capb * bt, (unsigned long long)capb,
                       (unsigned long long)res.requests, (unsigned long long)res.block_refs,
                       (unsigned long long)res.hit_blocks, (unsigned long long)res.input_tokens,
                       (unsigned long long)res.hit_tokens, res.hit_tokens / in, res.req_hit_sum / n,
                       (double)res.hit_blocks / (double)res.block_refs);
                for (int t = 0; t < KV_NTIERS; t++)
                    if (ts[t].enabled)
                        printf(",%.6f,%.6f", res.hit_tokens_tier[t] / in, res.req_hit_sum_tier[t] / n);
                printf(",%llu,%.4f\n", (unsigned long long)res.too_big, res.wall_s);
            } else {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "policy", pols[p]);
                cJSON_AddStringToObject(o, "write", kv_write_policy_name(write_policy));
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
                    cJSON_AddNumberToObject(x, "metadata_bytes_per_block",
                                            res.tier[t].used_blocks ? (double)res.mem_bytes[t] / (double)res.tier[t].used_blocks : 0);
                }
                cJSON_AddNumberToObject(o, "too_big", (double)res.too_big);
                cJSON_AddNumberToObject(o, "wall_s", res.wall_s);
                if (future)
                    cJSON_AddNumberToObject(o, "oracle_s", oracle_s);
                cJSON_AddItemToArray(rows, o);
            }
            fflush(stdout);
        }
    }
    if (!csv && rc == KVT_EXIT_OK) {
        char *text = cJSON_Print(rows);
        printf("%s\n", text);
        cJSON_free(text);
    }
    cJSON_Delete(rows);
    cJSON_Delete(params);
    kv_trace_free(&tr);
    return rc;
}

const kvt_cmd_t kvt_cmd_cache = {
    .name = "cache",
    .summary = "cache-only replay: hit rates per policy, capacity and tier",
    .usage =
        "usage: kvtwin cache TRACE... --policy P[,P...] --capacity LIST [--tiers SPEC] [--params K=V,...]\n"
        "                    [--write back|through|selective] [--format csv|json] [--max-requests N]\n"
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
        "  --write W       write policy between tiers (default back)\n"
        "  --format F      csv (default) or json\n"
        "  --max-requests  stop each trace after N requests\n"
        "\n"
        "Offline policies (belady) get the future from an oracle pass over the loaded trace.\n"
        "Exit codes: 0 ok, 2 bad arguments, unknown policy or parameter, unreadable trace.\n",
    .main = cmd_main,
};
