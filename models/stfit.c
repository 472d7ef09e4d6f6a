/* Step-time calibration; see stfit.h. One st_model_t is built per distinct tensor-parallel degree for each
 * evaluation (a calloc and a few dozen multiplications), so the fit costs points x decode samples
 * st_step calls per evaluation. Decode means over long outputs are taken on ST_DECODE_SAMPLES midpoints
 * of the context range: the step time is piecewise linear in the context, so this is exact within a
 * regime and within a fraction of a percent across one. */
#include "models/stfit.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>

#define ST_DECODE_SAMPLES 16
#define ST_FIT_MAX_TP 8 /* distinct tensor-parallel degrees in one data set */

const char *const st_point_kind_names[] = {"prefill_s",        "decode_s",         "ttft_s",
                                           "static_tok_s_gpu", "steady_tok_s_gpu", NULL};
const char *const st_fit_param_names[] = {
    "compute_efficiency", "memory_efficiency",    "comm_efficiency",    "step_overhead_s",
    "per_seq_overhead_s", "collective_latency_s", "prefill_overhead_s", NULL};

/* Mean decode step time of `batch` requests over steps 1 .. osl - 1 after a prompt of isl tokens. */
static double st_mean_decode_s(const st_model_t *m, double batch, double isl, double osl)
{
    double steps = osl - 1.0;
    if (steps < 1)
        steps = 1;
    int k = steps < ST_DECODE_SAMPLES ? (int)steps : ST_DECODE_SAMPLES;
    double sum = 0;
    for (int j = 0; j < k; j++) {
        double ctx = isl + 1.0 + (steps - 1.0) * ((double)j + 0.5) / k;
        if (k == (int)steps)
            ctx = isl + 1.0 + j;
        st_shape_t s = {0};
        s.decode_seqs = batch;
        s.decode_ctx_tokens = batch * ctx;
        st_time_t t;
        st_step(m, &s, &t);
        sum += t.time_s;
    }
    return sum / k;
}

double st_point_predict(const st_model_t *m, const st_point_t *p)
{
    switch (p->kind) {
    case ST_PT_PREFILL_S:
    case ST_PT_TTFT_S:
        return st_prefill_batch_time_s(m, p->batch, p->isl);
    case ST_PT_DECODE_S:
        return st_mean_decode_s(m, p->batch, p->isl, p->osl);
    case ST_PT_STATIC_TOK_S_GPU: {
        double total = st_prefill_batch_time_s(m, p->batch, p->isl) +
                       (p->osl - 1.0) * st_mean_decode_s(m, p->batch, p->isl, p->osl);
        return p->batch * p->osl / (total * st_gpus(m));
    }
    case ST_PT_STEADY_TOK_S_GPU: {
        st_steady_t s;
        if (st_steady_state(m, p->isl, p->osl, p->batch, p->kv_reserve, &s))
            return 0.0; /* nothing fits: a throughput of 0, a relative error of -100 % */
        return s.output_tok_s / st_gpus(m);
    }
    default:
        assert(!"unknown point kind");
        return NAN;
    }
}

/* Models per tensor-parallel degree for one calibration. */
typedef struct st_model_set {
    unsigned tp[ST_FIT_MAX_TP];
    st_model_t *m[ST_FIT_MAX_TP];
    int n;
} st_model_set_t;

static void st_set_free(st_model_set_t *s)
{
    for (int i = 0; i < s->n; i++)
        st_model_destroy(s->m[i]);
    s->n = 0;
}

static int st_set_build(st_model_set_t *s, const hw_gpu_t *gpu, const llm_t *llm, const st_deploy_t *dep,
                        const st_calib_t *cal, const st_point_t *pts, size_t n, char *err, size_t errlen)
{
    s->n = 0;
    for (size_t i = 0; i < n; i++) {
        int j;
        for (j = 0; j < s->n; j++)
            if (s->tp[j] == pts[i].tp)
                break;
        if (j < s->n)
            continue;
        if (s->n == ST_FIT_MAX_TP) {
            snprintf(err, errlen, "more than %d distinct tensor-parallel degrees in one data set", ST_FIT_MAX_TP);
            st_set_free(s);
            return -1;
        }
        st_deploy_t d = *dep;
        d.par.tp = pts[i].tp;
        char e[256];
        st_model_t *m = st_model_create(gpu, llm, &d, cal, e, sizeof e);
        if (!m) {
            snprintf(err, errlen, "point %zu (%s, tp %u): %s", i + 1, pts[i].label, pts[i].tp, e);
            st_set_free(s);
            return -1;
        }
        s->tp[s->n] = pts[i].tp;
        s->m[s->n++] = m;
    }
    return 0;
}

static const st_model_t *st_set_get(const st_model_set_t *s, unsigned tp)
{
    for (int j = 0; j < s->n; j++)
        if (s->tp[j] == tp)
            return s->m[j];
    assert(!"tensor-parallel degree not built");
    return NULL;
}

int st_fit_evaluate(const hw_gpu_t *gpu, const llm_t *llm, const st_deploy_t *dep, const st_calib_t *cal,
                    const st_point_t *pts, size_t n, double *pred, st_fit_report_t *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    st_model_set_t set;
    if (st_set_build(&set, gpu, llm, dep, cal, pts, n, err, errlen))
        return -1;
    double sum[ST_PT_KINDS] = {0}, all = 0, worst = -1;
    for (size_t i = 0; i < n; i++) {
        double y = st_point_predict(st_set_get(&set, pts[i].tp), &pts[i]);
        if (pred)
            pred[i] = y;
        double r = y / pts[i].measured - 1.0;
        sum[pts[i].kind] += fabs(r);
        rep->count[pts[i].kind]++;
        all += fabs(r);
        rep->chisq += r * r;
        if (fabs(r) > worst) {
            worst = fabs(r);
            rep->worst = i;
            rep->worst_err = 100.0 * r;
        }
    }
    for (int k = 0; k < ST_PT_KINDS; k++)
        rep->mape[k] = rep->count[k] ? 100.0 * sum[k] / (double)rep->count[k] : (double)NAN;
    rep->mape_all = n ? 100.0 * all / (double)n : (double)NAN;
    st_set_free(&set);
    return 0;
}

/* --- the fit ----------------------------------------------------------------------------------------- */

typedef struct st_fit_ctx {
    const hw_gpu_t *gpu;
    const llm_t *llm;
    const st_deploy_t *dep;
    const st_point_t *pts;
    size_t n;
    unsigned fixed;
    st_calib_t base;
    int free_idx[ST_FIT_PARAMS]; /* parameter behind each entry of x */
    int nfree;
    double prior_weight;
    double prior_x[ST_FIT_PARAMS]; /* per prior parameter, in the fit's own coordinates */
    size_t nprior;                 /* prior residuals after the n point residuals: one per free prior parameter */
} st_fit_ctx_t;

static double st_logistic(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static double st_logit(double v)
{
    return log(v / (1.0 - v));
}

static double *st_calib_slot(st_calib_t *c, int i)
{
    switch (i) {
    case ST_FIT_COMPUTE:
        return &c->compute_efficiency;
    case ST_FIT_MEMORY:
        return &c->memory_efficiency;
    case ST_FIT_COMM:
        return &c->comm_efficiency;
    case ST_FIT_STEP:
        return &c->step_overhead_s;
    case ST_FIT_PER_SEQ:
        return &c->per_seq_overhead_s;
    case ST_FIT_LATENCY:
        return &c->collective_latency_s;
    default:
        return &c->prefill_overhead_s;
    }
}

static int st_is_efficiency(int i)
{
    return i <= ST_FIT_COMM;
}

/* Parameters the prior speaks of: the efficiencies and the collective latency (whose per-hop value a fit
 * at one tensor-parallel degree cannot separate from a per-step overhead). */
static int st_has_prior(int i)
{
    return st_is_efficiency(i) || i == ST_FIT_LATENCY;
}

static st_calib_t st_fit_unpack(const st_fit_ctx_t *c, const gsl_vector *x)
{
    st_calib_t cal = c->base;
    for (int k = 0; k < c->nfree; k++) {
        int i = c->free_idx[k];
        double v = gsl_vector_get(x, (size_t)k);
        /* Efficiencies stay strictly inside (0, 1): the logistic saturates in double precision. */
        *st_calib_slot(&cal, i) = st_is_efficiency(i) ? fmin(fmax(st_logistic(v), 1e-6), 1.0 - 1e-9) : exp(v);
    }
    return cal;
}

static int st_fit_f(const gsl_vector *x, void *params, gsl_vector *f)
{
    const st_fit_ctx_t *c = params;
    st_calib_t cal = st_fit_unpack(c, x);
    st_model_set_t set;
    char err[256];
    if (st_set_build(&set, c->gpu, c->llm, c->dep, &cal, c->pts, c->n, err, sizeof err))
        return GSL_EDOM;
    for (size_t i = 0; i < c->n; i++) {
        double y = st_point_predict(st_set_get(&set, c->pts[i].tp), &c->pts[i]);
        gsl_vector_set(f, i, y / c->pts[i].measured - 1.0);
    }
    size_t r = c->n;
    for (int k = 0; k < c->nfree && c->nprior; k++) {
        int i = c->free_idx[k];
        if (st_has_prior(i))
            gsl_vector_set(f, r++, c->prior_weight * (gsl_vector_get(x, (size_t)k) - c->prior_x[i]));
    }
    st_set_free(&set);
    return GSL_SUCCESS;
}

static double st_fit_pack(int i, double v)
{
    if (st_is_efficiency(i))
        return st_logit(fmin(fmax(v, 1e-4), 1.0 - 1e-4));
    return log(fmax(v, 1e-9));
}

/* One run of the trust-region solver from x0; returns the final sum of squares (INFINITY on failure). */
static double st_fit_run(st_fit_ctx_t *c, const double *x0, int max_iter, st_calib_t *out, int *iters)
{
    const gsl_multifit_nlinear_type *T = gsl_multifit_nlinear_trust;
    gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
    size_t p = (size_t)c->nfree;
    size_t nres = c->n + c->nprior;
    gsl_multifit_nlinear_workspace *w = gsl_multifit_nlinear_alloc(T, &fp, nres, p);
    gsl_multifit_nlinear_fdf fdf;
    memset(&fdf, 0, sizeof fdf);
    fdf.f = st_fit_f;
    fdf.n = nres;
    fdf.p = p;
    fdf.params = c;
    gsl_vector *x = gsl_vector_alloc(p);
    for (size_t k = 0; k < p; k++)
        gsl_vector_set(x, k, x0[k]);
    double chisq = INFINITY;
    if (gsl_multifit_nlinear_init(x, &fdf, w) == GSL_SUCCESS) {
        int info = 0;
        /* GSL_EMAXITER / GSL_ENOPROG still leave the best point reached in w->x. */
        (void)gsl_multifit_nlinear_driver((size_t)max_iter, 1e-10, 1e-10, 1e-12, NULL, NULL, &info, w);
        gsl_vector *r = gsl_multifit_nlinear_residual(w);
        double s = 0;
        for (size_t i = 0; i < nres; i++)
            s += gsl_vector_get(r, i) * gsl_vector_get(r, i);
        if (isfinite(s)) {
            chisq = s;
            *out = st_fit_unpack(c, gsl_multifit_nlinear_position(w));
            *iters = (int)gsl_multifit_nlinear_niter(w);
        }
    }
    gsl_vector_free(x);
    gsl_multifit_nlinear_free(w);
    return chisq;
}

int st_fit(const hw_gpu_t *gpu, const llm_t *llm, const st_deploy_t *dep, const st_point_t *pts, size_t n,
           const st_fit_opts_t *opts, st_calib_t *out, st_fit_report_t *rep, char *err, size_t errlen)
{
    st_fit_ctx_t c;
    memset(&c, 0, sizeof c);
    c.gpu = gpu;
    c.llm = llm;
    c.dep = dep;
    c.pts = pts;
    c.n = n;
    c.fixed = opts->fixed_mask;
    c.base = opts->start;
    for (int i = 0; i < ST_FIT_PARAMS; i++)
        if (!(c.fixed & (1u << i)))
            c.free_idx[c.nfree++] = i;
    if (opts->prior_weight > 0) {
        c.prior_weight = opts->prior_weight;
        st_calib_t pr = opts->prior;
        for (int i = 0; i < ST_FIT_PARAMS; i++) {
            if (!st_has_prior(i))
                continue;
            double v = *st_calib_slot(&pr, i);
            if (!(v > 0 && (v < 1 || !st_is_efficiency(i)))) {
                snprintf(err, errlen, "prior %s %g is not in %s", st_fit_param_names[i], v,
                         st_is_efficiency(i) ? "(0, 1)" : "(0, inf)");
                return -1;
            }
            c.prior_x[i] = st_fit_pack(i, v);
        }
        for (int k = 0; k < c.nfree; k++)
            c.nprior += st_has_prior(c.free_idx[k]) ? 1 : 0;
    }
    if (c.nfree == 0) {
        snprintf(err, errlen, "every parameter is held fixed: nothing to fit");
        return -1;
    }
    if (n < (size_t)c.nfree) {
        snprintf(err, errlen, "%zu points cannot determine %d free parameters; hold some with --fix", n, c.nfree);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        bool steady = pts[i].kind == ST_PT_STEADY_TOK_S_GPU;
        if (!(pts[i].measured > 0) || pts[i].tp == 0 || !(pts[i].batch >= (steady ? 0 : 1)) || !(pts[i].isl >= 1) ||
            (steady && !(pts[i].osl >= 2))) {
            snprintf(err, errlen, "point %zu (%s) has a non-positive value, tp, batch or input length", i + 1,
                     pts[i].label);
            return -1;
        }
    }
    /* Every point must have a model at the starting calibration (fails early on a bad deployment). */
    st_calib_t probe = c.base;
    for (int i = 0; i < ST_FIT_PARAMS; i++) {
        double *v = st_calib_slot(&probe, i);
        if (st_is_efficiency(i) && !(*v > 0 && *v <= 1))
            *v = 0.5;
    }
    st_model_set_t set;
    if (st_set_build(&set, gpu, llm, dep, &probe, pts, n, err, errlen))
        return -1;
    st_set_free(&set);

    /* Starting points: the given calibration, then the corners of a coarse box of efficiencies with
     * middling overheads; the best end point wins. */
    static const double eff_lo[3] = {0.3, 0.5, 0.1}, eff_hi[3] = {0.8, 0.9, 0.6};
    static const double over_mid[4] = {5e-3, 1e-4, 5e-6, 5e-3};
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int max_iter = opts->max_iter > 0 ? opts->max_iter : 200;
    double best = INFINITY;
    st_calib_t best_cal = probe;
    int best_iters = 0;
    for (int s = -1; s < 8; s++) {
        double x0[ST_FIT_PARAMS];
        for (int k = 0; k < c.nfree; k++) {
            int i = c.free_idx[k];
            double v;
            if (s < 0)
                v = *st_calib_slot(&probe, i);
            else if (st_is_efficiency(i))
                v = (s >> i) & 1 ? eff_hi[i] : eff_lo[i];
            else
                v = over_mid[i - ST_FIT_STEP];
            if (s < 0 && !st_is_efficiency(i) && v <= 0)
                v = over_mid[i - ST_FIT_STEP];
            x0[k] = st_fit_pack(i, v);
        }
        st_calib_t cal;
        int iters = 0;
        double chisq = st_fit_run(&c, x0, max_iter, &cal, &iters);
        if (chisq < best) {
            best = chisq;
            best_cal = cal;
            best_iters = iters;
        }
    }
    gsl_set_error_handler(old);
    if (!isfinite(best)) {
        snprintf(err, errlen, "the fit failed to converge from every starting point");
        return -1;
    }
    *out = best_cal;
    if (st_fit_evaluate(gpu, llm, dep, out, pts, n, NULL, rep, err, errlen))
        return -1;
    rep->iterations = best_iters;
    return 0;
}
