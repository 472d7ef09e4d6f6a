/* Cache-only replay (sim/kv/replay.h) on hand-made traces: hit tokens clamped to the input, per-tier
 * attribution with the clamp on the last hit block, request averages, requests larger than G1, the oracle
 * requirement of offline policies; and the CLI's bad-input paths (unknown policy or parameter: exit 2 with
 * the valid names; `kvtwin policies` lists every policy). The Mooncake figures are in docs/validation.md.
 * On four real agentic conversations (two with sub-agents), `kvtwin cache --capacity inf --sessions` must
 * match a count made here from the JSON files alone, with no kvtwin reader involved. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cjson/cJSON.h>

#include "sim/kv/policy.h"
#include "sim/kv/replay.h"
#include "testutil.h"

static kv_cfg_t cfg1(const char *policy, uint64_t g1, uint64_t g2)
{
    kv_cfg_t c;
    memset(&c, 0, sizeof c);
    c.tier[KV_G1].enabled = true;
    c.tier[KV_G1].capacity_blocks = g1;
    c.tier[KV_G1].policy = kv_policy_find(policy);
    if (g2) {
        c.tier[KV_G2].enabled = true;
        c.tier[KV_G2].capacity_blocks = g2;
        c.tier[KV_G2].inclusive = true;
        c.tier[KV_G2].policy = kv_policy_find(policy);
    }
    return c;
}

START_TEST(clamps_and_attributes)
{
    kv_trace_t t;
    kv_trace_init(&t);
    uint64_t a[] = {1, 2, 3}, b[] = {1, 2, 3, 4}, c[] = {9, 9};
    kv_trace_add(&t, a, 3, 30, 10, UINT64_MAX, 0);
    kv_trace_add(&t, b, 4, 25, 10, UINT64_MAX, 1); /* prefix 3 blocks = 30 tokens, clamped to 25 */
    kv_trace_add(&t, c, 2, 20, 10, UINT64_MAX, 2); /* a repeated id within one request finds no hit */
    kv_trace_finish(&t);
    ck_assert_uint_eq(kv_trace_distinct(&t), 5);
    kv_cfg_t cfg = cfg1("lru", 100, 0);
    kv_replay_result_t r;
    char err[256];
    ck_assert_int_eq(kv_replay_run(&t, &cfg, NULL, &r, err, sizeof err), 0);
    ck_assert_uint_eq(r.requests, 3);
    ck_assert_uint_eq(r.block_refs, 9);
    ck_assert_uint_eq(r.hit_blocks, 3);
    ck_assert_uint_eq(r.input_tokens, 75);
    ck_assert_uint_eq(r.hit_tokens, 25);
    ck_assert_uint_eq(r.hit_tokens_tier[KV_G1], 25);
    ck_assert_double_eq_tol(r.req_hit_sum, 1.0, 1e-12);
    kv_trace_free(&t);
}
END_TEST

/* G1 of 2 blocks over G2: the second request finds its first block in G2 (demoted) and the clamp of its
 * partial last block comes out of the tier that served that block. */
START_TEST(per_tier_split)
{
    kv_trace_t t;
    kv_trace_init(&t);
    uint64_t a[] = {1, 2}, b[] = {3, 4}, c[] = {1, 2, 5};
    kv_trace_add(&t, a, 2, 20, 10, UINT64_MAX, 0);
    kv_trace_add(&t, b, 2, 20, 10, UINT64_MAX, 1);
    kv_trace_add(&t, c, 3, 15, 10, UINT64_MAX, 2);
    kv_trace_finish(&t);
    kv_cfg_t cfg = cfg1("lru", 2, 10);
    kv_replay_result_t r;
    char err[256];
    ck_assert_int_eq(kv_replay_run(&t, &cfg, NULL, &r, err, sizeof err), 0);
    ck_assert_uint_eq(r.hit_tokens, 15);
    ck_assert_uint_eq(r.hit_tokens_tier[KV_G2], 15);
    ck_assert_uint_eq(r.hit_tokens_tier[KV_G1], 0);
    ck_assert_uint_eq(r.too_big, 1); /* c needs 3 blocks: G1 holds 2 */
    kv_trace_free(&t);
}
END_TEST

START_TEST(offline_needs_oracle)
{
    kv_trace_t t;
    kv_trace_init(&t);
    uint64_t a[] = {1, 2};
    kv_trace_add(&t, a, 2, 20, 10, UINT64_MAX, 0);
    kv_trace_add(&t, a, 2, 20, 10, UINT64_MAX, 1);
    kv_trace_finish(&t);
    kv_cfg_t cfg = cfg1("belady", 4, 0);
    kv_replay_result_t r;
    char err[256];
    ck_assert_int_eq(kv_replay_run(&t, &cfg, NULL, &r, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "oracle"), "%s", err);
    kv_trace_oracle(&t);
    ck_assert_int_eq(kv_replay_run(&t, &cfg, NULL, &r, err, sizeof err), 0);
    ck_assert_uint_eq(r.hit_tokens, 20);
    kv_trace_free(&t);
}
END_TEST

START_TEST(cli_bad_policy_and_listing)
{
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "cache", "no-such-trace.jsonl", "--policy", "lruu", "--capacity", "1e6", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(err, "unknown policy \"lruu\"") && strstr(err, "lru, fifo, lfu"), "%s", err);
    free(out);
    free(err);
    rc = tu_run_kvtwin(&out, &err, "cache", "x.jsonl", "--policy", "s3fifo", "--params", "small=0.2", "--capacity",
                       "1e6", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(err, "small") && strstr(err, "small_ratio"), "%s", err);
    free(out);
    free(err);
    rc = tu_run_kvtwin(&out, &err, "cache", "x.jsonl", "--policy", "lru", "--capacity", "1e6", "--tiers", "G2=*", NULL);
    ck_assert_int_eq(rc, 2);
    free(out);
    free(err);
    rc = tu_run_kvtwin(&out, &err, "policies", NULL);
    ck_assert_int_eq(rc, 0);
    for (size_t i = 0; i < kv_policy_count(); i++)
        ck_assert_msg(strstr(out, kv_policy_at(i)->base.name), "kvtwin policies misses %s", kv_policy_at(i)->base.name);
    ck_assert(strstr(out, "move_to_main_threshold") && strstr(out, "selective"));
    free(out);
    free(err);
    rc = tu_run_kvtwin(&out, &err, "policies", "nope", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert(strstr(err, "valid policies"));
    free(out);
    free(err);
}
END_TEST

/* The metadata budget (DESIGN.md: at most 128 bytes per cached block per tier) for every policy, on
 * growing multi-turn contexts, in a tier that fills (small and large) and in one that never does. */
START_TEST(metadata_budget_every_policy)
{
    kv_trace_t t;
    kv_trace_init(&t);
    uint64_t x = 12345, ids[400];
    for (uint32_t r = 0; r < 3000; r++) {
        uint32_t sess = r % 60, turn = r / 60, n = 20 + 6 * turn;
        for (uint32_t i = 0; i < n; i++) /* a session's context grows by 6 blocks per turn */
            ids[i] = ((uint64_t)sess << 32) | i;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (x % 4 == 0) /* sometimes a new context (compaction): no reuse */
            for (uint32_t i = 0; i < n; i++)
                ids[i] = ((uint64_t)(1000 + r) << 32) | i;
        kv_trace_add(&t, ids, n, n * 16, 16, sess, r);
    }
    kv_trace_finish(&t);
    kv_trace_oracle(&t);
    uint64_t distinct = kv_trace_distinct(&t);
    const uint64_t caps[] = {400, 6000, 40000, distinct * 4};
    for (size_t p = 0; p < kv_policy_count(); p++) {
        for (size_t c = 0; c < sizeof caps / sizeof *caps; c++) {
            kv_cfg_t cfg = cfg1(kv_policy_at(p)->base.name, caps[c], 0);
            kv_replay_result_t r;
            char err[256];
            ck_assert_int_eq(kv_replay_run(&t, &cfg, NULL, &r, err, sizeof err), 0);
            double per = (double)r.mem_bytes[KV_G1] / (double)r.tier[KV_G1].used_blocks;
            ck_assert_msg(per <= 128, "%s at %llu blocks (%llu used): %.1f bytes per cached block",
                          kv_policy_at(p)->base.name, (unsigned long long)caps[c],
                          (unsigned long long)r.tier[KV_G1].used_blocks, per);
        }
    }
    kv_trace_free(&t);
}
END_TEST

/* ---- the independent count ---- */

/* A set of 64-bit ids: open addressing, never full (sized for every id of a conversation). */
typedef struct idset {
    uint64_t *k;
    size_t cap;
} idset_t;

static bool idset_has(const idset_t *s, uint64_t id)
{
    for (size_t i = (size_t)(id * 0x9E3779B97F4A7C15ull) % s->cap;; i = (i + 1) % s->cap) {
        if (s->k[i] == id + 1)
            return true;
        if (s->k[i] == 0)
            return false;
    }
}

static void idset_add(idset_t *s, uint64_t id)
{
    size_t i = (size_t)(id * 0x9E3779B97F4A7C15ull) % s->cap;
    while (s->k[i] != 0 && s->k[i] != id + 1)
        i = (i + 1) % s->cap;
    s->k[i] = id + 1; /* 0 marks an empty slot */
}

static char *read_gz(const char *path)
{
    gzFile gz = gzopen(path, "rb");
    ck_assert_msg(gz != NULL, "cannot open %s", path);
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    int n;
    while ((n = gzread(gz, buf + len, (unsigned)(cap - len - 1))) > 0) {
        len += (size_t)n;
        if (cap - len < 4096)
            buf = realloc(buf, cap *= 2);
    }
    gzclose(gz);
    buf[len] = '\0';
    return buf;
}

static size_t count_ids(const cJSON *reqs)
{
    size_t n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, reqs)
    {
        const cJSON *sub = cJSON_GetObjectItem(r, "requests");
        n += sub ? count_ids(sub) : (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(r, "hash_ids"));
    }
    return n;
}

/* Walks one agent's requests in file order, sub-agents where they appear (they share the conversation's
 * ids): the infinite cache holds every block seen before. Main-agent hits and inputs are summed into
 * hit[0], in[0], every request's into hit[1], in[1]; hit tokens = min(prefix x 64, input). */
static void walk(const cJSON *reqs, bool main_agent, idset_t *seen, double *hit, double *in, int *nmain)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, reqs)
    {
        const cJSON *sub = cJSON_GetObjectItem(r, "requests");
        if (sub) {
            walk(sub, false, seen, hit, in, nmain);
            continue;
        }
        const cJSON *ids = cJSON_GetObjectItem(r, "hash_ids");
        double input = cJSON_GetObjectItem(r, "in")->valuedouble;
        int n = cJSON_GetArraySize(ids), prefix = 0;
        while (prefix < n && idset_has(seen, (uint64_t)cJSON_GetArrayItem(ids, prefix)->valuedouble))
            prefix++;
        const cJSON *x;
        cJSON_ArrayForEach(x, ids) idset_add(seen, (uint64_t)x->valuedouble);
        double h = fmin(64.0 * prefix, input);
        hit[1] += h;
        in[1] += input;
        if (main_agent) {
            hit[0] += h;
            in[0] += input;
            (*nmain)++;
        }
    }
}

static void copy_file(const char *from, const char *dir, const char *name)
{
    char to[1024];
    snprintf(to, sizeof to, "%s/%s", dir, name);
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    ck_assert(a && b);
    char buf[1 << 14];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        ck_assert_uint_eq(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
}

static double jnum(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItem(o, a);
    if (b)
        x = cJSON_GetObjectItem(x, b);
    ck_assert_msg(cJSON_IsNumber(x), "missing %s.%s", a, b ? b : "");
    return x->valuedouble;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(agentic_infinite_cache_matches_independent_count)
{
    /* The conversation with the lowest hit (72.2 %), the highest (98.9 %) and two with sub-agents. */
    static const char *const names[] = {"trace_0277.json.gz", "trace_0291.json.gz", "trace_0505.json.gz",
                                        "trace_0681.json.gz"};
    enum { NCONV = 4 };
    const char *dir = tu_scratch_dir("agentic");
    double hit[2] = {0, 0}, in[2] = {0, 0}, conv[NCONV];
    int nmain = 0;
    for (int c = 0; c < NCONV; c++) {
        char rel[256];
        snprintf(rel, sizeof rel, "traces/kv-cache-tester/%s", names[c]);
        const char *path = tu_shared(rel);
        copy_file(path, dir, names[c]);
        char *text = read_gz(path);
        cJSON *root = cJSON_Parse(text);
        ck_assert_msg(root != NULL, "%s: not JSON", path);
        const cJSON *reqs = cJSON_GetObjectItem(root, "requests");
        idset_t seen = {NULL, 2 * count_ids(reqs) + 1};
        seen.k = calloc(seen.cap, sizeof *seen.k);
        double h[2] = {0, 0}, i[2] = {0, 0};
        walk(reqs, true, &seen, h, i, &nmain);
        conv[c] = h[0] / i[0];
        for (int k = 0; k < 2; k++) {
            hit[k] += h[k];
            in[k] += i[k];
        }
        free(seen.k);
        cJSON_Delete(root);
        free(text);
    }
    qsort(conv, NCONV, sizeof *conv, cmp_double);
    ck_assert_msg(in[1] > in[0], "the chosen conversations must have sub-agents");

    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "cache", dir, "--policy", "lru", "--capacity", "inf", "--sessions", "--format",
                           "json", NULL);
    ck_assert_msg(rc == 0, "kvtwin cache failed: %s", err);
    cJSON *rows = cJSON_Parse(out);
    ck_assert(rows && cJSON_GetArraySize(rows) == 1);
    const cJSON *row = cJSON_GetArrayItem(rows, 0);
    ck_assert_double_eq(jnum(row, "hit_tokens", NULL), hit[1]);
    ck_assert_double_eq(jnum(row, "input_tokens", NULL), in[1]);
    ck_assert_double_eq(jnum(row, "main_agents", "requests"), nmain);
    ck_assert_double_eq_tol(jnum(row, "main_agents", "hit_rate_tokens"), hit[0] / in[0], 1e-12);
    const cJSON *q = cJSON_GetObjectItem(cJSON_GetObjectItem(row, "sessions"), "hit_rate_tokens");
    ck_assert_double_eq(jnum(row, "sessions", "count"), NCONV);
    ck_assert_double_eq_tol(jnum(q, "min", NULL), conv[0], 1e-12);
    ck_assert_double_eq_tol(jnum(q, "p50", NULL), (conv[1] + conv[2]) / 2, 1e-12);
    ck_assert_double_eq_tol(jnum(q, "p25", NULL), conv[0] + 0.75 * (conv[1] - conv[0]), 1e-12);
    ck_assert_double_eq_tol(jnum(q, "max", NULL), conv[3], 1e-12);
    ck_assert_double_eq_tol(jnum(q, "mean", NULL), (conv[0] + conv[1] + conv[2] + conv[3]) / 4, 1e-12);
    /* The figures of VALIDATION.md 2 for these two conversations. */
    ck_assert_double_eq_tol(100 * conv[0], 72.2, 0.05);
    ck_assert_double_eq_tol(100 * conv[3], 98.9, 0.05);
    cJSON_Delete(rows);
    free(out);
    free(err);
}
END_TEST

/* ---- a pod of local caches against one pool: the Mooncake figure, counted independently ---- */

/* Prefix-hit LRU of one cache, from the definitions alone: a hash table of ids (open addressing) and a
 * doubly linked recency list over dense indices. A request hits its longest cached leading run; if it fits
 * the cache its blocks all become most recent, its first block last (so most recent of all); larger
 * requests change nothing. */
typedef struct ref_lru {
    uint64_t *key; /* open addressing; key + 1, 0 = empty */
    int32_t *slot; /* dense index of each key */
    size_t hcap;
    int32_t *prev, *next, head, tail; /* head = most recent */
    uint8_t *in;                      /* dense index cached */
    uint64_t *idof;
    int32_t ndense;
    uint64_t used, cap;
} ref_lru_t;

static void ref_lru_init(ref_lru_t *c, uint64_t cap, size_t distinct)
{
    memset(c, 0, sizeof *c);
    c->hcap = 4 * distinct + 1;
    c->key = calloc(c->hcap, sizeof *c->key);
    c->slot = calloc(c->hcap, sizeof *c->slot);
    c->prev = calloc(distinct + 1, sizeof *c->prev);
    c->next = calloc(distinct + 1, sizeof *c->next);
    c->in = calloc(distinct + 1, 1);
    c->idof = calloc(distinct + 1, sizeof *c->idof);
    c->head = c->tail = -1;
    c->cap = cap;
}

static void ref_lru_free(ref_lru_t *c)
{
    free(c->key);
    free(c->slot);
    free(c->prev);
    free(c->next);
    free(c->in);
    free(c->idof);
}

static int32_t ref_lru_index(ref_lru_t *c, uint64_t id)
{
    size_t i = (size_t)((id * 0x9E3779B97F4A7C15ull) % c->hcap);
    while (c->key[i] && c->key[i] != id + 1)
        i = (i + 1) % c->hcap;
    if (!c->key[i]) {
        c->key[i] = id + 1;
        c->slot[i] = c->ndense;
        c->idof[c->ndense] = id;
        c->ndense++;
    }
    return c->slot[i];
}

static void ref_lru_unlink(ref_lru_t *c, int32_t k)
{
    if (c->prev[k] >= 0)
        c->next[c->prev[k]] = c->next[k];
    else
        c->head = c->next[k];
    if (c->next[k] >= 0)
        c->prev[c->next[k]] = c->prev[k];
    else
        c->tail = c->prev[k];
}

static void ref_lru_front(ref_lru_t *c, int32_t k)
{
    if (c->in[k])
        ref_lru_unlink(c, k);
    else {
        c->in[k] = 1;
        c->used++;
    }
    c->prev[k] = -1;
    c->next[k] = c->head;
    if (c->head >= 0)
        c->prev[c->head] = k;
    else
        c->tail = k;
    c->head = k;
}

/* One request; returns its hit tokens. */
static uint64_t ref_lru_request(ref_lru_t *c, const uint64_t *ids, uint32_t n, uint32_t in, uint32_t bt)
{
    uint32_t p = 0;
    int32_t k[512];
    for (uint32_t i = 0; i < n; i++)
        k[i] = ref_lru_index(c, ids[i]);
    while (p < n && c->in[k[p]])
        p++;
    if (n <= c->cap) {
        for (uint32_t i = n; i-- > 0;)
            ref_lru_front(c, k[i]);
        while (c->used > c->cap) {
            int32_t v = c->tail;
            ref_lru_unlink(c, v);
            c->in[v] = 0;
            c->used--;
        }
    }
    uint64_t h = (uint64_t)p * bt;
    return h < in ? h : in;
}

/* Mooncake FAST'25 Fig. 10's comparison as docs/validation.md runs it: 10 instances, each with a local
 * G1 of 1e6 tokens (1,953 blocks), requests dealt round-robin, against one pool of 10 x 1,953 blocks.
 * kvtwin cache --instances 10 --route rr must give the hit tokens of ten independent LRU caches fed the
 * same way, and its pooled figure those of one. */
START_TEST(mooncake_local_vs_global_matches_independent_count)
{
    const char *path = tu_shared("traces/mooncake/conversation_trace.jsonl");
    FILE *f = fopen(path, "r");
    ck_assert(f != NULL);
    enum { NI = 10, CAP = 1953 };
    ref_lru_t loc[NI], pool;
    for (int i = 0; i < NI; i++)
        ref_lru_init(&loc[i], CAP, 200000);
    ref_lru_init(&pool, (uint64_t)CAP * NI, 200000);
    static char line[1 << 16];
    uint64_t ids[512], hit_local = 0, hit_pool = 0, input = 0;
    for (uint64_t r = 0; fgets(line, sizeof line, f); r++) {
        cJSON *j = cJSON_Parse(line);
        ck_assert(j != NULL);
        uint32_t n = 0;
        const cJSON *id;
        cJSON_ArrayForEach(id, cJSON_GetObjectItem(j, "hash_ids"))
        {
            ck_assert(n < 512);
            ids[n++] = (uint64_t)id->valuedouble;
        }
        uint32_t in = (uint32_t)cJSON_GetObjectItem(j, "input_length")->valuedouble;
        input += in;
        hit_local += ref_lru_request(&loc[r % NI], ids, n, in, 512);
        hit_pool += ref_lru_request(&pool, ids, n, in, 512);
        cJSON_Delete(j);
    }
    fclose(f);
    for (int i = 0; i < NI; i++)
        ref_lru_free(&loc[i]);
    ref_lru_free(&pool);

    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "cache", path, "--policy", "lru", "--capacity", "1e6", "--instances", "10",
                           "--route", "rr", "--format", "json", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    cJSON *rows = cJSON_Parse(out);
    const cJSON *row = cJSON_GetArrayItem(rows, 0);
    ck_assert_double_eq(jnum(row, "input_tokens", NULL), (double)input);
    ck_assert_double_eq(jnum(row, "hit_tokens", NULL), (double)hit_local);
    ck_assert_double_eq_tol(jnum(row, "pod", "pooled_hit_rate_tokens"), (double)hit_pool / (double)input, 1e-12);
    ck_assert_double_eq_tol(jnum(row, "pod", "sharing_gain_tokens"), (double)(hit_pool - hit_local) / (double)input,
                            1e-12);
    ck_assert(hit_pool > 3 * hit_local); /* the point of the figure */
    cJSON_Delete(rows);
    free(out);
    free(err);
}
END_TEST

/* The replay's knobs each change something, and bad values are refused with one line and exit 2. */
START_TEST(cli_knobs_and_bad_capacities)
{
    const char *trace = tu_fixture("golden/agentic-24.jsonl.gz");
    static const char *const bad[] = {"",     ",",   "1e6,", ",1e6", "0",     "0b",   "-5",
                                      "-1e6", "abc", "1e6x", "nan",  "1e999", "inf,", NULL};
    for (int k = 0; bad[k]; k++) {
        char *out = NULL, *err = NULL;
        int rc = tu_run_kvtwin(&out, &err, "cache", trace, "--policy", "lru", "--capacity", bad[k], NULL);
        ck_assert_msg(rc == 2, "--capacity \"%s\": exit %d", bad[k], rc);
        ck_assert_msg(strstr(err, "--capacity") && strchr(err, '\n') == err + strlen(err) - 1, "--capacity \"%s\": %s",
                      bad[k], err);
        ck_assert_msg(out == NULL || out[0] == '\0', "--capacity \"%s\" printed a result", bad[k]);
        free(out);
        free(err);
    }
    static const char *const badopt[][2] = {{"--count", "tokens"}, {"--instances", "0"}, {"--route", "nearest"},
                                            {"--domains", "x"},    {"--seed", "-1"},     {NULL, NULL}};
    for (int k = 0; badopt[k][0]; k++) {
        char *out = NULL, *err = NULL;
        int rc = tu_run_kvtwin(&out, &err, "cache", trace, "--policy", "lru", "--capacity", "1e5", badopt[k][0],
                               badopt[k][1], NULL);
        ck_assert_msg(rc == 2, "%s %s: exit %d", badopt[k][0], badopt[k][1], rc);
        free(out);
        free(err);
    }
    /* On and off: each knob moves the hit tokens on this trace. */
    static const char *const knobs[][6] = {
        {"--count", "blocks", NULL, NULL, NULL, NULL},         {"--instances", "4", NULL, NULL, NULL, NULL},
        {"--instances", "4", "--route", "random", NULL, NULL}, {"--instances", "4", "--route", "random", "--seed", "7"},
        {"--instances", "4", "--route", "tokens", NULL, NULL}, {"--instances", "4", "--route", "session", NULL, NULL},
        {"--instances", "4", "--route", "prefix", NULL, NULL}, {NULL, NULL, NULL, NULL, NULL, NULL}};
    double seen[16];
    int nseen = 0;
    for (int k = -1; k < 0 || knobs[k][0]; k++) {
        const char *args[16] = {"cache", trace, "--policy", "lru", "--capacity", "1e5", "--format", "json"};
        int na = 8;
        for (int a = 0; k >= 0 && a < 6 && knobs[k][a]; a++)
            args[na++] = knobs[k][a];
        char *out = NULL, *err = NULL;
        int rc = tu_run_kvtwin_argv(&out, &err, na, args);
        ck_assert_msg(rc == 0, "%s", err);
        cJSON *rows = cJSON_Parse(out);
        double h = jnum(cJSON_GetArrayItem(rows, 0), "hit_tokens", NULL);
        for (int i = 0; i < nseen; i++)
            ck_assert_msg(seen[i] != h, "knob %d gives the hit tokens of case %d (%.0f)", k, i - 1, h);
        seen[nseen++] = h;
        cJSON_Delete(rows);
        free(out);
        free(err);
    }
    /* --domains: 4 instances sharing one G2 against one G2 each. */
    double g2[2];
    for (int d = 0; d < 2; d++) {
        char *out = NULL, *err = NULL;
        int rc = tu_run_kvtwin(&out, &err, "cache", trace, "--policy", "lru", "--tiers", "G1=*,G2=2e5", "--capacity",
                               "5e4", "--instances", "4", "--domains", d ? "1" : "4", "--format", "json", NULL);
        ck_assert_msg(rc == 0, "%s", err);
        cJSON *rows = cJSON_Parse(out);
        g2[d] = jnum(cJSON_GetArrayItem(rows, 0), "hit_tokens", NULL);
        cJSON_Delete(rows);
        free(out);
        free(err);
    }
    ck_assert(g2[0] != g2[1]);
}
END_TEST

/* Fields of one CSV line, commas inside double quotes not counting. */
static int csv_fields(const char *line, const char *end)
{
    int n = 1;
    bool quoted = false;
    for (const char *c = line; c < end; c++) {
        if (*c == '"')
            quoted = !quoted;
        else if (*c == ',' && !quoted)
            n++;
    }
    return n;
}

/* A tier stack holds commas: the CSV quotes it, so that every row has the header's columns. */
START_TEST(csv_rows_keep_their_columns)
{
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "cache", tu_fixture("golden/agentic-24.jsonl.gz"), "--policy", "lru,arc",
                           "--tiers", "G1=300b,G2=*:exclusive", "--capacity", "1500b,3000b", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    const char *line = out;
    int header = -1, rows = 0;
    while (*line) {
        const char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        int n = csv_fields(line, nl);
        if (header < 0)
            header = n;
        else {
            ck_assert_int_eq(n, header);
            rows++;
        }
        line = nl + 1;
    }
    ck_assert_int_eq(rows, 4);
    ck_assert_ptr_nonnull(strstr(out, ",\"G1=300b,G2=*:exclusive\","));
    free(out);
    free(err);
}
END_TEST

static Suite *replay_suite(void)
{
    Suite *s = suite_create("kv_replay");
    TCase *tc = tcase_create("replay");
    tcase_add_test(tc, clamps_and_attributes);
    tcase_add_test(tc, per_tier_split);
    tcase_add_test(tc, offline_needs_oracle);
    tcase_add_test(tc, cli_bad_policy_and_listing);
    tcase_add_test(tc, agentic_infinite_cache_matches_independent_count);
    tcase_add_test(tc, metadata_budget_every_policy);
    tcase_add_test(tc, mooncake_local_vs_global_matches_independent_count);
    tcase_add_test(tc, cli_knobs_and_bad_capacities);
    tcase_add_test(tc, csv_rows_keep_their_columns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(replay_suite());
}
