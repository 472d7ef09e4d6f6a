/* Miss-ratio curves: LRU stack distances in one pass, and spatial sampling; see mrc.h. */
#define _POSIX_C_SOURCE 200809L
#include "sim/kv/mrc.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/base/alloc.h"
#include "sim/base/mix.h"
#include "sim/base/u64map.h"

static double mrc_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Salt of the sampling hash: any fixed value; the splitmix step keeps id 0 (every Mooncake request's first
 * block) from hashing to 0, which would put it in every sample. */
#define KV_SHARDS_SALT UINT64_C(0x5AA5D5)

static inline uint64_t mrc_block_tokens(uint32_t i, uint32_t bt, uint32_t in)
{
    uint64_t lo = (uint64_t)i * bt;
    return lo >= in ? 0 : (in - lo < bt ? in - lo : bt);
}

/* A Fenwick tree of 0/1 marks over access times 1..n: one mark at the last access of every block. */
typedef struct fenwick {
    uint32_t *v;
    uint64_t n;
} fenwick_t;

static void fw_add(fenwick_t *f, uint64_t i, int d)
{
    for (; i <= f->n; i += i & (~i + 1))
        f->v[i] += (uint32_t)d;
}

static uint64_t fw_sum(const fenwick_t *f, uint64_t i)
{
    uint64_t s = 0;
    for (; i > 0; i -= i & (~i + 1))
        s += f->v[i];
    return s;
}

#define MRC_COLD UINT64_MAX

/* The pass's state: the marks, each block's dense index (first seen first) and the time of its last
 * access, and the hit weights by depth. */
typedef struct mrc_pass {
    fenwick_t fw;
    u64map_t index; /* block id -> dense index */
    uint64_t *last; /* dense index -> time of the last access */
    size_t caplast;
    uint64_t now, marks; /* marks: distinct blocks indexed */
    uint64_t live;       /* of those, accessed (each has its mark in fw) */
    double *w[3];        /* blocks, tokens, request shares by depth; cap entries */
    size_t cap;
} mrc_pass_t;

/* The dense index of id, a new one (marks - 1 after the call) if never seen; *seen tells which. */
static uint64_t mrc_index(mrc_pass_t *p, uint64_t id, bool *seen)
{
    uint64_t k;
    *seen = u64map_get(&p->index, id, &k);
    if (!*seen) {
        k = p->marks++;
        u64map_put(&p->index, id, k);
        kvt_grow(&p->last, &p->caplast, (size_t)k + 1, sizeof *p->last, 1024);
        p->last[k] = 0;
    }
    return k;
}

/* Depth of block k in the LRU stack (0: most recent); it must have been accessed before. */
static uint64_t mrc_depth(const mrc_pass_t *p, uint64_t k)
{
    return p->live - fw_sum(&p->fw, p->last[k]); /* marks after its last access */
}

/* Makes block k the most recent. */
static void mrc_touch(mrc_pass_t *p, uint64_t k)
{
    if (p->last[k])
        fw_add(&p->fw, p->last[k], -1);
    else
        p->live++;
    fw_add(&p->fw, ++p->now, 1);
    p->last[k] = p->now;
}

static void mrc_weigh(mrc_pass_t *p, uint64_t d, uint64_t tok, uint32_t in)
{
    if (d >= p->cap) {
        size_t old = p->cap, want = (size_t)d + 1;
        size_t cap = old;
        for (int k = 0; k < 3; k++) {
            cap = old;
            kvt_grow(&p->w[k], &cap, want, sizeof(double), 1024);
            memset(p->w[k] + old, 0, (cap - old) * sizeof(double));
        }
        p->cap = cap;
    }
    p->w[0][d] += 1;
    p->w[1][d] += (double)tok;
    if (in)
        p->w[2][d] += (double)tok / in;
}

void kv_mrc_lru(const kv_trace_t *t, int count, kv_mrc_t *out)
{
    memset(out, 0, sizeof *out);
    double t0 = mrc_wall();
    out->count = count;
    uint64_t nref = t->nreq ? t->off[t->nreq] : 0;
    mrc_pass_t p;
    memset(&p, 0, sizeof p);
    p.fw.n = nref + 1;
    p.fw.v = kvt_calloc(nref + 2, sizeof(uint32_t));
    u64map_init(&p.index);
    uint64_t *dep = NULL, *dense = NULL;
    size_t capdep = 0, capdense = 0;
    for (uint64_t r = 0; r < t->nreq; r++) {
        const uint64_t *ids = t->ids + t->off[r];
        uint32_t n = (uint32_t)(t->off[r + 1] - t->off[r]);
        uint32_t bt = t->block_tokens[r], in = t->input_tokens[r];
        out->requests++;
        out->block_refs += n;
        out->input_tokens += in;
        if (n > out->max_blocks)
            out->max_blocks = n;
        kvt_grow(&dep, &capdep, n ? n : 1, sizeof *dep, 256);
        kvt_grow(&dense, &capdense, n ? n : 1, sizeof *dense, 256);
        if (count == KV_COUNT_BLOCKS) {
            for (uint32_t i = 0; i < n; i++) {
                bool seen;
                uint64_t k = mrc_index(&p, ids[i], &seen);
                if (seen && p.last[k])
                    mrc_weigh(&p, mrc_depth(&p, k), mrc_block_tokens(i, bt, in), in);
                mrc_touch(&p, k);
            }
            continue;
        }
        /* Prefix: the depths before the request, their running maximum. A block new to the trace is
         * indexed now but accessed only below, so that the depths read here are all from before. */
        uint64_t m = 0;
        for (uint32_t i = 0; i < n; i++) {
            bool seen;
            uint64_t k = dense[i] = mrc_index(&p, ids[i], &seen);
            uint64_t d = p.last[k] ? mrc_depth(&p, k) : MRC_COLD;
            if (i > 0 && d < m)
                out->stack_violations++;
            if (d > m)
                m = d;
            dep[i] = m;
        }
        for (uint32_t i = 0; i < n && dep[i] != MRC_COLD; i++)
            mrc_weigh(&p, dep[i], mrc_block_tokens(i, bt, in), in);
        for (uint32_t i = n; i-- > 0;) /* released last block first: the first block ends most recent */
            mrc_touch(&p, dense[i]);
    }
    out->nd = p.marks + 1;
    out->cum_blocks = kvt_calloc(out->nd + 1, sizeof(double));
    out->cum_tokens = kvt_calloc(out->nd + 1, sizeof(double));
    out->cum_req = kvt_calloc(out->nd + 1, sizeof(double));
    for (uint64_t d = 0; d < out->nd; d++) {
        bool w = d < p.cap;
        out->cum_blocks[d + 1] = out->cum_blocks[d] + (w ? p.w[0][d] : 0);
        out->cum_tokens[d + 1] = out->cum_tokens[d] + (w ? p.w[1][d] : 0);
        out->cum_req[d + 1] = out->cum_req[d] + (w ? p.w[2][d] : 0);
    }
    /* req_larger[c]: requests of more than c blocks, c = 0..max_blocks. */
    out->req_larger = kvt_calloc((size_t)out->max_blocks + 2, sizeof *out->req_larger);
    for (uint64_t r = 0; r < t->nreq; r++)
        out->req_larger[t->off[r + 1] - t->off[r]]++;
    uint64_t above = 0;
    for (uint64_t c = out->max_blocks + 1; c-- > 0;) {
        uint64_t here = out->req_larger[c];
        out->req_larger[c] = above;
        above += here;
    }
    for (int k = 0; k < 3; k++)
        free(p.w[k]);
    free(dep);
    free(dense);
    free(p.last);
    free(p.fw.v);
    u64map_free(&p.index);
    out->wall_s = mrc_wall() - t0;
}

void kv_mrc_free(kv_mrc_t *m)
{
    free(m->cum_blocks);
    free(m->cum_tokens);
    free(m->cum_req);
    free(m->req_larger);
    memset(m, 0, sizeof *m);
}

void kv_mrc_at(const kv_mrc_t *m, uint64_t cap, kv_replay_result_t *out)
{
    memset(out, 0, sizeof *out);
    uint64_t c = cap < m->nd ? cap : m->nd;
    out->requests = m->requests;
    out->block_refs = m->block_refs;
    out->input_tokens = m->input_tokens;
    out->hit_blocks = (uint64_t)(m->cum_blocks[c] + 0.5);
    out->hit_tokens = (uint64_t)(m->cum_tokens[c] + 0.5);
    out->hit_tokens_tier[KV_G1] = out->hit_tokens;
    out->req_hit_sum = m->cum_req[c];
    out->req_hit_sum_tier[KV_G1] = m->cum_req[c];
    out->too_big = m->count == KV_COUNT_BLOCKS ? 0 : m->req_larger[cap < m->max_blocks ? cap : m->max_blocks];
    out->n_instances = 1;
    out->load_imbalance = 1;
    out->tier[KV_G1].capacity_blocks = cap;
    out->wall_s = m->wall_s;
}

void kv_trace_sample(const kv_trace_t *t, double rate, kv_trace_t *out, double *covered_tokens_ratio)
{
    assert(rate > 0 && rate <= 1);
    kv_trace_init(out);
    uint64_t thresh = (uint64_t)(rate * (double)(1u << 24) + 0.5);
    uint64_t *ids = NULL;
    size_t cap = 0;
    double covered = 0, input = 0;
    for (uint64_t r = 0; r < t->nreq; r++) {
        const uint64_t *src = t->ids + t->off[r];
        uint32_t n = (uint32_t)(t->off[r + 1] - t->off[r]), k = 0;
        uint32_t bt = t->block_tokens[r], in = t->input_tokens[r];
        kvt_grow(&ids, &cap, n ? n : 1, sizeof *ids, 256);
        uint64_t tokens = 0;
        input += in;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t tok = mrc_block_tokens(i, bt, in);
            covered += (double)tok;
            if ((kvt_splitmix64(src[i] ^ KV_SHARDS_SALT) >> 40) < thresh) {
                ids[k++] = src[i];
                tokens += tok;
            }
        }
        if (k == 0)
            continue;
        kv_trace_add(out, ids, k, (uint32_t)tokens, bt, t->session[r], t->t_s[r]);
        kv_trace_set_depth(out, t->depth[r]);
    }
    free(ids);
    kv_trace_finish(out);
    *covered_tokens_ratio = input > 0 ? covered / input : 1;
}

/* Weight of an ordinary sampled reference in tokens' units; a hot one weighs rate x this. */
#define KV_SHARDS_UNIT 1024.0

void kv_shards_build(const kv_trace_t *t, double rate, double hot_share, kv_shards_t *s)
{
    assert(rate > 0 && rate <= 1);
    memset(s, 0, sizeof *s);
    s->rate = rate;
    kv_trace_init(&s->tok);
    kv_trace_init(&s->blk);
    uint64_t nref = t->nreq ? t->off[t->nreq] : 0;
    u64map_t refs;
    u64map_init(&refs);
    for (uint64_t k = 0; k < nref; k++) {
        uint64_t c = 0;
        u64map_get(&refs, t->ids[k], &c);
        u64map_put(&refs, t->ids[k], c + 1);
    }
    double hot_refs = hot_share * (double)nref;
    size_t pos = 0;
    uint64_t key, val;
    while (u64map_next(&refs, &pos, &key, &val))
        if ((double)val >= hot_refs && val >= 2)
            s->hot++;
    uint64_t thresh = (uint64_t)(rate * (double)(1u << 24) + 0.5);
    double hot_w = rate < 1 ? rate * KV_SHARDS_UNIT : KV_SHARDS_UNIT;
    double covered = 0, input = 0;
    for (uint64_t r = 0; r < t->nreq; r++) {
        const uint64_t *ids = t->ids + t->off[r];
        uint32_t n = (uint32_t)(t->off[r + 1] - t->off[r]), bt = t->block_tokens[r], in = t->input_tokens[r];
        input += in;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t tok = mrc_block_tokens(i, bt, in), c = 0;
            covered += (double)tok;
            u64map_get(&refs, ids[i], &c);
            bool hot = (double)c >= hot_refs && c >= 2;
            if (!hot && (kvt_splitmix64(ids[i] ^ KV_SHARDS_SALT) >> 40) >= thresh)
                continue;
            double w = hot ? hot_w : KV_SHARDS_UNIT;
            uint32_t wt = (uint32_t)((double)tok * w + 0.5), wb = (uint32_t)(w + 0.5);
            kv_trace_add(&s->tok, ids + i, 1, wt, wt ? wt : 1, t->session[r], t->t_s[r]);
            kv_trace_add(&s->blk, ids + i, 1, wb, wb, t->session[r], t->t_s[r]);
        }
    }
    u64map_free(&refs);
    kv_trace_finish(&s->tok);
    kv_trace_finish(&s->blk);
    s->covered = input > 0 ? covered / input : 1;
}

void kv_shards_free(kv_shards_t *s)
{
    kv_trace_free(&s->tok);
    kv_trace_free(&s->blk);
    memset(s, 0, sizeof *s);
}

uint64_t kv_shards_capacity(const kv_shards_t *s, uint64_t cap)
{
    if (cap <= s->hot)
        return cap;
    double c = floor(s->rate * (double)(cap - s->hot) + 0.5) + (double)s->hot;
    return c < 1 ? 1 : (uint64_t)c;
}
