/* Reference eviction policies for the tests, written from the papers' pseudo-code with plain arrays and
 * linear scans: slow (O(capacity) per access) and obviously correct, sharing no code with sim/kv. Each
 * replays a stream of block ids, every reference counted on its own, and returns its hits.
 *
 *   LRU, FIFO, LFU (no aging, equal counts: least recently used first), SIEVE (Zhang et al., NSDI'24),
 *   Belady's MIN, ARC (Megiddo and Modha, FAST'03, Fig. 4: cases I-IV and REPLACE, p real-valued),
 *   S3-FIFO (Yang et al., SOSP'23, Algorithm 1: evictS and evictM loops; a block promoted from S to M starts
 *   again at count 0; S holds max(1, floor(small_ratio c)) blocks before evictS runs, G floor(ghost_ratio c)
 *   ids). Arrays run from the oldest / least recent (index 0) to the newest. */
#ifndef KVTWIN_TESTS_REFPOLICIES_H
#define KVTWIN_TESTS_REFPOLICIES_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct ref_list {
    uint64_t *id;
    int *f;  /* per-entry counter (frequency, visited bit) */
    long *t; /* per-entry time (LFU) */
    long n;
} ref_list_t;

static ref_list_t ref_list_new(long cap)
{
    ref_list_t l;
    l.id = calloc((size_t)cap + 2, sizeof *l.id);
    l.f = calloc((size_t)cap + 2, sizeof *l.f);
    l.t = calloc((size_t)cap + 2, sizeof *l.t);
    l.n = 0;
    return l;
}

static void ref_list_free(ref_list_t *l)
{
    free(l->id);
    free(l->f);
    free(l->t);
}

static long ref_find(const ref_list_t *l, uint64_t id)
{
    for (long i = 0; i < l->n; i++)
        if (l->id[i] == id)
            return i;
    return -1;
}

static void ref_del(ref_list_t *l, long i)
{
    memmove(l->id + i, l->id + i + 1, (size_t)(l->n - i - 1) * sizeof *l->id);
    memmove(l->f + i, l->f + i + 1, (size_t)(l->n - i - 1) * sizeof *l->f);
    memmove(l->t + i, l->t + i + 1, (size_t)(l->n - i - 1) * sizeof *l->t);
    l->n--;
}

static void ref_push(ref_list_t *l, uint64_t id, int f, long t)
{
    l->id[l->n] = id;
    l->f[l->n] = f;
    l->t[l->n] = t;
    l->n++;
}

static long ref_lru(const uint64_t *s, long n, long c)
{
    ref_list_t l = ref_list_new(c);
    long hits = 0;
    for (long k = 0; k < n; k++) {
        long i = ref_find(&l, s[k]);
        if (i >= 0) {
            hits++;
            ref_del(&l, i);
        } else if (l.n == c) {
            ref_del(&l, 0);
        }
        ref_push(&l, s[k], 0, 0);
    }
    ref_list_free(&l);
    return hits;
}

static long ref_fifo(const uint64_t *s, long n, long c)
{
    ref_list_t l = ref_list_new(c);
    long hits = 0;
    for (long k = 0; k < n; k++) {
        if (ref_find(&l, s[k]) >= 0) {
            hits++;
            continue;
        }
        if (l.n == c)
            ref_del(&l, 0);
        ref_push(&l, s[k], 0, 0);
    }
    ref_list_free(&l);
    return hits;
}

static long ref_lfu(const uint64_t *s, long n, long c)
{
    ref_list_t l = ref_list_new(c);
    long hits = 0;
    for (long k = 0; k < n; k++) {
        long i = ref_find(&l, s[k]);
        if (i >= 0) {
            hits++;
            l.f[i]++;
            l.t[i] = k;
            continue;
        }
        if (l.n == c) {
            long v = 0;
            for (long j = 1; j < l.n; j++)
                if (l.f[j] < l.f[v] || (l.f[j] == l.f[v] && l.t[j] < l.t[v]))
                    v = j;
            ref_del(&l, v);
        }
        ref_push(&l, s[k], 1, k);
    }
    ref_list_free(&l);
    return hits;
}

static long ref_sieve(const uint64_t *s, long n, long c)
{
    ref_list_t l = ref_list_new(c);
    long hits = 0, hand = -1; /* index of the next candidate; -1: the oldest */
    for (long k = 0; k < n; k++) {
        long i = ref_find(&l, s[k]);
        if (i >= 0) {
            hits++;
            l.f[i] = 1;
            continue;
        }
        if (l.n == c) {
            long o = hand < 0 ? 0 : hand;
            while (l.f[o]) {
                l.f[o] = 0;
                o = o + 1 < l.n ? o + 1 : 0;
            }
            ref_del(&l, o);
            hand = o < l.n ? o : -1; /* the successor now sits at o */
        }
        ref_push(&l, s[k], 0, 0);
    }
    ref_list_free(&l);
    return hits;
}

typedef struct ref_pos {
    uint64_t id;
    long k;
} ref_pos_t;

static int ref_pos_cmp(const void *a, const void *b)
{
    const ref_pos_t *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

/* next[k]: the position of the next reference to s[k], n if none (sorting (id, position) pairs). */
static long *ref_next_use(const uint64_t *s, long n)
{
    ref_pos_t *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    long *next = malloc((size_t)(n ? n : 1) * sizeof *next);
    for (long k = 0; k < n; k++)
        v[k] = (ref_pos_t){s[k], k};
    qsort(v, (size_t)n, sizeof *v, ref_pos_cmp);
    for (long i = 0; i < n; i++)
        next[v[i].k] = i + 1 < n && v[i + 1].id == v[i].id ? v[i + 1].k : n;
    free(v);
    return next;
}

static long ref_belady(const uint64_t *s, long n, long c)
{
    ref_list_t l = ref_list_new(c);
    long *next = ref_next_use(s, n);
    long hits = 0;
    for (long k = 0; k < n; k++) {
        long i = ref_find(&l, s[k]);
        if (i >= 0) {
            hits++;
            l.t[i] = next[k];
            continue;
        }
        if (l.n == c) {
            long v = 0;
            for (long j = 1; j < l.n; j++)
                if (l.t[j] > l.t[v])
                    v = j;
            ref_del(&l, v);
        }
        ref_push(&l, s[k], 0, next[k]);
    }
    free(next);
    ref_list_free(&l);
    return hits;
}

/* ARC's REPLACE(x, p): T1's LRU page to B1 if T1 is not empty and (|T1| > p, or x in B2 and |T1| = p);
 * else T2's LRU page to B2. */
static void ref_arc_replace(ref_list_t *t1, ref_list_t *t2, ref_list_t *b1, ref_list_t *b2, double p, int in_b2)
{
    if (t1->n > 0 && ((double)t1->n > p || (in_b2 && (double)t1->n == p))) {
        ref_push(b1, t1->id[0], 0, 0);
        ref_del(t1, 0);
    } else {
        ref_push(b2, t2->id[0], 0, 0);
        ref_del(t2, 0);
    }
}

static long ref_arc(const uint64_t *s, long n, long c)
{
    ref_list_t t1 = ref_list_new(2 * c), t2 = ref_list_new(2 * c), b1 = ref_list_new(2 * c), b2 = ref_list_new(2 * c);
    double p = 0;
    long hits = 0;
    for (long k = 0; k < n; k++) {
        uint64_t x = s[k];
        long i;
        if ((i = ref_find(&t1, x)) >= 0 || (i = ref_find(&t2, x)) >= 0) { /* case I */
            hits++;
            ref_del(ref_find(&t1, x) >= 0 ? &t1 : &t2, i);
            ref_push(&t2, x, 0, 0);
        } else if ((i = ref_find(&b1, x)) >= 0) { /* case II */
            double d = b1.n >= b2.n ? 1.0 : (double)b2.n / (double)b1.n;
            p = fmin(p + d, (double)c);
            ref_arc_replace(&t1, &t2, &b1, &b2, p, 0);
            ref_del(&b1, ref_find(&b1, x));
            ref_push(&t2, x, 0, 0);
        } else if ((i = ref_find(&b2, x)) >= 0) { /* case III */
            double d = b2.n >= b1.n ? 1.0 : (double)b1.n / (double)b2.n;
            p = fmax(p - d, 0.0);
            ref_arc_replace(&t1, &t2, &b1, &b2, p, 1);
            ref_del(&b2, ref_find(&b2, x));
            ref_push(&t2, x, 0, 0);
        } else { /* case IV */
            if (t1.n + b1.n == c) {
                if (t1.n < c) {
                    ref_del(&b1, 0);
                    ref_arc_replace(&t1, &t2, &b1, &b2, p, 0);
                } else {
                    ref_del(&t1, 0);
                }
            } else if (t1.n + t2.n + b1.n + b2.n >= c) {
                if (t1.n + t2.n + b1.n + b2.n == 2 * c)
                    ref_del(&b2, 0);
                ref_arc_replace(&t1, &t2, &b1, &b2, p, 0);
            }
            ref_push(&t1, x, 0, 0);
        }
    }
    ref_list_free(&t1);
    ref_list_free(&t2);
    ref_list_free(&b1);
    ref_list_free(&b2);
    return hits;
}

static void ref_s3_evict_m(ref_list_t *m)
{
    for (;;) {
        uint64_t id = m->id[0];
        int f = m->f[0];
        ref_del(m, 0);
        if (f == 0)
            return;
        ref_push(m, id, f - 1, 0);
    }
}

static long ref_s3fifo(const uint64_t *s, long n, long c, double small_ratio, double ghost_ratio, int threshold)
{
    ref_list_t sq = ref_list_new(c), mq = ref_list_new(c);
    long gcap = (long)(ghost_ratio * (double)c), small = (long)(small_ratio * (double)c);
    if (small < 1)
        small = 1;
    ref_list_t g = ref_list_new(gcap + 1);
    long hits = 0;
    for (long k = 0; k < n; k++) {
        uint64_t x = s[k];
        long i;
        if ((i = ref_find(&sq, x)) >= 0 || (i = ref_find(&mq, x)) >= 0) {
            ref_list_t *q = ref_find(&sq, x) >= 0 ? &sq : &mq;
            if (q->f[i] < 3)
                q->f[i]++;
            hits++;
            continue;
        }
        if (sq.n + mq.n == c) {
            int evicted = 0;
            if (sq.n >= small) { /* evictS: until a block leaves S */
                while (!evicted && sq.n > 0) {
                    uint64_t t = sq.id[0];
                    int f = sq.f[0];
                    ref_del(&sq, 0);
                    if (f >= threshold) {
                        ref_push(&mq, t, 0, 0);
                    } else {
                        if (gcap > 0) {
                            if (g.n == gcap)
                                ref_del(&g, 0);
                            ref_push(&g, t, 0, 0);
                        }
                        evicted = 1;
                    }
                }
            }
            if (!evicted)
                ref_s3_evict_m(&mq);
        }
        if ((i = ref_find(&g, x)) >= 0) {
            ref_del(&g, i);
            ref_push(&mq, x, 0, 0);
        } else {
            ref_push(&sq, x, 0, 0);
        }
    }
    ref_list_free(&sq);
    ref_list_free(&mq);
    ref_list_free(&g);
    return hits;
}

#endif
