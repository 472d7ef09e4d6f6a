/* Cache-only replay of an in-memory trace through the KV manager; see replay.h. */
#define _POSIX_C_SOURCE 200809L
#include "sim/kv/replay.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/base/alloc.h"
#include "sim/base/u64map.h"
#include "sim/kv/oracle.h"
#include "sim/kv/policy.h"
#include "sim/kv/route.h"

static double kv_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *kv_grow(void *p, uint64_t n, size_t size)
{
    return kvt_realloc(p, (size_t)n, size);
}

void kv_trace_init(kv_trace_t *t)
{
    memset(t, 0, sizeof *t);
}

void kv_trace_free(kv_trace_t *t)
{
    free(t->off);
    free(t->ids);
    free(t->input_tokens);
    free(t->block_tokens);
    free(t->session);
    free(t->t_s);
    free(t->last_turn);
    free(t->depth);
    free(t->next_use);
    memset(t, 0, sizeof *t);
}

void kv_trace_add(kv_trace_t *t, const uint64_t *ids, uint32_t n, uint32_t input_tokens, uint32_t block_tokens,
                  uint64_t session, double t_s)
{
    if (t->nreq + 1 >= t->cap_req) {
        t->cap_req = t->cap_req ? t->cap_req * 2 : 1024;
        t->off = kv_grow(t->off, t->cap_req + 1, sizeof *t->off);
        t->input_tokens = kv_grow(t->input_tokens, t->cap_req, sizeof *t->input_tokens);
        t->block_tokens = kv_grow(t->block_tokens, t->cap_req, sizeof *t->block_tokens);
        t->session = kv_grow(t->session, t->cap_req, sizeof *t->session);
        t->t_s = kv_grow(t->t_s, t->cap_req, sizeof *t->t_s);
        t->last_turn = kv_grow(t->last_turn, t->cap_req, sizeof *t->last_turn);
        t->depth = kv_grow(t->depth, t->cap_req, sizeof *t->depth);
        if (t->nreq == 0)
            t->off[0] = 0;
    }
    uint64_t base = t->off[t->nreq];
    if (base + n > t->cap_ids) {
        while (base + n > t->cap_ids)
            t->cap_ids = t->cap_ids ? t->cap_ids * 2 : 1 << 16;
        t->ids = kv_grow(t->ids, t->cap_ids, sizeof *t->ids);
    }
    memcpy(t->ids + base, ids, (size_t)n * sizeof *ids);
    uint64_t r = t->nreq++;
    t->off[t->nreq] = base + n;
    t->input_tokens[r] = input_tokens;
    t->block_tokens[r] = block_tokens;
    t->session[r] = session;
    t->t_s[r] = t_s;
    t->last_turn[r] = 0;
    t->depth[r] = 0;
}

void kv_trace_set_depth(kv_trace_t *t, uint32_t depth)
{
    assert(t->nreq > 0);
    t->depth[t->nreq - 1] = (uint8_t)(depth < UINT8_MAX ? depth : UINT8_MAX);
}

void kv_trace_finish(kv_trace_t *t)
{
    u64map_t seen;
    u64map_init(&seen);
    for (uint64_t r = t->nreq; r-- > 0;) {
        t->last_turn[r] = 0;
        if (t->session[r] == UINT64_MAX)
            continue;
        if (!u64map_get(&seen, t->session[r], NULL)) {
            t->last_turn[r] = 1;
            u64map_put(&seen, t->session[r], 1);
        }
    }
    u64map_free(&seen);
}

double kv_trace_oracle(kv_trace_t *t)
{
    uint64_t n = t->nreq ? t->off[t->nreq] : 0;
    free(t->next_use);
    t->next_use = kvt_realloc(NULL, (size_t)(n ? n : 1), sizeof *t->next_use);
    double t0 = kv_wall();
    kv_oracle_next_use(t->ids, (size_t)n, t->next_use);
    return kv_wall() - t0;
}

uint64_t kv_trace_distinct(const kv_trace_t *t)
{
    u64map_t seen;
    u64map_init(&seen);
    uint64_t n = t->nreq ? t->off[t->nreq] : 0;
    for (uint64_t k = 0; k < n; k++)
        if (!u64map_get(&seen, t->ids[k], NULL))
            u64map_put(&seen, t->ids[k], 1);
    uint64_t d = seen.n;
    u64map_free(&seen);
    return d;
}

const char *kv_count_name(int count)
{
    return count == KV_COUNT_BLOCKS ? "blocks" : count == KV_COUNT_PREFIX ? "prefix" : "?";
}

int kv_count_find(const char *name)
{
    if (name && strcmp(name, "prefix") == 0)
        return KV_COUNT_PREFIX;
    if (name && strcmp(name, "blocks") == 0)
        return KV_COUNT_BLOCKS;
    return -1;
}

/* Tokens of block i of a request of `in` input tokens in blocks of bt. */
static inline uint64_t kv_block_tokens(uint32_t i, uint32_t bt, uint32_t in)
{
    uint64_t lo = (uint64_t)i * bt;
    return lo >= in ? 0 : (in - lo < bt ? in - lo : bt);
}

/* Adds the hit tokens of one request, split by tier, to out. */
static void kv_count_hit(kv_replay_result_t *out, const uint64_t *tier_tok, uint64_t hit, uint32_t in)
{
    out->hit_tokens += hit;
    for (int k = 0; k < KV_NTIERS; k++) {
        out->hit_tokens_tier[k] += tier_tok[k];
        if (in > 0)
            out->req_hit_sum_tier[k] += (double)tier_tok[k] / in;
    }
    if (in > 0)
        out->req_hit_sum += (double)hit / in;
}

int kv_replay_run(const kv_trace_t *t, const kv_cfg_t *cfg_in, const kv_replay_opts_t *opts, kv_replay_result_t *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    kv_cfg_t cfg = *cfg_in;
    uint32_t ninst = opts && opts->n_instances > 1 ? opts->n_instances : 1;
    uint32_t ndom = opts && opts->n_domains > 0 && opts->n_domains < ninst ? opts->n_domains : ninst;
    uint32_t *dom = kvt_realloc(NULL, (size_t)ninst, sizeof *dom);
    for (uint32_t i = 0; i < ninst; i++)
        dom[i] = i % ndom;
    cfg.n_instances = ninst;
    cfg.n_domains = ndom;
    cfg.domain_of_instance = dom;
    bool blocks = opts && opts->count == KV_COUNT_BLOCKS;
    bool needs_future = false;
    for (int k = 0; k < KV_NTIERS; k++) {
        const kv_policy_ops_t *ops = cfg.tier[k].policy;
        if (cfg.tier[k].enabled && ops && ops->needs_next_use)
            needs_future = true;
    }
    if (needs_future && !t->next_use) {
        snprintf(err, errlen, "an offline policy needs the oracle pass (kv_trace_oracle) first");
        free(dom);
        return -1;
    }
    kv_mgr_t *m = kv_mgr_create(&cfg, err, errlen);
    if (!m) {
        free(dom);
        return -1;
    }
    kv_router_t *router = kv_router_create(opts ? opts->route : KV_ROUTE_RR, ninst, opts ? opts->route_seed : 0);
    uint64_t *inst_in = kvt_calloc(ninst, sizeof *inst_in);
    uint32_t maxn = 0;
    for (uint64_t r = 0; r < t->nreq; r++)
        if (t->off[r + 1] - t->off[r] > maxn)
            maxn = (uint32_t)(t->off[r + 1] - t->off[r]);
    uint8_t *tiers = kvt_malloc((size_t)maxn + 1);
    kv_move_t moves[64];
    double knee = opts && opts->cost_knee_tokens > 0 ? opts->cost_knee_tokens : 50000;

    double t0 = kv_wall();
    for (uint64_t r = 0; r < t->nreq; r++) {
        const uint64_t *ids = t->ids + t->off[r];
        uint32_t n = (uint32_t)(t->off[r + 1] - t->off[r]);
        uint32_t bt = t->block_tokens[r], in = t->input_tokens[r];
        uint32_t inst = ninst > 1 ? kv_router_pick(router, m, ids, n, in, t->session[r]) : 0;
        inst_in[inst] += in;
        out->requests++;
        out->block_refs += n;
        out->input_tokens += in;
        kv_access_t a = {t->t_s[r], r, t->session[r], 1.0 + 0.5 * in / knee,
                         t->next_use ? t->next_use + t->off[r] : NULL};
        uint64_t hit = 0;
        if (blocks) {
            /* Every reference on its own: a one-block request each (cannot be too big: G1 >= 1 block). */
            uint64_t tier_tok[KV_NTIERS] = {0};
            for (uint32_t i = 0; i < n; i++) {
                uint8_t tier;
                uint32_t h = kv_lookup_tiers(m, inst, ids + i, 1, &tier);
                if (h) {
                    uint64_t tok = kv_block_tokens(i, bt, in);
                    out->hit_blocks++;
                    hit += tok;
                    tier_tok[tier] += tok;
                }
                kv_access_t b = a;
                b.next_use = a.next_use ? a.next_use + i : NULL;
                int rc = kv_admit(m, inst, ids + i, 1, h, 0, &b);
                assert(rc == KV_OK);
                (void)rc;
                kv_commit(m, inst, ids + i, 0, 1, &b);
                kv_release(m, inst, ids + i, 1, 0, &b);
            }
            kv_count_hit(out, tier_tok, hit, in);
        } else {
            uint32_t prefix = kv_lookup_tiers(m, inst, ids, n, tiers);
            hit = (uint64_t)prefix * bt;
            if (hit > in)
                hit = in;
            out->hit_blocks += prefix;
            uint64_t tier_tok[KV_NTIERS] = {0};
            if (prefix > 0) {
                for (uint32_t i = 0; i < prefix; i++)
                    tier_tok[tiers[i]] += bt;
                tier_tok[tiers[prefix - 1]] -= (uint64_t)prefix * bt - hit; /* the clamp hits the last block */
            }
            kv_count_hit(out, tier_tok, hit, in);
            if (kv_admit(m, inst, ids, n, prefix, 0, &a) == KV_OK) {
                kv_commit(m, inst, ids, 0, n, &a);
                kv_release(m, inst, ids, n, 0, &a);
            } else {
                out->too_big++;
            }
        }
        if (opts && opts->hit_tokens)
            opts->hit_tokens[r] = (uint32_t)hit;
        if (opts && opts->inst_hit_tokens)
            opts->inst_hit_tokens[inst] += hit;
        if (t->last_turn[r])
            kv_session_end(m, t->session[r]);
        while (kv_drain_moves(m, moves, 64) == 64)
            ;
    }
    out->wall_s = kv_wall() - t0;
    out->n_instances = ninst;
    uint64_t most = 0;
    for (uint32_t i = 0; i < ninst; i++) {
        if (inst_in[i] > most)
            most = inst_in[i];
        if (opts && opts->inst_input_tokens)
            opts->inst_input_tokens[i] += inst_in[i];
    }
    out->load_imbalance = out->input_tokens ? (double)most * ninst / (double)out->input_tokens : 1.0;
    for (int k = 0; k < KV_NTIERS; k++) {
        kv_tier_stats(m, k, &out->tier[k]);
        out->mem_bytes[k] = kv_tier_mem_bytes(m, k);
    }
    free(tiers);
    free(inst_in);
    kv_router_destroy(router);
    kv_mgr_destroy(m);
    free(dom);
    return 0;
}
