/* kvtwin fit: fits the step-time efficiency factors of a GPU preset to measured points with GSL least
 * squares (models/stfit.h) and prints the calibration as the JSON object to paste into the preset's
 * gpu.calib (or calib_fp8 / calib_fp4). With --evaluate it only scores the preset's own calibration.
 *
 * Two CSV layouts are read:
 *  - Splitwise's perf_model.csv (model, hardware, prompt_size, batch_size, token_size, ..., prompt_time,
 *    token_time, ..., tensor_parallel; times in ms). Rows are grouped per configuration and medians taken;
 *    a prefill point per (tp, prompt, batch) and a decode point per (tp, prompt, batch, tokens).
 *  - kvtwin points: kind,tp,batch,input_tokens,output_tokens,value,source with kind one of prefill_ms,
 *    decode_ms, ttft_ms, static_tok_s_gpu, steady_tok_s_gpu; lines starting with # are comments.
 * Splitwise configurations whose prefill of N tokens took less than half the time of a prefill of at most
 * N/2 tokens at the same TP are physically implausible and left out (both their points) unless
 * --keep-anomalous; every exclusion is printed.
 * --power scores the power model against Splitwise's average_power / peak_power columns (shares of TDP)
 * and --fit-power fits the memory-bound and collective power fractions to them first. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/hw.h"
#include "models/llm.h"
#include "models/power.h"
#include "models/stfit.h"

#include "sim/base/alloc.h"
#include "sim/cli/cli.h"
#include "sim/config/config_models.h"
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_vector.h>

/* Prior efficiencies (estimates, docs/parameters.md "Step-time fit priors"): large BF16 GEMMs reach about
 * 60-70 % of dense peak on Hopper and Ampere, streaming HBM reads about 90 % of the rated bandwidth, NCCL
 * ring all-reduce about half of the NVLink bandwidth per direction. */
#define FIT_PRIOR_COMPUTE 0.6
#define FIT_PRIOR_MEMORY 0.9
#define FIT_PRIOR_COMM 0.5
#define FIT_PRIOR_LATENCY_S 5e-6 /* per ring hop: a kernel launch and an NVLink hop of a few microseconds */
#define FIT_PRIOR_WEIGHT_CV 1.0  /* the prior --cross-validate also scores when --prior-weight is not given */

#define FIT_MAX_SETS 32
#define FIT_MAX_FIX 8

typedef struct fit_row {
    unsigned tp;
    double prompt, batch, tokens;
    double prompt_ms, token_ms;
    double avg_power, peak_power; /* Splitwise's GPU power as a share of TDP; 0 = not measured */
} fit_row_t;

/* A configuration with measured GPU power, for --power. */
typedef struct fit_power {
    unsigned tp;
    double prompt, batch, tokens;
    double avg, peak;
} fit_power_t;

typedef struct fit_data {
    st_point_t *pts;
    size_t n, cap;
    char excluded[2048];
    double kv_reserve; /* for steady points */
    fit_power_t *pw;   /* configurations with power columns */
    size_t npw;
} fit_data_t;

static void fit_push(fit_data_t *d, const st_point_t *p)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->pts = kvt_realloc(d->pts, d->cap, sizeof *d->pts);
    }
    d->pts[d->n++] = *p;
}

/* Splits a CSV line in place (no quoting: neither layout needs it). Returns the field count. */
static int fit_split(char *line, char **f, int max)
{
    int n = 0;
    char *s = line;
    while (n < max) {
        f[n++] = s;
        char *c = strchr(s, ',');
        if (!c)
            break;
        *c = '\0';
        s = c + 1;
    }
    for (int i = 0; i < n; i++) {
        char *e = f[i] + strlen(f[i]);
        while (e > f[i] && isspace((unsigned char)e[-1]))
            *--e = '\0';
        while (isspace((unsigned char)*f[i]))
            f[i]++;
    }
    return n;
}

static int fit_col(char **h, int nh, const char *name)
{
    for (int i = 0; i < nh; i++)
        if (strcmp(h[i], name) == 0)
            return i;
    return -1;
}

static int fit_num(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Median of field (0 prompt_ms, 1 token_ms, 2 avg_power, 3 peak_power) over rows matching tp/prompt/batch
 * (and tokens if >= 0); power medians skip the rows that did not measure it (0). */
static double rows_median(const fit_row_t *r, size_t n, unsigned tp, double prompt, double batch, double tokens,
                          int field)
{
    double *v = malloc(n * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].tp != tp || r[i].prompt != prompt || r[i].batch != batch || (tokens >= 0 && r[i].tokens != tokens))
            continue;
        double x = field == 0   ? r[i].prompt_ms
                   : field == 1 ? r[i].token_ms
                   : field == 2 ? r[i].avg_power
                                : r[i].peak_power;
        if (field >= 2 && !(x > 0))
            continue;
        v[k++] = x;
    }
    double m = k ? median(v, k) : (double)NAN;
    free(v);
    return m;
}

static int read_splitwise(FILE *f, const char *path, char **hdr, int nh, const char *select, fit_data_t *d,
                          bool keep_anomalous, char *err, size_t errlen)
{
    int cm = fit_col(hdr, nh, "model"), ch = fit_col(hdr, nh, "hardware"), cp = fit_col(hdr, nh, "prompt_size"),
        cb = fit_col(hdr, nh, "batch_size"), ct = fit_col(hdr, nh, "token_size"), cpt = fit_col(hdr, nh, "prompt_time"),
        ctt = fit_col(hdr, nh, "token_time"), ctp = fit_col(hdr, nh, "tensor_parallel"),
        cap = fit_col(hdr, nh, "average_power"), cpp = fit_col(hdr, nh, "peak_power");
    if (cm < 0 || ch < 0 || cp < 0 || cb < 0 || ct < 0 || cpt < 0 || ctt < 0 || ctp < 0) {
        snprintf(err, errlen,
                 "%s:1: a Splitwise file needs model, hardware, prompt_size, batch_size, token_size, "
                 "prompt_time, token_time and tensor_parallel columns",
                 path);
        return -1;
    }
    char want_model[64] = "", want_hw[64] = "";
    if (select) {
        const char *slash = strchr(select, '/');
        if (!slash) {
            snprintf(err, errlen, "--select wants MODEL/HARDWARE as in the file (e.g. llama2-70b/h100-80gb)");
            return -1;
        }
        snprintf(want_model, sizeof want_model, "%.*s", (int)(slash - select), select);
        snprintf(want_hw, sizeof want_hw, "%s", slash + 1);
    }
    fit_row_t *rows = NULL;
    size_t n = 0, rcap = 0;
    char line[4096], first[160] = "";
    int lineno = 1;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '\n' || line[0] == '#')
            continue;
        char *fl[32];
        int nf = fit_split(line, fl, 32);
        if (nf < nh) {
            snprintf(err, errlen, "%s:%d: expected %d fields, got %d", path, lineno, nh, nf);
            free(rows);
            return -1;
        }
        char combo[160];
        snprintf(combo, sizeof combo, "%s/%s", fl[cm], fl[ch]);
        if (select && (strcmp(fl[cm], want_model) != 0 || strcmp(fl[ch], want_hw) != 0))
            continue;
        if (!select) {
            if (!first[0])
                snprintf(first, sizeof first, "%s", combo);
            else if (strcmp(first, combo) != 0) {
                snprintf(err, errlen, "%s holds several model/hardware pairs (%s, %s, ...); pick one with --select",
                         path, first, combo);
                free(rows);
                return -1;
            }
        }
        fit_row_t r;
        double tp;
        if (fit_num(fl[ctp], &tp) || fit_num(fl[cp], &r.prompt) || fit_num(fl[cb], &r.batch) ||
            fit_num(fl[ct], &r.tokens) || fit_num(fl[cpt], &r.prompt_ms) || fit_num(fl[ctt], &r.token_ms) || tp < 1 ||
            tp > 1024 || tp != floor(tp)) {
            snprintf(err, errlen, "%s:%d: a number field is malformed", path, lineno);
            free(rows);
            return -1;
        }
        r.tp = (unsigned)tp;
        r.avg_power = r.peak_power = 0;
        if (cap >= 0 && cpp >= 0 && (fit_num(fl[cap], &r.avg_power) || fit_num(fl[cpp], &r.peak_power))) {
            snprintf(err, errlen, "%s:%d: a power field is malformed", path, lineno);
            free(rows);
            return -1;
        }
        if (n == rcap) {
            rcap = rcap ? 2 * rcap : 256;
            rows = kvt_realloc(rows, rcap, sizeof *rows);
        }
        rows[n++] = r;
    }
    if (n == 0) {
        snprintf(err, errlen, "%s: no rows%s%s", path, select ? " for " : "", select ? select : "");
        return -1;
    }
    /* Configurations: distinct (tp, prompt, batch) for prefill; (tp, prompt, batch, tokens) for decode. */
    bool *bad = calloc(n, sizeof *bad);
    for (size_t i = 0; i < n; i++) {
        double ni = rows[i].prompt * rows[i].batch;
        double ti = rows_median(rows, n, rows[i].tp, rows[i].prompt, rows[i].batch, -1, 0);
        for (size_t j = 0; j < n && !bad[i]; j++) {
            if (rows[j].tp != rows[i].tp || rows[j].prompt * rows[j].batch > ni / 2)
                continue;
            double tj = rows_median(rows, n, rows[j].tp, rows[j].prompt, rows[j].batch, -1, 0);
            if (ti < 0.5 * tj)
                bad[i] = true;
        }
    }
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = rows[j].tp == rows[i].tp && rows[j].prompt == rows[i].prompt && rows[j].batch == rows[i].batch &&
                   rows[j].tokens == rows[i].tokens;
        if (seen)
            continue;
        char label[80];
        snprintf(label, sizeof label, "tp%u prompt %.0f batch %.0f out %.0f", rows[i].tp, rows[i].prompt, rows[i].batch,
                 rows[i].tokens);
        if (bad[i] && !keep_anomalous) {
            size_t l = strlen(d->excluded);
            snprintf(d->excluded + l, sizeof d->excluded - l, "%s%s", l ? "; " : "", label);
            continue;
        }
        /* One prefill point per (tp, prompt, batch): the first configuration carries it. */
        bool prefill_seen = false;
        for (size_t j = 0; j < i && !prefill_seen; j++)
            prefill_seen = rows[j].tp == rows[i].tp && rows[j].prompt == rows[i].prompt &&
                           rows[j].batch == rows[i].batch && (!bad[j] || keep_anomalous);
        st_point_t p = {0};
        p.tp = rows[i].tp;
        p.batch = rows[i].batch;
        p.isl = rows[i].prompt;
        p.osl = rows[i].tokens;
        if (!prefill_seen) {
            p.kind = ST_PT_PREFILL_S;
            p.measured = rows_median(rows, n, p.tp, p.isl, p.batch, -1, 0) / 1000.0;
            snprintf(p.label, sizeof p.label, "prefill tp%u prompt %.0f batch %.0f", p.tp, p.isl, p.batch);
            fit_push(d, &p);
        }
        p.kind = ST_PT_DECODE_S;
        p.measured = rows_median(rows, n, p.tp, p.isl, p.batch, p.osl, 1) / 1000.0;
        snprintf(p.label, sizeof p.label, "decode tp%u prompt %.0f batch %.0f out %.0f", p.tp, p.isl, p.batch, p.osl);
        fit_push(d, &p);
        double avg = rows_median(rows, n, p.tp, p.isl, p.batch, p.osl, 2);
        if (avg > 0) {
            d->pw = kvt_realloc(d->pw, (d->npw + 1), sizeof *d->pw);
            d->pw[d->npw++] =
                (fit_power_t){p.tp, p.isl, p.batch, p.osl, avg, rows_median(rows, n, p.tp, p.isl, p.batch, p.osl, 3)};
        }
    }
    free(bad);
    free(rows);
    return 0;
}

static int read_points(FILE *f, const char *path, char **hdr, int nh, fit_data_t *d, char *err, size_t errlen)
{
    int ck = fit_col(hdr, nh, "kind"), ctp = fit_col(hdr, nh, "tp"), cb = fit_col(hdr, nh, "batch"),
        ci = fit_col(hdr, nh, "input_tokens"), co = fit_col(hdr, nh, "output_tokens"), cv = fit_col(hdr, nh, "value"),
        cs = fit_col(hdr, nh, "source");
    if (ck < 0 || ctp < 0 || cb < 0 || ci < 0 || co < 0 || cv < 0) {
        snprintf(err, errlen, "%s: a points file needs kind, tp, batch, input_tokens, output_tokens and value columns",
                 path);
        return -1;
    }
    static const char *const kinds[] = {"prefill_ms",       "decode_ms",        "ttft_ms",
                                        "static_tok_s_gpu", "steady_tok_s_gpu", NULL};
    static const int kind_of[] = {ST_PT_PREFILL_S, ST_PT_DECODE_S, ST_PT_TTFT_S, ST_PT_STATIC_TOK_S_GPU,
                                  ST_PT_STEADY_TOK_S_GPU};
    static const double scale[] = {1e-3, 1e-3, 1e-3, 1.0, 1.0};
    char line[4096];
    int lineno = 0;
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n' || strncmp(line, "kind,", 5) == 0)
            continue;
        char *fl[16];
        int nf = fit_split(line, fl, 16);
        if (nf <= cv || nf <= ck || nf <= co) {
            snprintf(err, errlen, "%s:%d: expected %d fields, got %d", path, lineno, nh, nf);
            return -1;
        }
        int k = -1;
        for (int i = 0; kinds[i]; i++)
            if (strcmp(fl[ck], kinds[i]) == 0)
                k = i;
        if (k < 0) {
            snprintf(err, errlen,
                     "%s:%d: unknown kind \"%s\" (prefill_ms, decode_ms, ttft_ms, static_tok_s_gpu, steady_tok_s_gpu)",
                     path, lineno, fl[ck]);
            return -1;
        }
        st_point_t p = {0};
        double tp, v;
        if (fit_num(fl[ctp], &tp) || fit_num(fl[cb], &p.batch) || fit_num(fl[ci], &p.isl) || fit_num(fl[co], &p.osl) ||
            fit_num(fl[cv], &v) || tp < 1 || tp > 1024 || tp != floor(tp) || v <= 0 ||
            p.batch < (kind_of[k] == ST_PT_STEADY_TOK_S_GPU ? 0 : 1) || p.isl < 1 || p.osl < 1) {
            snprintf(err, errlen, "%s:%d: a number field is malformed or not positive", path, lineno);
            return -1;
        }
        p.kind = kind_of[k];
        p.tp = (unsigned)tp;
        p.measured = v * scale[k];
        p.kv_reserve = d->kv_reserve;
        snprintf(p.label, sizeof p.label, "%s tp%u batch %.0f in %.0f out %.0f%s%s", fl[ck], p.tp, p.batch, p.isl,
                 p.osl, cs >= 0 && cs < nf && fl[cs][0] ? " " : "", cs >= 0 && cs < nf ? fl[cs] : "");
        fit_push(d, &p);
    }
    if (d->n == 0) {
        snprintf(err, errlen, "%s: no points", path);
        return -1;
    }
    return 0;
}

static int read_data(const char *path, const char *select, bool keep_anomalous, fit_data_t *d, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int rc = -1;
    /* The header is the first line that is not a comment. */
    while (fgets(line, sizeof line, f) && (line[0] == '#' || line[0] == '\n'))
        ;
    char *hdr[32];
    int nh = fit_split(line, hdr, 32);
    if (fit_col(hdr, nh, "prompt_time") >= 0)
        rc = read_splitwise(f, path, hdr, nh, select, d, keep_anomalous, err, errlen);
    else if (fit_col(hdr, nh, "kind") >= 0)
        rc = read_points(f, path, hdr, nh, d, err, errlen);
    else
        snprintf(err, errlen, "%s:1: neither a Splitwise perf_model.csv nor a kvtwin points file (see kvtwin help fit)",
                 path);
    fclose(f);
    return rc;
}

static void print_calib(FILE *out, const char *key, const st_calib_t *c)
{
    fprintf(out,
            "\"%s\": {\n  \"compute_efficiency\": %.4f,\n  \"memory_efficiency\": %.4f,\n  \"comm_efficiency\": %.4f,\n"
            "  \"step_overhead_s\": %.4g,\n  \"per_seq_overhead_s\": %.4g,\n  \"collective_latency_s\": %.4g,\n"
            "  \"prefill_overhead_s\": %.4g\n}\n",
            key, c->compute_efficiency, c->memory_efficiency, c->comm_efficiency, c->step_overhead_s,
            c->per_seq_overhead_s, c->collective_latency_s, c->prefill_overhead_s);
}

static void print_report(FILE *out, const fit_data_t *d, const double *pred, const st_fit_report_t *r, bool points)
{
    if (points) {
        fprintf(out, "%-52s %12s %12s %8s\n", "point", "measured", "model", "error");
        for (size_t i = 0; i < d->n; i++) {
            const st_point_t *p = &d->pts[i];
            bool thr = p->kind == ST_PT_STATIC_TOK_S_GPU || p->kind == ST_PT_STEADY_TOK_S_GPU;
            double k = thr ? 1.0 : 1e3;
            fprintf(out, "%-52s %10.2f%s %10.2f%s %+7.1f%%\n", p->label, p->measured * k, thr ? "/s" : "ms",
                    pred[i] * k, thr ? "/s" : "ms", 100.0 * (pred[i] / p->measured - 1.0));
        }
    }
    static const char *const names[ST_PT_KINDS] = {"prefill", "decode", "ttft", "static throughput",
                                                   "steady throughput"};
    for (int k = 0; k < ST_PT_KINDS; k++)
        if (r->count[k])
            fprintf(out, "MAPE %-18s %6.2f %%  (%zu points)\n", names[k], r->mape[k], r->count[k]);
    fprintf(out, "MAPE %-18s %6.2f %%  (%zu points)\n", "all", r->mape_all, d->n);
    fprintf(out, "worst point: %s: %+.1f %%\n", d->pts[r->worst].label, r->worst_err);
}

/* ---- cross-validation: fits scored on points they did not see ---- */

/* One split: which points train the fit; the others score it. */
typedef struct cv_split {
    char name[96];
    bool train[1024];
} cv_split_t;

#define CV_MAX_SPLITS 16
#define CV_MAX_POINTS 1024

static size_t cv_distinct(const fit_data_t *d, bool by_tp, double *vals)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        double v = by_tp ? d->pts[i].tp : d->pts[i].isl;
        size_t k = 0;
        while (k < n && vals[k] != v)
            k++;
        if (k == n)
            vals[n++] = v;
    }
    qsort(vals, n, sizeof *vals, cmp_double);
    return n;
}

/* The splits of --cross-validate: leave each TP out, fit each TP alone, and fit every other prompt size
 * (the 1st, 3rd, ... of the sorted sizes) to score the ones between. */
static int cv_splits(const fit_data_t *d, cv_split_t *sp)
{
    double tps[64], isls[64];
    size_t ntp = cv_distinct(d, true, tps), nisl = cv_distinct(d, false, isls);
    int n = 0;
    for (size_t k = 0; ntp > 1 && k < ntp && n + 2 <= CV_MAX_SPLITS; k++) {
        cv_split_t *out = &sp[n++], *in = &sp[n++];
        snprintf(out->name, sizeof out->name, "leave TP%.0f out: fit the other TPs, score TP%.0f", tps[k], tps[k]);
        snprintf(in->name, sizeof in->name, "TP%.0f alone: fit TP%.0f, score the other TPs", tps[k], tps[k]);
        for (size_t i = 0; i < d->n; i++) {
            out->train[i] = d->pts[i].tp != tps[k];
            in->train[i] = !out->train[i];
        }
    }
    if (nisl > 2 && n < CV_MAX_SPLITS) {
        cv_split_t *ps = &sp[n++];
        char *w = ps->name;
        size_t left = sizeof ps->name;
        int used = snprintf(w, left, "prompt sizes: fit");
        for (size_t k = 0; k < nisl; k += 2)
            used += snprintf(w + used, used < (int)left ? left - (size_t)used : 0, "%s%.0f", k ? "/" : " ", isls[k]);
        used += snprintf(w + used, used < (int)left ? left - (size_t)used : 0, ", score");
        for (size_t k = 1; k < nisl; k += 2)
            used +=
                snprintf(w + used, used < (int)left ? left - (size_t)used : 0, "%s%.0f", k > 1 ? "/" : " ", isls[k]);
        for (size_t i = 0; i < d->n; i++) {
            size_t k = 0;
            while (isls[k] != d->pts[i].isl)
                k++;
            ps->train[i] = k % 2 == 0;
        }
    }
    return n;
}

/* Fits on each split's training points and prints the in-sample and out-of-sample MAPE of each. */
static int cross_validate_one(const hw_pod_t *hw, const llm_t *llm, const st_deploy_t *dep, const fit_data_t *d,
                              const st_fit_opts_t *opts, bool points, char *err, size_t errlen)
{
    if (d->n > CV_MAX_POINTS) {
        snprintf(err, errlen, "--cross-validate takes at most %d points (got %zu)", CV_MAX_POINTS, d->n);
        return -1;
    }
    static cv_split_t sp[CV_MAX_SPLITS];
    int ns = cv_splits(d, sp);
    if (ns == 0) {
        snprintf(err, errlen, "--cross-validate needs points at two TPs or three prompt sizes");
        return -1;
    }
    st_point_t *tr = calloc(d->n, sizeof *tr), *te = calloc(d->n, sizeof *te);
    double *pred = calloc(d->n, sizeof *pred);
    int rc = 0;
    printf("%-66s %6s %6s %9s %9s  %s\n", "split", "fit", "score", "in-sample", "out-of-s.", "worst held-out point");
    for (int s = 0; s < ns && rc == 0; s++) {
        size_t ntr = 0, nte = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (sp[s].train[i])
                tr[ntr++] = d->pts[i];
            else
                te[nte++] = d->pts[i];
        }
        st_calib_t cal;
        st_fit_report_t rin, rout;
        if (st_fit(&hw->gpu, llm, dep, tr, ntr, opts, &cal, &rin, err, errlen) ||
            st_fit_evaluate(&hw->gpu, llm, dep, &cal, te, nte, pred, &rout, err, errlen)) {
            rc = -1;
            break;
        }
        printf("%-66s %6zu %6zu %8.1f%% %8.1f%%  %s: %+.1f%%\n", sp[s].name, ntr, nte, rin.mape_all, rout.mape_all,
               te[rout.worst].label, rout.worst_err);
        if (points)
            for (size_t i = 0; i < nte; i++)
                printf("    %-52s %+7.1f%%\n", te[i].label, 100.0 * (pred[i] / te[i].measured - 1.0));
    }
    free(tr);
    free(te);
    free(pred);
    return rc;
}

/* Scores the plain least-squares fit and the fit with the efficiency prior (opts->prior_weight, or
 * FIT_PRIOR_WEIGHT_CV when it is 0) on the same splits. */
static int cross_validate(const hw_pod_t *hw, const llm_t *llm, const st_deploy_t *dep, const fit_data_t *d,
                          const st_fit_opts_t *opts, bool points, char *err, size_t errlen)
{
    st_fit_opts_t plain = *opts, prior = *opts;
    plain.prior_weight = 0;
    if (prior.prior_weight <= 0)
        prior.prior_weight = FIT_PRIOR_WEIGHT_CV;
    printf("## least squares (--prior-weight 0)\n");
    if (cross_validate_one(hw, llm, dep, d, &plain, points, err, errlen))
        return -1;
    printf("## with the prior (--prior-weight %g --prior %g,%g,%g,%g)\n", prior.prior_weight,
           prior.prior.compute_efficiency, prior.prior.memory_efficiency, prior.prior.comm_efficiency,
           prior.prior.collective_latency_s);
    return cross_validate_one(hw, llm, dep, d, &prior, points, err, errlen);
}

/* Time parts of one measured configuration (one prefill, then tokens - 1 decode steps), summed over the
 * run: what the power model weighs. */
typedef struct fit_power_parts {
    double time_s, compute_s, memory_s, comm_s;
    st_time_t prefill, decode; /* the prefill iteration and the last decode step, for the peak */
} fit_power_parts_t;

static int fit_power_parts(const hw_pod_t *hw, const llm_t *llm, const st_deploy_t *dep, const fit_power_t *c,
                           fit_power_parts_t *out, char *err, size_t errlen)
{
    st_deploy_t dd = *dep;
    dd.par.tp = c->tp;
    st_model_t *m = st_model_create(&hw->gpu, llm, &dd, NULL, err, errlen);
    if (!m)
        return -1;
    memset(out, 0, sizeof *out);
    st_shape_t s = {0};
    s.prefill_tokens = c->batch * c->prompt;
    s.prefill_seqs = c->batch;
    s.prefill_attn_pairs = c->batch * c->prompt * (c->prompt + 1) / 2;
    st_time_t t;
    st_step(m, &s, &t);
    out->time_s = t.time_s;
    out->compute_s = t.compute_s;
    out->memory_s = t.memory_s;
    out->comm_s = t.comm_s;
    out->prefill = t;
    /* decode steps sampled across the context range (the step is near-linear in the context) */
    const int k = 16;
    double steps = c->tokens - 1;
    for (int j = 0; j < k; j++) {
        st_shape_t ds = {0};
        ds.decode_seqs = c->batch;
        ds.decode_ctx_tokens = c->batch * (c->prompt + 1 + (steps - 1) * (j + 0.5) / k);
        st_step(m, &ds, &t);
        double w = steps / k;
        out->time_s += w * t.time_s;
        out->compute_s += w * t.compute_s;
        out->memory_s += w * t.memory_s;
        out->comm_s += w * t.comm_s;
        out->decode = t;
    }
    st_model_destroy(m);
    return 0;
}

/* Scores the power model against Splitwise's measured GPU power (average over each run and its peak, as
 * shares of TDP). With fit, first solves for the memory-bound and collective power fractions by linear
 * least squares on the average power (it is linear in both), leaving out holdout_tp's configurations,
 * which are then reported apart. Configurations whose measured average is below half the median of
 * their TP are left out as inconsistent (a longer prefill only adds high-power time) and listed. */
static int fit_power_report(hw_pod_t *hw, const llm_t *llm, const st_deploy_t *dep, const fit_data_t *d, bool fit,
                            unsigned holdout_tp, char *err, size_t errlen)
{
    if (d->npw == 0) {
        snprintf(err, errlen, "--power: no configuration of the selection has power columns above 0");
        return -1;
    }
    size_t n = d->npw;
    fit_power_parts_t *parts = calloc(n, sizeof *parts);
    bool *skip = calloc(n, sizeof *skip);
    for (size_t i = 0; i < n; i++) {
        if (fit_power_parts(hw, llm, dep, &d->pw[i], &parts[i], err, errlen)) {
            free(parts);
            free(skip);
            return -1;
        }
        double v[64];
        size_t k = 0;
        for (size_t j = 0; j < n && k < 64; j++)
            if (d->pw[j].tp == d->pw[i].tp)
                v[k++] = d->pw[j].avg;
        if (d->pw[i].avg < 0.5 * median(v, k)) {
            skip[i] = true;
            printf("# left out as inconsistent (average below half its TP's median): tp%u prompt %.0f batch %.0f\n",
                   d->pw[i].tp, d->pw[i].prompt, d->pw[i].batch);
        }
    }
    hw_gpu_t *g = &hw->gpu;
    double dyn = g->tdp_w - g->idle_w;
    if (fit) {
        /* (P_avg - idle) T / dyn - C = m M + c K for every training configuration */
        size_t rows = 0;
        for (size_t i = 0; i < n; i++)
            rows += !skip[i] && d->pw[i].tp != holdout_tp;
        if (rows < 2) {
            snprintf(err, errlen, "--fit-power needs at least 2 configurations outside the hold-out");
            free(parts);
            free(skip);
            return -1;
        }
        gsl_matrix *X = gsl_matrix_alloc(rows, 2);
        gsl_vector *y = gsl_vector_alloc(rows), *cf = gsl_vector_alloc(2);
        gsl_matrix *cov = gsl_matrix_alloc(2, 2);
        size_t r = 0;
        for (size_t i = 0; i < n; i++) {
            if (skip[i] || d->pw[i].tp == holdout_tp)
                continue;
            const fit_power_parts_t *q = &parts[i];
            gsl_matrix_set(X, r, 0, q->memory_s / q->time_s);
            gsl_matrix_set(X, r, 1, q->comm_s / q->time_s);
            gsl_vector_set(y, r, (d->pw[i].avg * g->tdp_w - g->idle_w) / dyn - q->compute_s / q->time_s);
            r++;
        }
        double chisq;
        gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(rows, 2);
        gsl_multifit_linear(X, y, cf, cov, &chisq, w);
        g->memory_bound_power_fraction = fmin(fmax(gsl_vector_get(cf, 0), 0.0), 1.0);
        g->comm_power_fraction = fmin(fmax(gsl_vector_get(cf, 1), 0.0), 1.0);
        gsl_multifit_linear_free(w);
        gsl_matrix_free(X);
        gsl_matrix_free(cov);
        gsl_vector_free(y);
        gsl_vector_free(cf);
        printf("# fitted on %zu configurations%s: paste into the gpu section:\n"
               "\"memory_bound_power_fraction\": %.4f,\n\"comm_power_fraction\": %.4f,\n",
               rows, holdout_tp ? " (hold-out TP left out)" : "", g->memory_bound_power_fraction,
               g->comm_power_fraction);
    }
    printf("%-40s %10s %10s %10s %10s\n", "configuration (GPU power / TDP)", "avg meas", "avg model", "peak meas",
           "peak model");
    double sum_abs[2] = {0}, sum[2] = {0}, sum_peak[2] = {0};
    size_t cnt[2] = {0};
    for (size_t i = 0; i < n; i++) {
        const fit_power_t *c = &d->pw[i];
        const fit_power_parts_t *q = &parts[i];
        double e = g->idle_w * q->time_s + dyn * (q->compute_s + g->memory_bound_power_fraction * q->memory_s +
                                                  g->comm_power_fraction * q->comm_s);
        double avg = e / q->time_s / g->tdp_w;
        double pk = fmax(pw_gpu_step_w(g, &q->prefill), pw_gpu_step_w(g, &q->decode)) / g->tdp_w;
        char label[64];
        snprintf(label, sizeof label, "tp%u prompt %.0f batch %.0f out %.0f", c->tp, c->prompt, c->batch, c->tokens);
        printf("%-40s %10.3f %10.3f %10.3f %10.3f%s\n", label, c->avg, avg, c->peak, pk,
               skip[i]               ? "  (left out)"
               : c->tp == holdout_tp ? "  (hold-out)"
                                     : "");
        if (skip[i])
            continue;
        int h = c->tp == holdout_tp;
        sum_abs[h] += fabs(avg - c->avg);
        sum[h] += avg - c->avg;
        sum_peak[h] += fabs(pk - c->peak);
        cnt[h]++;
    }
    for (int h = 0; h < 2; h++) {
        if (!cnt[h])
            continue;
        printf("%s average power: mean absolute error %.3f of TDP, mean signed error %+.3f; peak power: mean "
               "absolute error %.3f (%zu configurations)\n",
               h ? "hold-out" : (fit ? "fitted" : "all"), sum_abs[h] / cnt[h], sum[h] / cnt[h], sum_peak[h] / cnt[h],
               cnt[h]);
    }
    free(parts);
    free(skip);
    return 0;
}

static int cmd_main(int argc, char **argv)
{
    const char *data = NULL, *hwname = NULL, *modelname = NULL, *select = NULL;
    const char *sets[FIT_MAX_SETS];
    int nsets = 0;
    char *fixes[FIT_MAX_FIX];
    int nfix = 0;
    int wdt = -1, kdt = -1, cdt = -1;
    unsigned pp = 1;
    bool evaluate = false, keep = false, points = false, power = false, fit_power = false, cv = false;
    unsigned holdout_tp = 0;
    double reserve = 0.1;
    double prior_w = 0;
    double prior_eff[4] = {FIT_PRIOR_COMPUTE, FIT_PRIOR_MEMORY, FIT_PRIOR_COMM, FIT_PRIOR_LATENCY_S};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--hw") == 0 && v) {
            hwname = v;
            i++;
        } else if (strcmp(a, "--model") == 0 && v) {
            modelname = v;
            i++;
        } else if (strcmp(a, "--select") == 0 && v) {
            select = v;
            i++;
        } else if (strcmp(a, "--set") == 0 && v) {
            if (nsets == FIT_MAX_SETS)
                return cli_usage_error("fit", "too many --set options");
            sets[nsets++] = v;
            i++;
        } else if (strcmp(a, "--fix") == 0 && v) {
            if (nfix == FIT_MAX_FIX)
                return cli_usage_error("fit", "too many --fix options");
            fixes[nfix++] = argv[++i];
        } else if ((strcmp(a, "--precision") == 0 || strcmp(a, "--weight-dtype") == 0 || strcmp(a, "--kv-dtype") == 0 ||
                    strcmp(a, "--compute-dtype") == 0) &&
                   v) {
            if (cfg_dtype_option(a, "--precision", v, &wdt, &kdt, &cdt))
                return cli_usage_error("fit", "%s: unknown dtype \"%s\" (bf16, fp8, fp4)", a, v);
            i++;
        } else if (strcmp(a, "--pp") == 0 && v) {
            unsigned long long x;
            if (cli_parse_u64(v, &x) || x < 1 || x > 64)
                return cli_usage_error("fit", "--pp wants an integer in 1..64");
            pp = (unsigned)x;
            i++;
        } else if (strcmp(a, "--reserve") == 0 && v) {
            double r;
            if (fit_num(v, &r) || r < 0 || r >= 1)
                return cli_usage_error("fit", "--reserve wants a fraction in [0, 1)");
            reserve = r;
            i++;
        } else if (strcmp(a, "--power") == 0) {
            power = true;
            evaluate = true;
        } else if (strcmp(a, "--fit-power") == 0) {
            power = fit_power = true;
            evaluate = true;
        } else if (strcmp(a, "--holdout-tp") == 0 && v) {
            unsigned long long x;
            if (cli_parse_u64(v, &x) || x < 1 || x > 1024)
                return cli_usage_error("fit", "--holdout-tp wants a tensor-parallel degree");
            holdout_tp = (unsigned)x;
            i++;
        } else if (strcmp(a, "--evaluate") == 0) {
            evaluate = true;
        } else if (strcmp(a, "--cross-validate") == 0) {
            cv = true;
        } else if (strcmp(a, "--prior-weight") == 0 && v) {
            if (fit_num(v, &prior_w) || prior_w < 0 || prior_w > 100)
                return cli_usage_error("fit", "--prior-weight wants a number in [0, 100]");
            i++;
        } else if (strcmp(a, "--prior") == 0 && v) {
            char extra;
            int got =
                sscanf(v, "%lf,%lf,%lf,%lf%c", &prior_eff[0], &prior_eff[1], &prior_eff[2], &prior_eff[3], &extra);
            if ((got != 3 && got != 4) || !(prior_eff[0] > 0 && prior_eff[0] < 1) ||
                !(prior_eff[1] > 0 && prior_eff[1] < 1) || !(prior_eff[2] > 0 && prior_eff[2] < 1) ||
                !(prior_eff[3] > 0 && prior_eff[3] < 1))
                return cli_usage_error("fit", "--prior wants COMPUTE,MEMORY,COMM efficiencies in (0, 1) and "
                                              "optionally a collective latency in seconds");
            i++;
        } else if (strcmp(a, "--keep-anomalous") == 0) {
            keep = true;
        } else if (strcmp(a, "--points") == 0) {
            points = true;
        } else if (a[0] == '-') {
            return cli_usage_error("fit", "unknown or incomplete option %s", a);
        } else if (!data) {
            data = a;
        } else {
            return cli_usage_error("fit", "one data file only (got %s and %s)", data, a);
        }
    }
    if (!data || !hwname || !modelname)
        return cli_usage_error("fit", "needs DATA.csv, --hw PRESET and --model PRESET");
    char err[1024];
    hw_pod_t hw;
    llm_t llm;
    if (cfg_hw_load(hwname, sets, nsets, &hw, err, sizeof err))
        return cli_input_error("%s", err);
    if (cfg_llm_load(modelname, NULL, 0, &llm, err, sizeof err))
        return cli_input_error("%s", err);
    st_deploy_t dep = {{1, pp, 1}, LLM_DT_BF16, LLM_DT_BF16, LLM_DT_BF16};
    if (cdt >= 0)
        dep.compute_dtype = cdt;
    dep.weight_dtype = wdt >= 0 ? wdt : dep.compute_dtype;
    dep.kv_dtype = kdt >= 0 ? kdt : dep.compute_dtype;
    const char *key = dep.compute_dtype == LLM_DT_FP4   ? "calib_fp4"
                      : dep.compute_dtype == LLM_DT_FP8 ? "calib_fp8"
                                                        : "calib";

    fit_data_t d = {0};
    d.kv_reserve = reserve;
    if (read_data(data, select, keep, &d, err, sizeof err)) {
        free(d.pts);
        free(d.pw);
        return cli_input_error("%s", err);
    }
    if (power) {
        int prc = fit_power_report(&hw, &llm, &dep, &d, fit_power, holdout_tp, err, sizeof err);
        free(d.pts);
        free(d.pw);
        return prc ? cli_input_error("%s", err) : KVT_EXIT_OK;
    }
    /* The starting point and held values: the preset's calibration for this precision. */
    st_fit_opts_t opts = {0};
    opts.start = *hw_gpu_calib(&hw.gpu, dep.compute_dtype);
    opts.prior_weight = prior_w;
    opts.prior.compute_efficiency = prior_eff[0];
    opts.prior.memory_efficiency = prior_eff[1];
    opts.prior.comm_efficiency = prior_eff[2];
    opts.prior.collective_latency_s = prior_eff[3];
    for (int k = 0; k < nfix; k++) {
        char *eq = strchr(fixes[k], '=');
        if (eq)
            *eq = '\0';
        int idx = -1;
        for (int p = 0; st_fit_param_names[p]; p++)
            if (strcmp(fixes[k], st_fit_param_names[p]) == 0)
                idx = p;
        if (idx < 0) {
            free(d.pts);
            return cli_usage_error("fit",
                                   "--fix %s: not a calibration parameter (compute_efficiency, "
                                   "memory_efficiency, comm_efficiency, step_overhead_s, per_seq_overhead_s, "
                                   "collective_latency_s, prefill_overhead_s)",
                                   fixes[k]);
        }
        opts.fixed_mask |= 1u << idx;
        if (eq) {
            double val;
            if (fit_num(eq + 1, &val) || val < 0) {
                free(d.pts);
                return cli_usage_error("fit", "--fix %s=%s: not a non-negative number", fixes[k], eq + 1);
            }
            double *slot[ST_FIT_PARAMS] = {&opts.start.compute_efficiency, &opts.start.memory_efficiency,
                                           &opts.start.comm_efficiency,    &opts.start.step_overhead_s,
                                           &opts.start.per_seq_overhead_s, &opts.start.collective_latency_s,
                                           &opts.start.prefill_overhead_s};
            *slot[idx] = val;
        }
    }

    printf("# kvtwin fit %s: %zu points, %s on %s (%s weights, %s KV, %s compute, pp %u)\n", data, d.n, llm.name,
           hw.gpu.name, llm_dtype_name(dep.weight_dtype), llm_dtype_name(dep.kv_dtype),
           llm_dtype_name(dep.compute_dtype), pp);
    if (d.excluded[0])
        printf("# excluded as anomalous (prefill of N tokens faster than half of one of <= N/2 tokens): %s\n",
               d.excluded);
    if (cv) {
        int cvrc = cross_validate(&hw, &llm, &dep, &d, &opts, points, err, sizeof err);
        free(d.pts);
        free(d.pw);
        return cvrc ? cli_input_error("%s", err) : KVT_EXIT_OK;
    }
    st_calib_t cal = opts.start;
    st_fit_report_t rep;
    int rc = KVT_EXIT_OK;
    if (!evaluate) {
        if (st_fit(&hw.gpu, &llm, &dep, d.pts, d.n, &opts, &cal, &rep, err, sizeof err)) {
            free(d.pts);
            return cli_input_error("%s", err);
        }
    }
    double *pred = calloc(d.n, sizeof *pred);
    if (st_fit_evaluate(&hw.gpu, &llm, &dep, &cal, d.pts, d.n, pred, &rep, err, sizeof err)) {
        rc = cli_input_error("%s", err);
    } else {
        print_report(stdout, &d, pred, &rep, points);
        if (!evaluate)
            printf("# paste into %s's gpu section:\n", hw.preset[0] ? hw.preset : hwname);
        print_calib(stdout, key, &cal);
    }
    free(pred);
    free(d.pts);
    free(d.pw);
    return rc;
}

const kvt_cmd_t kvt_cmd_fit = {
    .name = "fit",
    .summary = "fit step-time efficiency factors to measured prefill/decode points (GSL least squares)",
    .usage = "usage: kvtwin fit DATA.csv --hw PRESET --model PRESET [options]\n"
             "\n"
             "Fits compute, memory and NVLink efficiencies, per-step and per-request overheads and the collective\n"
             "latency of the step-time model to measured points, minimising the squared relative error, and prints\n"
             "the calibration as JSON for the preset's gpu.calib (calib_fp8 / calib_fp4 for those precisions).\n"
             "\n"
             "DATA.csv is Splitwise's perf_model.csv (times in ms; medians per configuration) or a kvtwin points\n"
             "file: kind,tp,batch,input_tokens,output_tokens,value,source with kind prefill_ms, decode_ms,\n"
             "ttft_ms, static_tok_s_gpu (a static batch) or steady_tok_s_gpu (continuous batching at full load;\n"
             "batch = concurrency cap, 0 = what the KV budget holds); # lines are comments.\n"
             "\n"
             "options:\n"
             "  --hw PRESET            hardware preset (or file) whose GPU is fitted; its calibration is the start\n"
             "  --model PRESET         model preset (or file) the points were measured with\n"
             "  --select MODEL/HW      Splitwise rows to use, e.g. llama2-70b/h100-80gb\n"
             "  --precision DTYPE      weights, KV and compute in bf16, fp8 or fp4 (default bf16)\n"
             "  --weight-dtype / --kv-dtype / --compute-dtype DTYPE   set one of them\n"
             "  --pp N                 pipeline-parallel degree of the measurements (default 1)\n"
             "  --fix NAME[=VALUE]     hold a parameter (at VALUE, else the preset's) instead of fitting it\n"
             "  --keep-anomalous       keep Splitwise configurations flagged as physically implausible\n"
             "  --reserve FRACTION     share of HBM kept from KV for steady_tok_s_gpu points (default 0.1)\n"
             "  --evaluate             do not fit: score the preset's own calibration\n"
             "  --cross-validate       score fits out of sample: leave each TP out, fit each TP alone, fit every\n"
             "                         other prompt size and score the ones between; for the plain fit and the\n"
             "                         fit with the prior (with --points, every held-out point)\n"
             "  --prior-weight W       maximum a posteriori fit: a weak prior pulls the efficiencies (logit) and\n"
             "                         the collective latency (log) toward --prior, residual W x difference;\n"
             "                         default 0 = least squares; --cross-validate scores W = 1 when none is given\n"
             "  --prior C,M,N[,L]      prior compute, memory and NVLink efficiencies and collective latency per\n"
             "                         ring hop in s (default 0.6,0.9,0.5,5e-6; estimates, docs/parameters.md)\n"
             "  --power                score the power model against Splitwise's average_power and peak_power\n"
             "                         columns (GPU power as a share of TDP) instead of the times\n"
             "  --fit-power            with --power: fit memory_bound_power_fraction and comm_power_fraction\n"
             "                         (GSL linear least squares on the average power) before scoring\n"
             "  --holdout-tp N         with --fit-power: leave tensor-parallel degree N out of the fit and score\n"
             "                         it apart\n"
             "  --points               print every point with its measured and modelled value\n"
             "  --set PATH=VALUE       override a hardware preset value\n"
             "\n"
             "example (the H100 calibration in configs/hardware/dgx-h100.json):\n"
             "  kvtwin fit ../shared/data/splitwise/perf_model.csv --select llama2-70b/h100-80gb \\\n"
             "      --hw dgx-h100 --model llama-2-70b\n",
    .main = cmd_main,
};
