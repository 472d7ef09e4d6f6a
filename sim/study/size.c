/* SLO sizing; see size.h.
 *
 * The candidates are a study's configurations (variants x axes). A run meets the SLO when at least 99 % of its
 * arrived requests completed and its TTFT p99 and TPOT p99 are within the limits given. Two questions:
 *  (a) no "at_load": the largest load each configuration sustains, by bisection on the load path between
 *      min and max until the bracket is within the relative tolerance (the SLO is taken to get harder as the
 *      load grows; a configuration failing at min, or passing at max, is reported as such);
 *  (b) "at_load": the cheapest configuration (by $/hour from the run) meeting the SLO at that load. The
 *      candidates are tried in order of capex (known before running); with "prune" (the default), once one
 *      passes, those whose amortised capex plus maintenance alone exceeds the cheapest passing $/hour are
 *      skipped (energy and facility only add to it), so a large grid costs few runs.
 * Every evaluation is a `kvtwin run` into DIR/evals/NAME (resumed by the hash of its resolved scenario, like a
 * study's runs). The frontier: cost against TTFT p99 over the evaluations (Pareto-optimal points marked), and
 * output tokens/s per GPU against tokens/s per user (1 / TPOT p50), as pareto.png with its gnuplot script. */
#define _XOPEN_SOURCE 700
#include "sim/study/size.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/base/alloc.h"
#include "sim/base/exitcodes.h"
#include "sim/config/scenario.h"
#include "sim/out/sigclean.h"
#include "sim/study/study_int.h"

#define SZ_MAX_EVALS 4096

typedef struct eval {
    int config;
    double load;
    char name[256];
    bool ok;    /* ran */
    bool meets; /* met the SLO */
    double ttft_p99, tpot_p99, tpot_p50, usd_h, usd_mtok, tps_gpu, completed_frac;
} eval_t;

typedef struct sizing {
    double ttft_slo, tpot_slo; /* NAN = no limit */
    char load_path[256];
    double lo, hi, tol;
    double at_load; /* NAN = mode (a) */
    bool prune;
    eval_t *ev;
    int nev;
} sizing_t;

static double jnum(const cJSON *j, const char *a, const char *b, const char *c)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    if (c)
        x = cJSON_GetObjectItemCaseSensitive(x, c);
    return cJSON_IsNumber(x) ? x->valuedouble : (double)NAN;
}

static int parse_search(study_t *s, sizing_t *z, char *err, size_t errlen)
{
    const cJSON *q = s->search;
    if (!cJSON_IsObject(q)) {
        cfg_doc_error(&s->doc, "search", "expected {\"slo\": {...}, \"load\": {...}} (see kvtwin help size)", err,
                      errlen);
        return -1;
    }
    for (const cJSON *k = q->child; k; k = k->next)
        if (strcmp(k->string, "slo") && strcmp(k->string, "load") && strcmp(k->string, "at_load") &&
            strcmp(k->string, "prune")) {
            char p[128];
            snprintf(p, sizeof p, "search.%s", k->string);
            cfg_doc_error(&s->doc, p, "unknown key; valid keys: slo, load, at_load, prune", err, errlen);
            return -1;
        }
    const cJSON *slo = cJSON_GetObjectItemCaseSensitive(q, "slo");
    const cJSON *ld = cJSON_GetObjectItemCaseSensitive(q, "load");
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(q, "at_load");
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(q, "prune");
    z->ttft_slo = z->tpot_slo = z->at_load = NAN;
    const cJSON *t1 = cJSON_GetObjectItemCaseSensitive(slo, "ttft_p99_s");
    const cJSON *t2 = cJSON_GetObjectItemCaseSensitive(slo, "tpot_p99_s");
    if (!cJSON_IsObject(slo) || (!t1 && !t2) || (t1 && (!cJSON_IsNumber(t1) || t1->valuedouble <= 0)) ||
        (t2 && (!cJSON_IsNumber(t2) || t2->valuedouble <= 0))) {
        cfg_doc_error(&s->doc, "search.slo", "expected {\"ttft_p99_s\": S, \"tpot_p99_s\": S} (one or both, > 0)", err,
                      errlen);
        return -1;
    }
    for (const cJSON *k = slo->child; k; k = k->next)
        if (strcmp(k->string, "ttft_p99_s") && strcmp(k->string, "tpot_p99_s")) {
            cfg_doc_error(&s->doc, "search.slo", "unknown key; valid keys: ttft_p99_s, tpot_p99_s", err, errlen);
            return -1;
        }
    if (t1)
        z->ttft_slo = t1->valuedouble;
    if (t2)
        z->tpot_slo = t2->valuedouble;
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(ld, "path");
    const cJSON *mn = cJSON_GetObjectItemCaseSensitive(ld, "min");
    const cJSON *mx = cJSON_GetObjectItemCaseSensitive(ld, "max");
    const cJSON *tol = cJSON_GetObjectItemCaseSensitive(ld, "tolerance");
    if (!cJSON_IsObject(ld) || !cJSON_IsString(path) || !cJSON_IsNumber(mn) || !cJSON_IsNumber(mx) ||
        mn->valuedouble <= 0 || mx->valuedouble <= mn->valuedouble ||
        (tol && (!cJSON_IsNumber(tol) || tol->valuedouble <= 0 || tol->valuedouble >= 1))) {
        cfg_doc_error(&s->doc, "search.load",
                      "expected {\"path\": PATH, \"min\": X, \"max\": Y, \"tolerance\": relative} with 0 < X < Y", err,
                      errlen);
        return -1;
    }
    snprintf(z->load_path, sizeof z->load_path, "%s", path->valuestring);
    z->lo = mn->valuedouble;
    z->hi = mx->valuedouble;
    z->tol = tol ? tol->valuedouble : 0.05;
    if (at) {
        if (!cJSON_IsNumber(at) || at->valuedouble <= 0) {
            cfg_doc_error(&s->doc, "search.at_load", "expected a load > 0", err, errlen);
            return -1;
        }
        z->at_load = at->valuedouble;
    }
    if (pr && !cJSON_IsBool(pr)) {
        cfg_doc_error(&s->doc, "search.prune", "expected true or false", err, errlen);
        return -1;
    }
    z->prune = !pr || cJSON_IsTrue(pr);
    return 0;
}

/* One evaluation: the configuration at a load, run (or found complete) and scored. */
static int evaluate(study_t *s, sizing_t *z, const study_opts_t *o, int config, double load, eval_t **out, char *err,
                    size_t errlen)
{
    for (int i = 0; i < z->nev; i++)
        if (z->ev[i].config == config && z->ev[i].load == load) {
            *out = &z->ev[i];
            return 0;
        }
    if (z->nev == SZ_MAX_EVALS) {
        snprintf(err, errlen, "more than %d evaluations", SZ_MAX_EVALS);
        return -1;
    }
    eval_t *e = &z->ev[z->nev++];
    memset(e, 0, sizeof *e);
    e->config = config;
    e->load = load;
    snprintf(e->name, sizeof e->name, "%s-load%g", s->v[config].name, load);
    const char **sets;
    int n = st_config_sets(s, config, &sets);
    sets = kvt_realloc(sets, (size_t)n + 2, sizeof *sets);
    char loadset[300];
    snprintf(loadset, sizeof loadset, "%s=%.17g", z->load_path, load);
    sets[n++] = loadset;
    scenario_t *sc = kvt_calloc(1, sizeof *sc);
    char msg[2048], hash[17];
    int rc = scenario_load(sc, s->scenario, sets, n, o->seed, msg, sizeof msg);
    if (rc == 0)
        st_hash_scenario(sc, hash);
    scenario_free(sc);
    free(sc);
    if (rc) {
        free(sets);
        snprintf(err, errlen, "configuration %s at load %g: %s", s->v[config].name, load, msg);
        return -1;
    }
    char dir[1400], p[1500], have[17];
    snprintf(dir, sizeof dir, "%s/evals/%s", s->dir, e->name);
    snprintf(p, sizeof p, "%s/scenario.json", dir);
    st_hash_scenario_file(p, have);
    snprintf(p, sizeof p, "%s/summary.json", dir);
    bool done = strcmp(have, hash) == 0 && access(p, R_OK) == 0;
    if (!done) {
        const char **argv = kvt_calloc((size_t)(2 * n + 12), sizeof *argv);
        int a = 0;
        argv[a++] = o->self_exe;
        argv[a++] = "run";
        argv[a++] = s->scenario;
        for (int k = 0; k < n; k++) {
            argv[a++] = "--set";
            argv[a++] = sets[k];
        }
        char seed[32];
        if (o->seed >= 0) {
            snprintf(seed, sizeof seed, "%lld", o->seed);
            argv[a++] = "--seed";
            argv[a++] = seed;
        }
        argv[a++] = "--out";
        argv[a++] = dir;
        argv[a++] = "--quiet";
        fflush(NULL);
        pid_t pid = kvt_fork_child();
        if (pid == 0) {
            union {
                const char **in;
                char *const *out;
            } args = {argv};
            execv(o->self_exe, args.out);
            _exit(KVT_EXIT_FAIL);
        }
        int st = 0;
        free(argv);
        if (pid < 0 || kvt_wait_child(pid, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "kvtwin size: %s failed (its error is above); counted as not meeting the SLO\n", e->name);
            free(sets);
            *out = e;
            return 0;
        }
    }
    free(sets);
    char *text;
    cJSON *j;
    if (cfg_read_json_file(p, &text, &j, err, errlen))
        return -1;
    free(text);
    e->ok = true;
    e->ttft_p99 = jnum(j, "latency_s", "ttft", "p99");
    e->tpot_p99 = jnum(j, "latency_s", "tpot", "p99");
    e->tpot_p50 = jnum(j, "latency_s", "tpot", "p50");
    e->usd_h = jnum(j, "cost", "usd_per_hour", NULL);
    e->usd_mtok = jnum(j, "cost", "usd_per_million_output_tokens", NULL);
    e->tps_gpu = jnum(j, "throughput", "output_tokens_per_s_per_gpu", NULL);
    double arrived = jnum(j, "requests", "arrived", NULL), completed = jnum(j, "requests", "completed", NULL);
    e->completed_frac = arrived > 0 ? completed / arrived : 0;
    cJSON_Delete(j);
    e->meets = e->completed_frac >= 0.99 && !isnan(e->ttft_p99) && (isnan(z->ttft_slo) || e->ttft_p99 <= z->ttft_slo) &&
               (isnan(z->tpot_slo) || (!isnan(e->tpot_p99) && e->tpot_p99 <= z->tpot_slo));
    if (!o->quiet)
        fprintf(stderr, "kvtwin size: %-40s TTFT p99 %8.3f s  TPOT p99 %7.4f s  $%.2f/h  %s%s\n", e->name, e->ttft_p99,
                e->tpot_p99, e->usd_h, e->meets ? "meets the SLO" : "misses", done ? " (already run)" : "");
    *out = e;
    return 0;
}

typedef struct answer {
    double max_load; /* mode (a): NAN if it fails at min */
    int state;       /* 0 bracketed, 1 fails at min, 2 passes at max, 3 pruned, 4 evaluated */
    eval_t *at;      /* mode (b): the evaluation at the load */
} answer_t;

static const study_t *sort_ctx; /* qsort has no context argument */
static int cmp_capex_q(const void *a, const void *b)
{
    const study_t *s = sort_ctx;
    double x = s->v[*(const int *)a].qty[ST_Q_CAPEX_USD], y = s->v[*(const int *)b].qty[ST_Q_CAPEX_USD];
    return x < y ? -1 : x > y ? 1 : *(const int *)a - *(const int *)b;
}

/* Pareto-optimal (lower x and lower y are better) among the evaluations that ran. */
static bool pareto(const sizing_t *z, int i, double (*x)(const eval_t *), double (*y)(const eval_t *), bool yhigher)
{
    const eval_t *e = &z->ev[i];
    if (!e->ok || isnan(x(e)) || isnan(y(e)))
        return false;
    for (int k = 0; k < z->nev; k++) {
        const eval_t *f = &z->ev[k];
        if (k == i || !f->ok || isnan(x(f)) || isnan(y(f)))
            continue;
        bool better_y = yhigher ? y(f) >= y(e) : y(f) <= y(e);
        bool strictly = x(f) < x(e) || (yhigher ? y(f) > y(e) : y(f) < y(e));
        if (x(f) <= x(e) && better_y && strictly)
            return false;
    }
    return true;
}
static double ex_cost(const eval_t *e)
{
    return e->usd_mtok;
}
static double ex_ttft(const eval_t *e)
{
    return e->ttft_p99;
}
static double ex_user(const eval_t *e)
{
    return e->tpot_p50 > 0 ? 1.0 / e->tpot_p50 : (double)NAN;
}
static double ex_gpu(const eval_t *e)
{
    return e->tps_gpu;
}
static double ex_neg_user(const eval_t *e)
{
    return -ex_user(e);
}

static int write_frontier(const study_t *s, const sizing_t *z, char *err, size_t errlen)
{
    char p[1400];
    snprintf(p, sizeof p, "%s/pareto_points.dat", s->dir);
    FILE *f = fopen(p, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write", p);
        return -1;
    }
    fprintf(
        f,
        "# usd_per_mtok ttft_p99_s tokens_per_s_per_gpu tokens_per_s_per_user meets_slo pareto_cost pareto_tps name\n");
    for (int i = 0; i < z->nev; i++) {
        const eval_t *e = &z->ev[i];
        if (!e->ok)
            continue;
        /* x = -tokens/s per user (more is better) against y = tokens/s per GPU (more is better) */
        fprintf(f, "%.6g %.6g %.6g %.6g %d %d %d %s\n", e->usd_mtok, e->ttft_p99, e->tps_gpu, ex_user(e), e->meets,
                pareto(z, i, ex_cost, ex_ttft, false), pareto(z, i, ex_neg_user, ex_gpu, true), e->name);
    }
    fclose(f);
    snprintf(p, sizeof p, "%s/pareto.gp", s->dir);
    f = fopen(p, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write", p);
        return -1;
    }
    fprintf(f, "# Frontier of sizing %s. PNG: gnuplot pareto.gp; SVG: gnuplot -e \"fmt='svg'\" pareto.gp\n", s->name);
    fprintf(f, "if (!exists(\"fmt\")) fmt = 'png'\nif (!exists(\"out\")) out = 'pareto.'.fmt\n");
    fprintf(f, "if (fmt eq 'svg') {\n  set terminal svg size 1400,560 dynamic font 'sans,12' background rgb 'white'\n"
               "} else {\n  set terminal pngcairo size 1400,560 font ',11'\n}\nset output out\n");
    fprintf(f, "set multiplot layout 1,2 title 'SLO sizing %s: every evaluation; Pareto frontier joined'\n", s->name);
    fprintf(f, "set key outside below\nset grid\n");
    if (!isnan(z->ttft_slo))
        fprintf(f,
                "set arrow 1 from graph 0, first %g to graph 1, first %g nohead dt 2 lc rgb '#d62728'\n"
                "set label 1 'TTFT p99 SLO' at graph 0.02, first %g offset 0,0.6 tc rgb '#d62728'\n",
                z->ttft_slo, z->ttft_slo, z->ttft_slo);
    fprintf(f,
            "set title 'Cost against TTFT p99'\nset xlabel '$ per million output tokens'\nset ylabel 'TTFT p99 (s)'\n"
            "set logscale xy\n");
    fprintf(f, "plot 'pareto_points.dat' using 1:($5==1?$2:1/0) with points pt 7 ps 1.2 lc rgb '#2ca02c' title 'meets "
               "the SLO', \\\n"
               "     '' using 1:($5==0?$2:1/0) with points pt 6 ps 1.2 lc rgb '#7f7f7f' title 'misses', \\\n"
               "     '< awk \"!/^#/ && \\$6==1\" pareto_points.dat | sort -g -k1' using 1:2 with linespoints lw 2 pt 7 "
               "lc rgb '#1f77b4' title 'Pareto frontier'\n");
    fprintf(f, "unset arrow 1\nunset label 1\nunset logscale\n");
    fprintf(
        f,
        "set title 'Throughput per GPU against interactivity'\nset xlabel 'output tokens/s per user (1 / TPOT p50)'\n"
        "set ylabel 'output tokens/s per GPU'\n");
    fprintf(f, "plot 'pareto_points.dat' using 4:($5==1?$3:1/0) with points pt 7 ps 1.2 lc rgb '#2ca02c' title 'meets "
               "the SLO', \\\n"
               "     '' using 4:($5==0?$3:1/0) with points pt 6 ps 1.2 lc rgb '#7f7f7f' title 'misses', \\\n"
               "     '< awk \"!/^#/ && \\$7==1\" pareto_points.dat | sort -g -k4' using 4:3 with linespoints lw 2 pt 7 "
               "lc rgb '#ff7f0e' title 'Pareto frontier'\n");
    fprintf(f, "unset multiplot\n");
    fclose(f);
    fflush(NULL);
    pid_t pid = kvt_fork_child();
    if (pid == 0) {
        if (chdir(s->dir) != 0)
            _exit(127);
        execlp("gnuplot", "gnuplot", "pareto.gp", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || kvt_wait_child(pid, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "gnuplot failed on %s/pareto.gp", s->dir);
        return -1;
    }
    return 0;
}

int size_run(const char *path, const study_opts_t *o, char *err, size_t errlen)
{
    study_t *s = kvt_calloc(1, sizeof *s);
    sizing_t z = {0};
    answer_t *ans = NULL;
    int *order = NULL;
    int rc = KVT_EXIT_INPUT;
    if (st_parse(s, path, o, err, errlen))
        goto done;
    if (!s->search) {
        snprintf(err, errlen, "%s: no \"search\" block (see kvtwin help size)", path);
        goto done;
    }
    if (parse_search(s, &z, err, errlen))
        goto done;
    if (s->nseeds > 1) {
        cfg_doc_error(&s->doc, "seeds", "sizing runs one seed per evaluation (use --seed)", err, errlen);
        goto done;
    }
    if (o->check_only) {
        if (!o->quiet)
            printf("%s: %d configurations, %s; valid\n", s->name, s->n,
                   isnan(z.at_load) ? "largest load under the SLO (bisection)"
                                    : "cheapest meeting the SLO at the load");
        rc = 0;
        goto done;
    }
    char final[1024];
    snprintf(final, sizeof final, "%s", o->out_dir && o->out_dir[0] ? o->out_dir : "");
    if (!final[0])
        snprintf(final, sizeof final, "results/%s", s->name);
    rc = KVT_EXIT_FAIL;
    char evals[1100];
    snprintf(evals, sizeof evals, "%s/evals", final);
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "%s", final);
    for (char *q = cmd + 1; *q; q++)
        if (*q == '/') {
            *q = '\0';
            mkdir(cmd, 0755);
            *q = '/';
        }
    mkdir(final, 0755);
    mkdir(evals, 0755);
    if (!realpath(final, s->dir)) {
        snprintf(err, errlen, "%s: cannot create (%s)", final, strerror(errno));
        goto done;
    }
    z.ev = kvt_calloc(SZ_MAX_EVALS, sizeof *z.ev);
    ans = kvt_calloc((size_t)s->n, sizeof *ans);
    if (isnan(z.at_load)) {
        for (int c = 0; c < s->n; c++) {
            eval_t *e;
            double lo = z.lo, hi = z.hi;
            if (evaluate(s, &z, o, c, lo, &e, err, errlen))
                goto done;
            if (!e->meets) {
                ans[c].state = 1;
                ans[c].max_load = NAN;
                continue;
            }
            if (evaluate(s, &z, o, c, hi, &e, err, errlen))
                goto done;
            if (e->meets) {
                ans[c].state = 2;
                ans[c].max_load = hi;
                continue;
            }
            while ((hi - lo) > z.tol * hi) {
                double mid = sqrt(lo * hi); /* geometric: loads span decades */
                if (evaluate(s, &z, o, c, mid, &e, err, errlen))
                    goto done;
                if (e->meets)
                    lo = mid;
                else
                    hi = mid;
            }
            ans[c].max_load = lo;
        }
    } else {
        order = kvt_calloc((size_t)s->n, sizeof *order);
        for (int c = 0; c < s->n; c++)
            order[c] = c;
        sort_ctx = s;
        qsort(order, (size_t)s->n, sizeof *order, cmp_capex_q);
        double best_h = INFINITY;
        for (int k = 0; k < s->n; k++) {
            int c = order[k];
            /* amortised capex + maintenance is a floor of $/h (energy and facility only add to it) */
            if (z.prune && s->v[c].floor_usd_h > best_h) {
                ans[c].state = 3;
                continue;
            }
            eval_t *e;
            if (evaluate(s, &z, o, c, z.at_load, &e, err, errlen))
                goto done;
            ans[c].state = 4;
            ans[c].at = e;
            if (e->meets && e->usd_h < best_h)
                best_h = e->usd_h;
        }
    }
    /* outputs */
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "sizing", s->name);
    cJSON_AddStringToObject(j, "question",
                            isnan(z.at_load) ? "largest load meeting the SLO"
                                             : "cheapest configuration meeting the SLO at a load");
    cJSON *sl = cJSON_AddObjectToObject(j, "slo");
    if (!isnan(z.ttft_slo))
        cJSON_AddNumberToObject(sl, "ttft_p99_s", z.ttft_slo);
    if (!isnan(z.tpot_slo))
        cJSON_AddNumberToObject(sl, "tpot_p99_s", z.tpot_slo);
    cJSON_AddStringToObject(j, "load_path", z.load_path);
    FILE *t = tmpfile();
    char slo1[32] = "-", slo2[32] = "-";
    if (!isnan(z.ttft_slo))
        snprintf(slo1, sizeof slo1, "%g", z.ttft_slo);
    if (!isnan(z.tpot_slo))
        snprintf(slo2, sizeof slo2, "%g", z.tpot_slo);
    fprintf(t, "%s%s%s\n\nSLO: TTFT p99 <= %s s, TPOT p99 <= %s s, at least 99 %% of requests completed\n", s->name,
            s->description[0] ? ": " : "", s->description, slo1, slo2);
    cJSON *cs = cJSON_AddArrayToObject(j, "configurations");
    int best = -1;
    if (isnan(z.at_load)) {
        fprintf(t, "largest %s meeting it, per configuration (bisection to %.0f %%, between %g and %g):\n\n",
                z.load_path, 100 * z.tol, z.lo, z.hi);
        fprintf(t, "%-40s %14s %12s\n", "configuration", "max load", "capex ($M)");
        for (int c = 0; c < s->n; c++) {
            char cell[64];
            if (ans[c].state == 1)
                snprintf(cell, sizeof cell, "< %g", z.lo);
            else if (ans[c].state == 2)
                snprintf(cell, sizeof cell, ">= %g", z.hi);
            else
                snprintf(cell, sizeof cell, "%.4g", ans[c].max_load);
            fprintf(t, "%-40s %14s %12.2f\n", s->v[c].name, cell, s->v[c].qty[ST_Q_CAPEX_USD] / 1e6);
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", s->v[c].name);
            cJSON_AddStringToObject(x, "label", s->v[c].label);
            if (isnan(ans[c].max_load))
                cJSON_AddNullToObject(x, "max_load");
            else
                cJSON_AddNumberToObject(x, "max_load", ans[c].max_load);
            cJSON_AddStringToObject(x, "bound",
                                    ans[c].state == 1   ? "fails at min"
                                    : ans[c].state == 2 ? "passes at max"
                                                        : "bracketed");
            cJSON_AddItemToArray(cs, x);
            if (!isnan(ans[c].max_load) && (best < 0 || ans[c].max_load > ans[best].max_load))
                best = c;
        }
        if (best >= 0)
            fprintf(t, "\nmost load: %s (%s)\n", s->v[best].name, s->v[best].label);
    } else {
        fprintf(t, "cheapest configuration meeting it at %s = %g (tried in order of capex%s):\n\n", z.load_path,
                z.at_load, z.prune ? "; pruned: capex alone exceeds the best $/h found" : "");
        fprintf(t, "%-40s %12s %10s %12s %12s  %s\n", "configuration", "capex ($M)", "$/hour", "TTFT p99 s",
                "TPOT p99 s", "result");
        for (int k = 0; k < s->n; k++) {
            int c = order[k];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", s->v[c].name);
            cJSON_AddStringToObject(x, "label", s->v[c].label);
            cJSON_AddNumberToObject(x, "capex_usd", s->v[c].qty[ST_Q_CAPEX_USD]);
            if (ans[c].state == 3) {
                fprintf(t, "%-40s %12.2f %10s %12s %12s  pruned\n", s->v[c].name, s->v[c].qty[ST_Q_CAPEX_USD] / 1e6,
                        "-", "-", "-");
                cJSON_AddStringToObject(x, "result", "pruned");
            } else {
                const eval_t *e = ans[c].at;
                fprintf(t, "%-40s %12.2f %10.2f %12.3f %12.4f  %s\n", s->v[c].name, s->v[c].qty[ST_Q_CAPEX_USD] / 1e6,
                        e->usd_h, e->ttft_p99, e->tpot_p99,
                        !e->ok     ? "failed"
                        : e->meets ? "meets"
                                   : "misses");
                cJSON_AddStringToObject(x, "result", !e->ok ? "failed" : e->meets ? "meets" : "misses");
                cJSON_AddNumberToObject(x, "usd_per_hour", e->usd_h);
                cJSON_AddNumberToObject(x, "ttft_p99_s", e->ttft_p99);
                cJSON_AddNumberToObject(x, "tpot_p99_s", e->tpot_p99);
                if (e->meets && (best < 0 || e->usd_h < ans[best].at->usd_h))
                    best = c;
            }
            cJSON_AddItemToArray(cs, x);
        }
        if (best >= 0)
            fprintf(t, "\ncheapest meeting the SLO: %s (%s), $%.2f/hour\n", s->v[best].name, s->v[best].label,
                    ans[best].at->usd_h);
        else
            fprintf(t, "\nno configuration meets the SLO at this load\n");
    }
    if (best >= 0)
        cJSON_AddStringToObject(j, "answer", s->v[best].name);
    else
        cJSON_AddNullToObject(j, "answer");
    cJSON_AddNumberToObject(j, "evaluations", z.nev);
    fprintf(t, "%d evaluations (runs in %s/evals/); frontier: pareto.png\n", z.nev, s->dir);
    long n = ftell(t);
    rewind(t);
    char *text = kvt_malloc((size_t)n + 1);
    text[fread(text, 1, (size_t)n, t)] = '\0';
    fclose(t);
    char p[1400];
    snprintf(p, sizeof p, "%s/size.txt", s->dir);
    int w = st_write_text(p, text, err, errlen);
    snprintf(p, sizeof p, "%s/size.json", s->dir);
    if (!w)
        w = cfg_write_json_atomic(p, j, err, errlen);
    cJSON_Delete(j);
    if (!w)
        w = write_frontier(s, &z, err, errlen);
    if (!w && !o->quiet)
        fputs(text, stdout);
    free(text);
    rc = w ? KVT_EXIT_FAIL : 0;
done:
    free(order);
    free(ans);
    free(z.ev);
    st_free(s);
    free(s);
    return rc;
}
