/* Studies; see study.h. The parent process never initialises SimGrid: it expands the grid and validates every
 * run's scenario first (grid.c, so a bad study fails before anything runs), prepares the study folder and runs
 * what is pending (runner.c locally, slurm.c on Slurm), then reads the summaries back for the comparison
 * (here) and the plots (plots.c). */
#define _XOPEN_SOURCE 700
#include "sim/study/study.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/base/alloc.h"
#include "sim/base/exitcodes.h"
#include "sim/out/metric_table.h"
#include "sim/out/outdir.h"
#include "sim/out/sigclean.h"
#include "sim/study/size.h"
#include "sim/study/study_int.h"

/* ---- comparison ----------------------------------------------------------------------------------------- */

/* A study metric: a figure of summary.json at a path (the study table's rows come from the metric table,
 * sim/out/metric_table.h; the short table names three figures by path). */
static double summary_value(const cJSON *s, const char *const *path)
{
    const cJSON *x = s;
    for (int i = 0; i < 4 && path[i] && x; i++)
        x = cJSON_GetObjectItemCaseSensitive(x, path[i]);
    return x && cJSON_IsNumber(x) ? x->valuedouble : (double)NAN;
}

/* The comparison as text (and into json); replicates print as mean ±95 % half-width. */
static void study_table(const study_t *s, FILE *out, cJSON *json)
{
    bool ci = false;
    for (int i = 0; i < s->n; i++)
        ci |= s->v[i].ci != NULL;
    int w = ci ? 22 : 14;
    int base = 0;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, s->baseline) == 0)
            base = i;
    fprintf(out, "%s%s%s\n\n", s->name, s->description[0] ? ": " : "", s->description);
    fprintf(out, "%-30s", "metric");
    for (int i = 0; i < s->n; i++)
        fprintf(out, " %*s", w, s->v[i].name);
    for (int i = 0; i < s->n; i++) {
        if (i == base)
            continue;
        char head[200];
        snprintf(head, sizeof head, "%s/base", s->v[i].name);
        fprintf(out, " %14s", s->n > 2 ? head : "ratio");
    }
    fprintf(out, "\n");
    cJSON *rows = cJSON_AddArrayToObject(json, "metrics");
    /* The rows and their order come from the metric table (sim/out/metric_table.h). */
    mt_study_item_t items[64];
    size_t n_items = mt_study_items(items, sizeof items / sizeof items[0]);
    for (size_t r = 0; r < n_items; r++) {
        const mt_row_t *m = items[r].row;
        size_t item = items[r].item;
        int decimals = m->study.decimals;
        char label[128];
        mt_item_label(m, item, label, sizeof label);
        fprintf(out, "%-30s", label);
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "metric", label);
        cJSON *vals = cJSON_AddObjectToObject(row, "values");
        cJSON *cis = ci ? cJSON_AddObjectToObject(row, "ci95_half_width") : NULL;
        cJSON *ratios = cJSON_AddObjectToObject(row, "ratio_to_baseline");
        double b = mt_item_shown(s->v[base].summary, m, item);
        for (int i = 0; i < s->n; i++) {
            double v = mt_item_shown(s->v[i].summary, m, item);
            double h = s->v[i].ci ? mt_item_shown(s->v[i].ci, m, item) : (double)NAN;
            char cell[64];
            if (isnan(v))
                snprintf(cell, sizeof cell, "-");
            else if (!isnan(h))
                snprintf(cell, sizeof cell, "%.*f ±%.*f", decimals, v, decimals, h);
            else
                snprintf(cell, sizeof cell, "%.*f", decimals, v);
            /* ± is two bytes in UTF-8 and one column */
            fprintf(out, " %*s", w + (strstr(cell, "±") ? 1 : 0), cell);
            if (isnan(v))
                cJSON_AddNullToObject(vals, s->v[i].name);
            else
                cJSON_AddNumberToObject(vals, s->v[i].name, v);
            if (cis && !isnan(h))
                cJSON_AddNumberToObject(cis, s->v[i].name, h);
            else if (cis)
                cJSON_AddNullToObject(cis, s->v[i].name);
        }
        for (int i = 0; i < s->n; i++) {
            if (i == base)
                continue;
            double v = mt_item_shown(s->v[i].summary, m, item);
            /* Only against a baseline that is not zero at the printed precision. */
            bool shown = !isnan(b) && fabs(b) >= 0.5 * pow(10, -decimals);
            double ratio = shown && !isnan(v) ? v / b : (double)NAN;
            char cell[32];
            if (isnan(ratio) || isinf(ratio))
                snprintf(cell, sizeof cell, "-");
            else
                snprintf(cell, sizeof cell, "%.2fx", ratio);
            fprintf(out, " %14s", cell);
            if (isnan(ratio) || isinf(ratio))
                cJSON_AddNullToObject(ratios, s->v[i].name);
            else
                cJSON_AddNumberToObject(ratios, s->v[i].name, ratio);
        }
        fprintf(out, "\n");
        cJSON_AddItemToArray(rows, row);
    }
    fprintf(out, "\nratio = variant / %s (baseline)\n", s->baseline);
    if (ci)
        fprintf(out, "mean ±95 %% interval (Student t) over %d seeds per configuration\n", s->nseeds);
}

/* The same comparison as CSV: one row per metric, a value (and interval) column per configuration, then the
 * ratios. */
static void study_csv(const study_t *s, FILE *out)
{
    int base = 0;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, s->baseline) == 0)
            base = i;
    fprintf(out, "metric");
    for (int i = 0; i < s->n; i++) {
        fprintf(out, ",%s", s->v[i].name);
        if (s->v[i].ci)
            fprintf(out, ",%s ci95", s->v[i].name);
    }
    for (int i = 0; i < s->n; i++)
        if (i != base)
            fprintf(out, ",%s/%s", s->v[i].name, s->baseline);
    fprintf(out, "\n");
    mt_study_item_t items[64];
    size_t n_items = mt_study_items(items, sizeof items / sizeof items[0]);
    for (size_t r = 0; r < n_items; r++) {
        const mt_row_t *m = items[r].row;
        size_t item = items[r].item;
        char label[128];
        mt_item_label(m, item, label, sizeof label);
        const char *l = label;
        while (*l == ' ')
            l++;
        fprintf(out, "\"%s\"", l);
        double b = mt_item_shown(s->v[base].summary, m, item);
        for (int i = 0; i < s->n; i++) {
            double v = mt_item_shown(s->v[i].summary, m, item);
            fprintf(out, isnan(v) ? "," : ",%.10g", v);
            if (s->v[i].ci) {
                double h = mt_item_shown(s->v[i].ci, m, item);
                fprintf(out, isnan(h) ? "," : ",%.10g", h);
            }
        }
        for (int i = 0; i < s->n; i++) {
            if (i == base)
                continue;
            double v = mt_item_shown(s->v[i].summary, m, item);
            double q = !isnan(b) && b != 0 && !isnan(v) ? v / b : (double)NAN;
            fprintf(out, isnan(q) || isinf(q) ? "," : ",%.6g", q);
        }
        fprintf(out, "\n");
    }
}

/* What the configurations have of each hold-equal quantity, and which are held. */
static void study_sizes(const study_t *s, FILE *out, cJSON *json)
{
    static const char *const label[ST_NQTY] = {"GPUs", "nodes", "storage tier capacity (TB)", "capex ($M)"};
    static const double scale[ST_NQTY] = {1, 1, 1e-12, 1e-6};
    fprintf(out, "\n%-30s", "sizes");
    for (int i = 0; i < s->n; i++)
        fprintf(out, " %14s", s->v[i].name);
    fprintf(out, "\n");
    cJSON *held = cJSON_AddArrayToObject(json, "held_equal");
    cJSON *sz = cJSON_AddObjectToObject(json, "sizes");
    for (int k = 0; k < ST_NQTY; k++) {
        char l[64];
        snprintf(l, sizeof l, "%s%s", label[k], s->hold[k] ? " [held]" : "");
        fprintf(out, "%-30s", l);
        cJSON *q = cJSON_AddObjectToObject(sz, st_qty_name[k]);
        for (int i = 0; i < s->n; i++) {
            fprintf(out, " %14.*f", k >= ST_Q_STORAGE_BYTES ? 2 : 0, s->v[i].qty[k] * scale[k]);
            cJSON_AddNumberToObject(q, s->v[i].name, s->v[i].qty[k]);
        }
        fprintf(out, "\n");
        if (s->hold[k])
            cJSON_AddItemToArray(held, cJSON_CreateString(st_qty_name[k]));
    }
    bool any = false;
    for (int k = 0; k < ST_NQTY; k++)
        any |= s->hold[k];
    if (any) {
        fprintf(out, "held equal (checked before running):");
        for (int k = 0; k < ST_NQTY; k++)
            if (s->hold[k])
                fprintf(out, " %s (within %.1f %%)", st_qty_name[k], 100 * s->hold_tol[k]);
        fprintf(out, "\n");
    }
}

/* A short table for stdout when the wide one has too many columns: one line per configuration. */
static void study_long(const study_t *s, FILE *out)
{
    static const char *const path[][4] = {
        {"throughput", "output_tokens_per_s"}, {"latency_s", "ttft", "p99"}, {"cost", "usd_per_million_output_tokens"}};
    fprintf(out, "%-40s %14s %12s %12s %6s\n", "configuration", "output tok/s", "TTFT p99 s", "$/Mtok", "runs");
    for (int i = 0; i < s->n; i++) {
        fprintf(out, "%-40s", s->v[i].name);
        for (int k = 0; k < 3; k++) {
            double v = summary_value(s->v[i].summary, path[k]);
            if (isnan(v))
                fprintf(out, " %*s", k ? 12 : 14, "-");
            else
                fprintf(out, " %*.*f", k ? 12 : 14, k == 0 ? 1 : 3, v);
        }
        fprintf(out, " %3d/%-2d\n", s->v[i].ndone, s->v[i].nruns);
    }
}

static char *file_text(FILE *f)
{
    long n = ftell(f);
    rewind(f);
    char *t = kvt_malloc((size_t)n + 1);
    size_t got = fread(t, 1, (size_t)n, f);
    t[got] = '\0';
    return t;
}

int st_outputs(study_t *s, bool quiet, char *err, size_t errlen)
{
    if (st_load_summaries(s, err, errlen))
        return -1;
    int shown = 0;
    for (int i = 0; i < s->n; i++)
        shown += s->v[i].ndone > 0;
    if (!shown) {
        snprintf(err, errlen, "%s: no run of the study is complete; nothing to compare", s->dir);
        return -1;
    }
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "study", s->name);
    cJSON_AddStringToObject(json, "description", s->description);
    cJSON_AddStringToObject(json, "baseline", s->baseline);
    cJSON_AddNumberToObject(json, "seeds_per_configuration", s->nseeds);
    cJSON *vars = cJSON_AddArrayToObject(json, "variants");
    for (int i = 0; i < s->n; i++) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "name", s->v[i].name);
        cJSON_AddStringToObject(v, "label", s->v[i].label);
        cJSON *sets = cJSON_AddArrayToObject(v, "set");
        for (int k = 0; k < s->v[i].nsets; k++)
            cJSON_AddItemToArray(sets, cJSON_CreateString(s->v[i].sets[k]));
        cJSON *runs = cJSON_AddArrayToObject(v, "runs");
        for (int k = 0; k < s->v[i].nruns; k++) {
            const st_run_t *r = &s->runs[s->v[i].first_run + k];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", r->name);
            cJSON_AddNumberToObject(x, "seed", (double)r->seed);
            cJSON_AddStringToObject(x, "scenario_hash", r->hash);
            cJSON_AddStringToObject(x, "state",
                                    r->state == ST_DONE     ? "complete"
                                    : r->state == ST_FAILED ? "failed"
                                                            : "missing");
            cJSON_AddItemToArray(runs, x);
        }
        cJSON_AddItemToArray(vars, v);
    }
    FILE *t = tmpfile();
    if (!t) {
        cJSON_Delete(json);
        snprintf(err, errlen, "cannot create a temporary file (%s)", strerror(errno));
        return -1;
    }
    study_table(s, t, json);
    study_sizes(s, t, json);
    int missing = 0;
    for (int r = 0; r < s->nruns; r++)
        missing += s->runs[r].state != ST_DONE;
    if (missing)
        fprintf(t, "incomplete: %d of %d runs missing or failed (their columns show '-' or fewer seeds)\n", missing,
                s->nruns);
    char *text = file_text(t);
    fclose(t);
    char p[1300];
    snprintf(p, sizeof p, "%s/comparison.txt", s->dir);
    int rc = st_write_text(p, text, err, errlen);
    t = tmpfile();
    study_csv(s, t);
    char *csv = file_text(t);
    fclose(t);
    snprintf(p, sizeof p, "%s/comparison.csv", s->dir);
    if (!rc)
        rc = st_write_text(p, csv, err, errlen);
    free(csv);
    snprintf(p, sizeof p, "%s/study.json", s->dir);
    if (!rc)
        rc = cfg_write_json_atomic(p, json, err, errlen);
    cJSON_Delete(json);
    if (!rc)
        rc = st_plots(s, err, errlen);
    if (!rc && !quiet) {
        if (s->n <= 8) {
            fputs(text, stdout);
        } else {
            printf("%s%s%s\n\n", s->name, s->description[0] ? ": " : "", s->description);
            study_long(s, stdout);
            printf("\n(%d configurations: the full table is comparison.txt and comparison.csv)\n", s->n);
        }
        printf("\nresults: %s/ (study.json, comparison.txt, comparison.csv, study.png, one folder per run)\n", s->dir);
    }
    free(text);
    return rc;
}

static int mkdir_p(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *q = buf + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *q = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* The runs that failed or are missing, on one line. */
static void failures(const study_t *s, char *err, size_t errlen)
{
    size_t len = 0;
    int n = 0;
    for (int r = 0; r < s->nruns; r++)
        n += s->runs[r].state != ST_DONE;
    len += (size_t)snprintf(err, errlen, "%d of %d runs did not complete:", n, s->nruns);
    int shown = 0;
    for (int r = 0; r < s->nruns && len < errlen; r++) {
        if (s->runs[r].state == ST_DONE)
            continue;
        if (shown++ == 8) {
            len += (size_t)snprintf(err + len, errlen - len, " ...");
            break;
        }
        if (s->runs[r].state == ST_FAILED)
            len +=
                (size_t)snprintf(err + len, errlen - len, " %s (exit code %d)", s->runs[r].name, s->runs[r].exit_code);
        else
            len += (size_t)snprintf(err + len, errlen - len, " %s", s->runs[r].name);
    }
    if (len < errlen)
        snprintf(err + len, errlen - len, "; the outputs cover the rest; run the study again to redo them");
}

int study_run(const char *path, const study_opts_t *o, char *err, size_t errlen)
{
    study_t *s = kvt_calloc(1, sizeof *s);
    int rc = KVT_EXIT_INPUT;
    if (o->collect_dir) {
        if (st_index_read(s, o->collect_dir, err, errlen))
            goto done;
        st_scan(s);
        rc = KVT_EXIT_FAIL;
        if (st_outputs(s, o->quiet, err, errlen))
            goto done;
        int missing = 0;
        for (int r = 0; r < s->nruns; r++)
            missing += s->runs[r].state != ST_DONE;
        if (missing && !o->quiet)
            fprintf(stderr, "kvtwin study: collected %d of %d runs; %d missing\n", s->nruns - missing, s->nruns,
                    missing);
        rc = 0;
        goto done;
    }
    if (st_parse(s, path, o, err, errlen))
        goto done;
    if (s->search) {
        /* a search block makes the study a sizing */
        st_free(s);
        free(s);
        return size_run(path, o, err, errlen);
    }
    if (o->check_only) {
        if (!o->quiet) {
            printf("%s: %d configurations x %d seeds = %d runs, all valid; baseline %s\n", s->name, s->n, s->nseeds,
                   s->nruns, s->baseline);
            for (int i = 0; i < s->n && i < 64; i++)
                printf("  %s: %s\n", s->v[i].name, s->v[i].label);
            if (s->n > 64)
                printf("  ... and %d more\n", s->n - 64);
        }
        rc = 0;
        goto done;
    }
    char final[1024];
    if (o->out_dir && o->out_dir[0])
        snprintf(final, sizeof final, "%s", o->out_dir);
    else
        snprintf(final, sizeof final, "results/%s", s->name);
    /* Never a folder kvtwin did not write (issue: --out must not destroy the user's files). */
    struct stat fst;
    if (!o->force && lstat(final, &fst) == 0 && !outdir_is_results(final)) {
        snprintf(err, errlen,
                 "%s: exists and is not a kvtwin results folder; choose another --out or pass --force to use it",
                 final);
        rc = KVT_EXIT_INPUT;
        goto done;
    }
    /* A signal from here on stops the runs (and their temporaries go with them) before the study ends. */
    kvt_cleanup_init();
    rc = KVT_EXIT_FAIL;
    if (mkdir_p(final) || !realpath(final, s->dir)) {
        snprintf(err, errlen, "%s: cannot create the study folder (%s)", final, strerror(errno));
        goto done;
    }
    if (st_folder_prepare(s, o->fresh, err, errlen) || st_index_write(s, err, errlen))
        goto done;
    if (o->slurm) {
        rc = st_run_slurm(s, o, err, errlen);
        if (rc || o->no_wait)
            goto done;
        st_scan(s);
        for (int r = 0; r < s->nruns; r++)
            if (s->runs[r].state != ST_DONE)
                s->runs[r].state = ST_FAILED, s->runs[r].exit_code = -1;
    } else {
        st_run_local(s, o);
    }
    rc = KVT_EXIT_FAIL;
    int incomplete = 0;
    for (int r = 0; r < s->nruns; r++)
        incomplete += s->runs[r].state != ST_DONE;
    if (st_outputs(s, o->quiet, err, errlen))
        goto done;
    if (incomplete) {
        failures(s, err, errlen);
        if (o->slurm)
            snprintf(err + strlen(err), errlen - strlen(err), " (task logs in %s/slurm/)", s->dir);
        goto done;
    }
    rc = 0;
done:
    st_free(s);
    free(s);
    return rc;
}

int study_task(const char *dir, const char *run, const char *self_exe, char *err, size_t errlen)
{
    study_t *s = kvt_calloc(1, sizeof *s);
    int rc = KVT_EXIT_INPUT;
    if (st_index_read(s, dir, err, errlen))
        goto done;
    for (int r = 0; r < s->nruns; r++) {
        if (strcmp(s->runs[r].name, run) != 0)
            continue;
        char seed[32], out[1300];
        const char **argv = st_run_argv(s, r, self_exe, seed, sizeof seed, out, sizeof out);
        fflush(NULL);
        union {
            const char **in;
            char *const *out;
        } args = {argv};
        execv(self_exe, args.out);
        snprintf(err, errlen, "cannot run %s (%s)", self_exe, strerror(errno));
        free(argv);
        rc = KVT_EXIT_FAIL;
        goto done;
    }
    snprintf(err, errlen, "%s: the study has no run named \"%s\"", dir, run);
done:
    st_free(s);
    free(s);
    return rc;
}
