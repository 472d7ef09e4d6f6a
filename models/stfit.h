/* Calibration of the step-time model: measured points (a prefill time, a decode step time, a static-batch
 * throughput or a time to first token, each for one tensor-parallel degree and shape) and a GSL
 * nonlinear least-squares fit of the efficiency factors of st_calib_t to them.
 *
 * The residual of a point is its relative error (predicted / measured - 1), so the fit minimises the sum
 * of squared relative errors, the smooth cousin of the MAPE that validation reports. Efficiencies are
 * fitted through a logistic map to stay in (0, 1), overheads and latencies through exp() to stay > 0.
 * Several fixed starting points are tried and the best kept: deterministic, no random restarts.
 * Units: seconds, tokens. */
#ifndef KVTWIN_STFIT_H
#define KVTWIN_STFIT_H

#include <stddef.h>

#include "models/hw.h"
#include "models/llm.h"
#include "models/steptime.h"

typedef enum st_point_kind {
    ST_PT_PREFILL_S = 0,    /* one iteration prefilling batch prompts of isl tokens (from an empty cache) */
    ST_PT_DECODE_S,         /* mean decode step of batch requests over the osl - 1 steps after a prefill of isl */
    ST_PT_TTFT_S,           /* prefill of batch x isl, as a time to first token */
    ST_PT_STATIC_TOK_S_GPU, /* static batch run: batch x osl output tokens / (total time x GPUs) */
    ST_PT_STEADY_TOK_S_GPU, /* continuous batching at full load (st_steady_state; batch = concurrency cap,
                               0 = as many as the KV budget holds): output tokens/s per GPU */
    ST_PT_KINDS
} st_point_kind_t;

extern const char *const st_point_kind_names[]; /* "prefill_s", "decode_s", "ttft_s", "static_tok_s_gpu",
                                                   "steady_tok_s_gpu" */

typedef struct st_point {
    int kind; /* st_point_kind_t */
    unsigned tp;
    double batch;
    double isl;        /* input tokens per request */
    double osl;        /* output tokens per request */
    double measured;   /* seconds, or tokens/s/GPU for throughput */
    double kv_reserve; /* steady points: share of HBM not given to weights or KV */
    char label[80];    /* where it came from, for reports */
} st_point_t;

/* The model's value for a point (same unit as measured). */
double st_point_predict(const st_model_t *m, const st_point_t *p);

/* Parameters of st_calib_t, in the order the fit uses them. */
enum {
    ST_FIT_COMPUTE = 0,
    ST_FIT_MEMORY,
    ST_FIT_COMM,
    ST_FIT_STEP,
    ST_FIT_PER_SEQ,
    ST_FIT_LATENCY,
    ST_FIT_PREFILL,
    ST_FIT_PARAMS
};
extern const char *const st_fit_param_names[]; /* the st_calib_t member names */

typedef struct st_fit_opts {
    unsigned fixed_mask; /* bit i set: parameter i held at start's value */
    st_calib_t start;    /* values of held parameters (and a first starting point) */
    int max_iter;        /* per start (0 = 200) */
    /* A weak prior (maximum a posteriori instead of least squares) on the three efficiencies and the
     * collective latency: each free one adds the residual prior_weight x (its value - the prior's), in the
     * fit's coordinates (logit of an efficiency, log of the latency). Points at one tensor-parallel degree
     * cannot tell a per-step constant (overhead, collective latency) from the weight read at that degree;
     * the prior decides between them where the data cannot, and weighs little where it can.
     * 0 = plain least squares. */
    double prior_weight;
    st_calib_t prior; /* compute_, memory_, comm_efficiency and collective_latency_s are read */
} st_fit_opts_t;

typedef struct st_fit_report {
    double mape[ST_PT_KINDS]; /* per point kind, in % (NaN when the kind has no point) */
    size_t count[ST_PT_KINDS];
    double mape_all;  /* over every point, in % */
    size_t worst;     /* index of the point with the largest absolute relative error */
    double worst_err; /* its signed relative error, in % */
    double chisq;     /* sum of squared relative errors */
    int iterations;
} st_fit_report_t;

/* Evaluates a calibration on points: fills rep (and, if pred is not NULL, pred[i] per point).
 * dep gives dtypes and pp/ep; each point's tp replaces dep's. Returns -1 with err if a model cannot be
 * built for some point. */
int st_fit_evaluate(const hw_gpu_t *gpu, const llm_t *llm, const st_deploy_t *dep, const st_calib_t *cal,
                    const st_point_t *pts, size_t n, double *pred, st_fit_report_t *rep, char *err, size_t errlen);

/* Fits the free parameters to the points; out holds the best calibration. Returns 0, or -1 with err. */
int st_fit(const hw_gpu_t *gpu, const llm_t *llm, const st_deploy_t *dep, const st_point_t *pts, size_t n,
           const st_fit_opts_t *opts, st_calib_t *out, st_fit_report_t *rep, char *err, size_t errlen);

#endif
