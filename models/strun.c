/* Decode-run step table; see strun.h. */
#include "models/strun.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/power.h"
#include "sim/base/alloc.h"

void st_run_init(st_run_t *r, const st_model_t *m, const hw_gpu_t *gpu)
{
    memset(r, 0, sizeof *r);
    r->m = m;
    r->gpu = gpu;
}

void st_run_free(st_run_t *r)
{
    free(r->step);
    memset(r, 0, sizeof *r);
}

/* Steps of the held run that the run (seqs, ctx0) begins with: the held run's steps after its k-th, where
 * ctx0 = held ctx0 + k x seqs exactly (contexts are whole token counts, so the sums are exact). */
static uint32_t st_run_skip(const st_run_t *r, double seqs, double ctx0, uint32_t *k_out)
{
    if (r->n == 0 || seqs != r->seqs || ctx0 < r->ctx0)
        return 0;
    double k = (ctx0 - r->ctx0) / seqs;
    if (k != floor(k) || k >= r->n || r->ctx0 + k * seqs != ctx0)
        return 0;
    *k_out = (uint32_t)k;
    return r->n - (uint32_t)k;
}

const st_time_t *st_run_steps(st_run_t *r, double seqs, double ctx0, uint32_t n)
{
    uint32_t k = 0, have = st_run_skip(r, seqs, ctx0, &k);
    if (have > 0 && k > 0)
        memmove(r->step, r->step + k, (size_t)have * sizeof *r->step);
    if (have > n)
        have = n;
    r->reused += have;
    if (n > r->cap) {
        r->cap = n * 2;
        r->step = kvt_realloc(r->step, r->cap, sizeof *r->step);
    }
    st_decode_base_t base;
    st_decode_base(r->m, seqs, &base);
    for (uint32_t j = have + 1; j <= n; j++) {
        st_time_t *t = &r->step[j - 1];
        st_decode_step(r->m, &base, ctx0 + (double)(j - 1) * seqs, t);
        pw_gpu_cap(r->gpu, t);
    }
    r->computed += n - have;
    /* The table keeps the longest run it holds steps for (an early stop may be followed by a shorter run). */
    if (have == 0 || n >= r->n - k) {
        r->n = n;
    } else {
        r->n -= k;
    }
    r->seqs = seqs;
    r->ctx0 = ctx0;
    return r->step;
}
