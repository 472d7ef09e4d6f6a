/* Step times of decode runs, kept for reuse. A decode run is a decode-only batch of fixed size whose
 * requests each gain one token of context per step: step j (from 1) of the run that starts with ctx0 tokens of
 * context in all has shape {decode_seqs = seqs, decode_ctx_tokens = ctx0 + (j - 1) x seqs}. The engine lays
 * out a whole run at once; when a wake-up stops it early and the same batch resumes (nothing admitted,
 * nothing finished), the resumed run's steps are the old run's later steps, shape for shape, and are taken
 * from the table instead of being computed again. Every step is st_decode_step, then pw_gpu_cap: the same
 * doubles as st_step and pw_gpu_cap on its shape, whether computed or reused. */
#ifndef KVTWIN_STRUN_H
#define KVTWIN_STRUN_H

#include <stdint.h>

#include "models/hw.h"
#include "models/steptime.h"

typedef struct st_run {
    const st_model_t *m;
    const hw_gpu_t *gpu; /* its power cap applies to every step */
    double seqs, ctx0;   /* the run the table holds */
    uint32_t n, cap;
    st_time_t *step;   /* step[j - 1]: step j */
    uint64_t computed; /* steps evaluated, for the benchmarks */
    uint64_t reused;   /* steps taken from an earlier run */
} st_run_t;

void st_run_init(st_run_t *r, const st_model_t *m, const hw_gpu_t *gpu);
void st_run_free(st_run_t *r);

/* Steps 1..n of the run of `seqs` decodes starting at ctx0 context tokens; valid until the next call. */
const st_time_t *st_run_steps(st_run_t *r, double seqs, double ctx0, uint32_t n);

#endif
