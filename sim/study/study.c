/* Studies; see study.h. The parent process never initialises SimGrid: it validates every variant's
 * scenario first (so a bad study fails before anything runs), forks `kvtwin run` children, then reads their
 * summary.json and run.h5 back for the comparison and the plots. */
#define _POSIX_C_SOURCE 200809L
#include "sim/study/study.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>

#include "sim/base/exitcodes.h"
#include "sim/base/progress.h"
#include "sim/config/config.h"
#include "sim/base/jsonbind.h"
#include "sim/out/metric_table.h"
#include "sim/out/outdir.h"
#include "sim/config/scenario.h"
#include "sim/out/sigclean.h"

#define STUDY_MAX_VARIANTS 16
#define STUDY_MAX_SETS 64

typedef struct variant {
    char name[64];
    char label[128];
    char *sets[STUDY_MAX_SETS]; /* "path=json" */
    int nsets;
    cJSON *summary;
    pid_t pid;
    int status;
} variant_t;

typedef struct study {
    char name[64];
    char description[256];
    char scenario[1024];
    char baseline[64];
    variant_t v[STUDY_MAX_VARIANTS];
    int n;
    cfg_doc_t doc;
} study_t;

static int study_fail(study_t *s, const char *path, const char *msg, char *err, size_t errlen)
{
    cfg_doc_error(&s->doc, path, msg, err, errlen);
    return -1;
}

static int study_parse(study_t *s, const char *path, char *err, size_t errlen)
{
    if (cfg_doc_load(&s->doc, path, err, errlen))
        return -1;
    const cJSON *root = s->doc.root;
    static const char *const keys[] = {"name", "description", "scenario", "baseline", "variants", NULL};
    for (const cJSON *it = root->child; it; it = it->next) {
        bool ok = false;
        for (int k = 0; keys[k]; k++)
            ok |= strcmp(it->string, keys[k]) == 0;
        if (!ok) {
            char msg[256];
            snprintf(msg, sizeof msg, "unknown key \"%s\"; valid keys: name, description, scenario, baseline, variants",
                     it->string);
            return study_fail(s, it->string, msg, err, errlen);
        }
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
    const cJSON *scen = cJSON_GetObjectItemCaseSensitive(root, "scenario");
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(root, "baseline");
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(root, "variants");
    if (!cJSON_IsString(name) || !name->valuestring[0] || strlen(name->valuestring) >= sizeof s->name)
        return study_fail(s, "name", "expected the study's name (a short string)", err, errlen);
    snprintf(s->name, sizeof s->name, "%s", name->valuestring);
    if (desc && (!cJSON_IsString(desc) || strlen(desc->valuestring) >= sizeof s->description))
        return study_fail(s, "description", "expected a string of at most 255 characters", err, errlen);
    if (desc)
        snprintf(s->description, sizeof s->description, "%s", desc->valuestring);
    if (!cJSON_IsString(scen))
        return study_fail(s, "scenario", "expected the path of the base scenario (relative to the study file)", err,
                          errlen);
    cfg_doc_path(&s->doc, scen->valuestring, s->scenario, sizeof s->scenario);
    if (!cJSON_IsArray(vars) || cJSON_GetArraySize(vars) < 1 || cJSON_GetArraySize(vars) > STUDY_MAX_VARIANTS)
        return study_fail(s, "variants", "expected an array of 1 to 16 variants", err, errlen);
    int i = 0;
    for (const cJSON *v = vars->child; v; v = v->next, i++) {
        char at[64];
        snprintf(at, sizeof at, "variants[%d]", i);
        variant_t *var = &s->v[s->n++];
        const cJSON *vn = cJSON_GetObjectItemCaseSensitive(v, "name");
        const cJSON *vl = cJSON_GetObjectItemCaseSensitive(v, "label");
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(v, "set");
        char p[96];
        if (!cJSON_IsObject(v))
            return study_fail(s, at, "expected an object {\"name\", \"label\", \"set\"}", err, errlen);
        for (const cJSON *it = v->child; it; it = it->next) {
            if (strcmp(it->string, "name") && strcmp(it->string, "label") && strcmp(it->string, "set")) {
                snprintf(p, sizeof p, "%s.%s", at, it->string);
                return study_fail(s, p, "unknown key; valid keys: name, label, set", err, errlen);
            }
        }
        snprintf(p, sizeof p, "%s.name", at);
        if (!cJSON_IsString(vn) || !vn->valuestring[0] || strlen(vn->valuestring) >= sizeof var->name ||
            strpbrk(vn->valuestring, "/ "))
            return study_fail(s, p, "expected a short name without spaces or slashes", err, errlen);
        for (int k = 0; k + 1 < s->n; k++)
            if (strcmp(s->v[k].name, vn->valuestring) == 0)
                return study_fail(s, p, "two variants have this name", err, errlen);
        snprintf(var->name, sizeof var->name, "%s", vn->valuestring);
        snprintf(var->label, sizeof var->label, "%s", cJSON_IsString(vl) ? vl->valuestring : vn->valuestring);
        if (vs && !cJSON_IsObject(vs)) {
            snprintf(p, sizeof p, "%s.set", at);
            return study_fail(s, p, "expected an object of JSON path -> value", err, errlen);
        }
        for (const cJSON *kv = vs ? vs->child : NULL; kv && var->nsets < STUDY_MAX_SETS; kv = kv->next) {
            char *val = cJSON_PrintUnformatted(kv);
            size_t len = strlen(kv->string) + strlen(val) + 2;
            var->sets[var->nsets] = malloc(len);
            snprintf(var->sets[var->nsets], len, "%s=%s", kv->string, val);
            var->nsets++;
            free(val);
        }
    }
    if (base) {
        if (!cJSON_IsString(base))
            return study_fail(s, "baseline", "expected the name of a variant", err, errlen);
        bool found = false;
        for (int k = 0; k < s->n; k++)
            found |= strcmp(s->v[k].name, base->valuestring) == 0;
        if (!found)
            return study_fail(s, "baseline", "no variant has this name", err, errlen);
        snprintf(s->baseline, sizeof s->baseline, "%s", base->valuestring);
    } else {
        snprintf(s->baseline, sizeof s->baseline, "%s", s->v[0].name);
    }
    return 0;
}

static void study_free(study_t *s)
{
    for (int i = 0; i < s->n; i++) {
        for (int k = 0; k < s->v[i].nsets; k++)
            free(s->v[i].sets[k]);
        cJSON_Delete(s->v[i].summary);
    }
    cfg_doc_free(&s->doc);
}

/* The assignments of a variant: the study's --set first, then the variant's own. */
static int variant_sets(const variant_t *v, const study_opts_t *o, const char **out)
{
    int n = 0;
    for (int k = 0; k < o->nsets; k++)
        out[n++] = o->sets[k];
    for (int k = 0; k < v->nsets; k++)
        out[n++] = v->sets[k];
    return n;
}

/* Loads every variant's scenario in this process, so bad input stops the study before any run. */
static int study_validate(const study_t *s, const study_opts_t *o, char *err, size_t errlen)
{
    for (int i = 0; i < s->n; i++) {
        const char *sets[STUDY_MAX_SETS + 64];
        int n = variant_sets(&s->v[i], o, sets);
        scenario_t *sc = calloc(1, sizeof *sc);
        char msg[2048];
        int rc = scenario_load(sc, s->scenario, sets, n, o->seed, msg, sizeof msg);
        scenario_free(sc);
        free(sc);
        if (rc) {
            snprintf(err, errlen, "variant %s: %s", s->v[i].name, msg);
            return -1;
        }
    }
    return 0;
}

static pid_t study_spawn(const study_t *s, const variant_t *v, const study_opts_t *o, const char *dir)
{
    const char *argv[2 * (STUDY_MAX_SETS + 64) + 16];
    int a = 0;
    argv[a++] = o->self_exe;
    argv[a++] = "run";
    argv[a++] = s->scenario;
    const char *sets[STUDY_MAX_SETS + 64];
    int n = variant_sets(v, o, sets);
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
    argv[a] = NULL;
    fflush(NULL);
    pid_t parent = getpid();
    kvt_cleanup_hold(); /* registered before a signal can look for it */
    pid_t pid = fork();
    if (pid == 0) {
        kvt_cleanup_in_child(parent);
        /* execv's prototype predates const; the strings are not modified. */
        union {
            const char **in;
            char *const *out;
        } args = {argv};
        execv(o->self_exe, args.out);
        fprintf(stderr, "kvtwin study: cannot run %s (%s)\n", o->self_exe, strerror(errno));
        _exit(KVT_EXIT_FAIL);
    }
    kvt_cleanup_release();
    if (pid > 0)
        kvt_cleanup_add_child(pid);
    return pid;
}

static int study_run_variants(study_t *s, const study_opts_t *o, const outdir_t *od, char *err, size_t errlen)
{
    int jobs = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1)
        jobs = 1;
    int next = 0, running = 0, failed = -1;
    while (next < s->n || running > 0) {
        while (next < s->n && running < jobs && failed < 0) {
            char dir[1200];
            outdir_file(od, s->v[next].name, dir, sizeof dir);
            if (!o->quiet)
                fprintf(stderr, "kvtwin study: running %s (%s)\n", s->v[next].name, s->v[next].label);
            s->v[next].pid = study_spawn(s, &s->v[next], o, dir);
            if (s->v[next].pid < 0) {
                snprintf(err, errlen, "cannot start a process (%s)", strerror(errno));
                return KVT_EXIT_FAIL;
            }
            next++;
            running++;
        }
        if (running == 0)
            break;
        int status;
        pid_t pid = wait(&status);
        if (pid < 0)
            break;
        running--;
        kvt_cleanup_remove_child(pid);
        for (int i = 0; i < s->n; i++) {
            if (s->v[i].pid != pid)
                continue;
            s->v[i].status = WIFEXITED(status) ? WEXITSTATUS(status) : KVT_EXIT_FAIL;
            if (s->v[i].status != 0 && failed < 0)
                failed = i;
            if (!o->quiet && s->v[i].status == 0)
                fprintf(stderr, "kvtwin study: %s done\n", s->v[i].name);
        }
    }
    if (failed >= 0) {
        snprintf(err, errlen, "variant %s failed (exit code %d); its error is above", s->v[failed].name,
                 s->v[failed].status);
        return s->v[failed].status == KVT_EXIT_INPUT ? KVT_EXIT_INPUT : KVT_EXIT_FAIL;
    }
    return 0;
}

/* ---- comparison ----------------------------------------------------------------------------------------- */

static void study_table(const study_t *s, FILE *out, cJSON *json)
{
    int base = 0;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, s->baseline) == 0)
            base = i;
    fprintf(out, "%s%s%s\n\n", s->name, s->description[0] ? ": " : "", s->description);
    fprintf(out, "%-30s", "metric");
    for (int i = 0; i < s->n; i++)
        fprintf(out, " %14s", s->v[i].name);
    for (int i = 0; i < s->n; i++) {
        if (i == base)
            continue;
        char head[80];
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
        cJSON *ratios = cJSON_AddObjectToObject(row, "ratio_to_baseline");
        double b = mt_item_shown(s->v[base].summary, m, item);
        for (int i = 0; i < s->n; i++) {
            double v = mt_item_shown(s->v[i].summary, m, item);
            char cell[32];
            if (isnan(v))
                snprintf(cell, sizeof cell, "-");
            else
                snprintf(cell, sizeof cell, "%.*f", decimals, v);
            fprintf(out, " %14s", cell);
            if (isnan(v))
                cJSON_AddNullToObject(vals, s->v[i].name);
            else
                cJSON_AddNumberToObject(vals, s->v[i].name, v);
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
}

/* ---- plots ---------------------------------------------------------------------------------------------- */

/* Reads one double column of a compound dataset in a variant's run.h5. */
static double *h5_column(const char *file, const char *dataset, const char *field, size_t *n)
{
    *n = 0;
    H5dont_atexit(); /* as sim/h5out.c: never run HDF5's exit handler */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return NULL;
    double *out = NULL;
    hid_t ds = H5Dopen2(f, dataset, H5P_DEFAULT);
    if (ds >= 0) {
        hid_t space = H5Dget_space(ds);
        hssize_t rows = H5Sget_simple_extent_npoints(space);
        hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(double));
        H5Tinsert(t, field, 0, H5T_NATIVE_DOUBLE);
        if (rows > 0) {
            out = malloc((size_t)rows * sizeof *out);
            if (H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
                free(out);
                out = NULL;
            } else {
                *n = (size_t)rows;
            }
        }
        H5Tclose(t);
        H5Sclose(space);
        H5Dclose(ds);
    }
    H5Fclose(f);
    return out;
}

/* One gnuplot `plot` command drawing PREFIX_<variant>.dat for every variant. */
static void study_plot_line(FILE *g, const study_t *s, const char *prefix)
{
    fprintf(g, "plot ");
    for (int i = 0; i < s->n; i++)
        fprintf(g, "%s'%s_%s.dat' using 1:2 with lines lw 2 title '%s'", i ? ", " : "", prefix, s->v[i].name,
                s->v[i].label);
    fprintf(g, "\n");
}

static int study_plots(const study_t *s, const outdir_t *od, char *err, size_t errlen)
{
    char path[1300], gp[1300];
    for (int i = 0; i < s->n; i++) {
        char h5[1300];
        snprintf(h5, sizeof h5, "%s/%s/run.h5", od->tmp, s->v[i].name);
        size_t n = 0;
        double *ttft = h5_column(h5, "requests", "ttft_s", &n);
        snprintf(path, sizeof path, "%s/ttft_cdf_%s.dat", od->tmp, s->v[i].name);
        FILE *f = fopen(path, "w");
        if (!f) {
            free(ttft);
            snprintf(err, errlen, "%s: cannot write", path);
            return -1;
        }
        size_t k = 0;
        for (size_t j = 0; j < n; j++)
            if (!isnan(ttft[j]))
                ttft[k++] = ttft[j];
        if (k)
            gsl_sort(ttft, 1, k);
        fprintf(f, "# TTFT (s)  fraction of completed requests\n");
        for (size_t j = 0; j < k; j++)
            fprintf(f, "%.6g %.6g\n", ttft[j], (double)(j + 1) / (double)k);
        fclose(f);
        free(ttft);
        size_t nt = 0, nr = 0;
        double *t = h5_column(h5, "timeseries", "t_s", &nt);
        double *tps = h5_column(h5, "timeseries", "output_tokens_per_s", &nr);
        snprintf(path, sizeof path, "%s/throughput_%s.dat", od->tmp, s->v[i].name);
        f = fopen(path, "w");
        if (!f) {
            free(t);
            free(tps);
            snprintf(err, errlen, "%s: cannot write", path);
            return -1;
        }
        fprintf(f, "# time (s)  output tokens/s\n");
        for (size_t j = 0; j < nt && j < nr; j++)
            fprintf(f, "%.6g %.6g\n", t[j], tps[j]);
        fclose(f);
        free(t);
        free(tps);
    }
    snprintf(gp, sizeof gp, "%s/plots.gp", od->tmp);
    FILE *g = fopen(gp, "w");
    if (!g) {
        snprintf(err, errlen, "%s: cannot write", gp);
        return -1;
    }
    fprintf(g, "# Plots of study %s; run with: gnuplot plots.gp (from this folder)\n", s->name);
    fprintf(g, "set terminal pngcairo size 1400,560 font ',11'\nset output 'study.png'\n");
    fprintf(g, "set multiplot layout 1,2 title '%s'\n", s->name);
    fprintf(g, "set title 'TTFT distribution'\nset xlabel 'TTFT (s)'\nset ylabel 'fraction of requests'\n"
               "set logscale x\nset key bottom right\nset grid\n");
    study_plot_line(g, s, "ttft_cdf");
    fprintf(g, "unset logscale x\nset title 'Output throughput over time'\nset xlabel 'simulated time (s)'\n"
               "set ylabel 'output tokens/s'\nset key top right\n");
    study_plot_line(g, s, "throughput");
    fprintf(g, "unset multiplot\n");
    fclose(g);
    fflush(NULL);
    pid_t parent = getpid();
    kvt_cleanup_hold();
    pid_t pid = fork();
    if (pid == 0) {
        kvt_cleanup_in_child(parent);
        if (chdir(od->tmp) != 0)
            _exit(127);
        execlp("gnuplot", "gnuplot", "plots.gp", (char *)NULL);
        _exit(127);
    }
    kvt_cleanup_release();
    if (pid > 0)
        kvt_cleanup_add_child(pid);
    int status = 0;
    int waited = pid > 0 ? waitpid(pid, &status, 0) : -1;
    if (pid > 0)
        kvt_cleanup_remove_child(pid);
    if (pid < 0 || waited < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "gnuplot failed on %s (is gnuplot-nox installed? scripts/setup.sh installs it)", gp);
        return -1;
    }
    return 0;
}

int study_run(const char *path, const study_opts_t *o, char *err, size_t errlen)
{
    study_t *s = calloc(1, sizeof *s);
    int rc = KVT_EXIT_INPUT;
    if (study_parse(s, path, err, errlen) || study_validate(s, o, err, errlen))
        goto done;
    if (o->check_only) {
        if (!o->quiet)
            printf("%s: %d variants, all valid\n", s->name, s->n);
        rc = 0;
        goto done;
    }
    char final[1024];
    if (o->out_dir && o->out_dir[0])
        snprintf(final, sizeof final, "%s", o->out_dir);
    else
        snprintf(final, sizeof final, "results/%s", s->name);
    outdir_t od;
    rc = KVT_EXIT_INPUT; /* the results folder cannot be used: an output error */
    if (outdir_begin_opts(&od, final, o->force, err, errlen))
        goto done;
    rc = study_run_variants(s, o, &od, err, errlen);
    if (rc)
        goto abort;
    rc = KVT_EXIT_FAIL;
    for (int i = 0; i < s->n; i++) {
        char sp[1300], *text;
        snprintf(sp, sizeof sp, "%s/%s/summary.json", od.tmp, s->v[i].name);
        if (cfg_read_json_file(sp, &text, &s->v[i].summary, err, errlen))
            goto abort;
        free(text);
    }
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "study", s->name);
    cJSON_AddStringToObject(json, "description", s->description);
    cJSON_AddStringToObject(json, "baseline", s->baseline);
    cJSON *vars = cJSON_AddArrayToObject(json, "variants");
    for (int i = 0; i < s->n; i++) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "name", s->v[i].name);
        cJSON_AddStringToObject(v, "label", s->v[i].label);
        cJSON *sets = cJSON_AddArrayToObject(v, "set");
        for (int k = 0; k < s->v[i].nsets; k++)
            cJSON_AddItemToArray(sets, cJSON_CreateString(s->v[i].sets[k]));
        cJSON_AddItemToArray(vars, v);
    }
    char tp[1300];
    snprintf(tp, sizeof tp, "%s/comparison.txt", od.tmp);
    FILE *t = fopen(tp, "w");
    if (!t) {
        cJSON_Delete(json);
        snprintf(err, errlen, "%s: cannot write", tp);
        goto abort;
    }
    study_table(s, t, json);
    fclose(t);
    char jp[1300];
    snprintf(jp, sizeof jp, "%s/study.json", od.tmp);
    int wrc = cfg_write_json_atomic(jp, json, err, errlen);
    cJSON_Delete(json);
    if (wrc || study_plots(s, &od, err, errlen) || outdir_commit(&od, err, errlen))
        goto abort;
    if (!o->quiet) {
        snprintf(tp, sizeof tp, "%s/comparison.txt", od.final);
        FILE *f = fopen(tp, "r");
        if (f) {
            char line[512];
            while (fgets(line, sizeof line, f))
                fputs(line, stdout);
            fclose(f);
        }
        printf("\nresults: %s/ (study.json, comparison.txt, study.png, one folder per variant)\n", od.final);
    }
    rc = 0;
    goto done;
abort:
    outdir_abort(&od);
done:
    study_free(s);
    free(s);
    return rc;
}
