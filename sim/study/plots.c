/* The study's plots; see study_int.h. Two panels: the TTFT distribution of the requests the table counts
 * (completed, arriving inside the measured window, pooled over a configuration's replicates) and output
 * tokens/s over time (the mean over replicates, the measured window shaded). Every configuration gets its own
 * colour (a qualitative palette up to ten, evenly spaced hues with alternating lightness and dash patterns
 * beyond), and the legends sit below the panels, so none covers a curve however many there are. plots.gp
 * regenerates the PNG (gnuplot plots.gp) or an SVG (gnuplot -e "fmt='svg'" plots.gp, as kvtwin report does). */
#define _POSIX_C_SOURCE 200809L
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>

#include "sim/base/alloc.h"
#include "sim/out/sigclean.h"
#include "sim/study/study_int.h"

#define ST_CDF_POINTS 2000

int st_write_text(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[1400];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write", path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Reads one column of a compound dataset as doubles. */
static double *h5_column(const char *file, const char *dataset, const char *field, size_t *n)
{
    *n = 0;
    H5dont_atexit(); /* as sim/out/h5out.c: never run HDF5's exit handler */
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
            out = kvt_malloc((size_t)rows * sizeof *out);
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

static double jnum2(const cJSON *j, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, a), b);
    return cJSON_IsNumber(x) ? x->valuedouble : (double)NAN;
}

/* Colour i of n, as #rrggbb. */
static void colour(int i, int n, char out[8])
{
    static const char *const tab10[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    if (n <= 10) {
        snprintf(out, 8, "%s", tab10[i]);
        return;
    }
    double h = (double)i / n * 6.0, s = 0.85, v = i % 2 ? 0.60 : 0.90;
    int k = (int)h;
    double f = h - k, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    double rgb[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
    double *c = rgb[k % 6];
    snprintf(out, 8, "#%02x%02x%02x", (int)(c[0] * 255), (int)(c[1] * 255), (int)(c[2] * 255));
}

/* A gnuplot single-quoted string: quotes doubled. */
static void gp_quote(FILE *g, const char *s)
{
    fputc('\'', g);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', g);
        fputc(*s, g);
    }
    fputc('\'', g);
}

static int write_config_data(const study_t *s, int c, double *w0, double *w1, char *err, size_t errlen)
{
    const st_config_t *cf = &s->v[c];
    double *pool = NULL;
    size_t npool = 0, cap = 0;
    double *tps = NULL, *ts = NULL;
    size_t nts = 0;
    int nrep = 0;
    for (int k = 0; k < cf->nruns; k++) {
        const st_run_t *run = &s->runs[cf->first_run + k];
        if (run->state != ST_DONE || !run->summary)
            continue;
        double a = jnum2(run->summary, "window", "start_s"), b = jnum2(run->summary, "window", "end_s");
        if (!isnan(a) && (isnan(*w0) || a < *w0))
            *w0 = a;
        if (!isnan(b) && (isnan(*w1) || b > *w1))
            *w1 = b;
        char h5[1300];
        snprintf(h5, sizeof h5, "%s/%s/run.h5", s->dir, run->name);
        size_t n = 0, na = 0, no = 0;
        double *ttft = h5_column(h5, "requests", "ttft_s", &n);
        double *arr = h5_column(h5, "requests", "arrival_s", &na);
        double *out = h5_column(h5, "requests", "outcome", &no);
        for (size_t j = 0; j < n && j < na && j < no; j++) {
            /* the table's definition: completed, arrived in [start, end) */
            if (out[j] != 0 || isnan(ttft[j]) || arr[j] < a || arr[j] >= b)
                continue;
            kvt_grow(&pool, &cap, npool + 1, sizeof *pool, 1024);
            pool[npool++] = ttft[j];
        }
        free(ttft);
        free(arr);
        free(out);
        size_t nt = 0, nr = 0;
        double *t = h5_column(h5, "timeseries", "t_s", &nt);
        double *r = h5_column(h5, "timeseries", "output_tokens_per_s", &nr);
        if (nr < nt)
            nt = nr;
        if (nrep == 0) {
            ts = t;
            tps = r;
            nts = nt;
        } else {
            for (size_t j = 0; j < nts && j < nt; j++)
                tps[j] += r[j];
            if (nt < nts)
                nts = nt;
            free(t);
            free(r);
        }
        nrep++;
    }
    char path[1400];
    snprintf(path, sizeof path, "%s/ttft_cdf_%s.dat", s->dir, cf->name);
    FILE *f = fopen(path, "w");
    if (!f) {
        free(pool);
        free(ts);
        free(tps);
        snprintf(err, errlen, "%s: cannot write", path);
        return -1;
    }
    if (npool)
        gsl_sort(pool, 1, npool);
    fprintf(f, "# TTFT (s)  fraction of the completed requests arriving in the window [%g, %g) s, %d run(s)\n", *w0,
            *w1, nrep);
    size_t step = npool > ST_CDF_POINTS ? npool / ST_CDF_POINTS : 1;
    for (size_t j = 0; j < npool; j += step)
        fprintf(f, "%.6g %.6g\n", pool[j], (double)(j + 1) / (double)npool);
    if (npool && (npool - 1) % step)
        fprintf(f, "%.6g 1\n", pool[npool - 1]);
    fclose(f);
    free(pool);
    snprintf(path, sizeof path, "%s/throughput_%s.dat", s->dir, cf->name);
    f = fopen(path, "w");
    if (!f) {
        free(ts);
        free(tps);
        snprintf(err, errlen, "%s: cannot write", path);
        return -1;
    }
    fprintf(f, "# time (s)  output tokens/s (mean over %d run(s))\n", nrep);
    for (size_t j = 0; j < nts; j++)
        fprintf(f, "%.6g %.6g\n", ts[j], tps[j] / nrep);
    fclose(f);
    free(ts);
    free(tps);
    return 0;
}

static void plot_cmd(FILE *g, const study_t *s, const char *prefix)
{
    fprintf(g, "plot ");
    int k = 0;
    for (int c = 0; c < s->n; c++) {
        if (!s->v[c].ndone)
            continue;
        char col[8];
        colour(c, s->n, col);
        fprintf(g, "%s\\\n  '%s_%s.dat' using 1:2 with lines lw 2 lc rgb '%s' dt %d title ", k++ ? ", " : "", prefix,
                s->v[c].name, col, s->n > 10 ? 1 + c % 5 : 1);
        gp_quote(g, s->v[c].label);
    }
    fprintf(g, "\n");
}

int st_plots(const study_t *s, char *err, size_t errlen)
{
    double w0 = NAN, w1 = NAN;
    int shown = 0;
    for (int c = 0; c < s->n; c++) {
        if (!s->v[c].ndone)
            continue;
        shown++;
        if (write_config_data(s, c, &w0, &w1, err, errlen))
            return -1;
    }
    if (!shown)
        return 0;
    char gp[1300];
    snprintf(gp, sizeof gp, "%s/plots.gp", s->dir);
    char tmp[1400];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", gp, (long)getpid());
    FILE *g = fopen(tmp, "w");
    if (!g) {
        snprintf(err, errlen, "%s: cannot write", gp);
        return -1;
    }
    /* legends below the panels: two columns of entries (one when labels are long), 20 px a row */
    size_t longest = 0;
    for (int c = 0; c < s->n; c++)
        if (s->v[c].ndone && strlen(s->v[c].label) > longest)
            longest = strlen(s->v[c].label);
    int cols = longest > 40 ? 1 : 2;
    int rows = (shown + cols - 1) / cols;
    int height = 520 + 20 * rows;
    fprintf(g,
            "# Plots of study %s. PNG: gnuplot plots.gp; SVG: gnuplot -e \"fmt='svg'\" plots.gp (from this folder)\n",
            s->name);
    fprintf(g, "if (!exists(\"fmt\")) fmt = 'png'\nif (!exists(\"out\")) out = 'study.'.fmt\n");
    fprintf(g,
            "if (fmt eq 'svg') {\n  set terminal svg size 1400,%d dynamic font 'sans,12' background rgb 'white'\n"
            "} else {\n  set terminal pngcairo size 1400,%d font ',11'\n}\nset output out\n",
            height, height);
    fprintf(g, "set multiplot layout 1,2 title ");
    char title[512];
    snprintf(title, sizeof title, "%s%s", s->name,
             s->nseeds > 1 ? " (replicates pooled: TTFT over all seeds, throughput their mean)" : "");
    gp_quote(g, title);
    fprintf(g, "\nset key outside below Left reverse maxcols %d samplen 3 spacing 1.1\nset grid\n", cols);
    char wtitle[256];
    snprintf(wtitle, sizeof wtitle, "TTFT of the requests arriving in the measured window %.0f-%.0f s", w0, w1);
    fprintf(g, "set title ");
    gp_quote(g, wtitle);
    fprintf(g, "\nset xlabel 'TTFT (s)'\nset ylabel 'fraction of requests'\nset logscale x\nset yrange [0:1]\n");
    plot_cmd(g, s, "ttft_cdf");
    fprintf(g, "unset logscale x\nset autoscale y\nset yrange [0:*]\n");
    fprintf(g, "set title 'Output throughput over time (shaded: the measured window of the table)'\n");
    fprintf(g, "set xlabel 'simulated time (s)'\nset ylabel 'output tokens/s'\n");
    if (!isnan(w0) && !isnan(w1) && w1 > w0) {
        fprintf(g,
                "set object 1 rect from %.6g, graph 0 to %.6g, graph 1 behind fc rgb '#e8e8e8' fs solid 1.0 noborder\n",
                w0, w1);
        fprintf(g, "set label 1 'measured window' at %.6g, graph 0.97 center front\n", (w0 + w1) / 2);
    }
    plot_cmd(g, s, "throughput");
    fprintf(g, "unset multiplot\n");
    if (fclose(g) != 0 || rename(tmp, gp) != 0) {
        snprintf(err, errlen, "%s: cannot write", gp);
        return -1;
    }
    fflush(NULL);
    pid_t pid = kvt_fork_child();
    if (pid == 0) {
        if (chdir(s->dir) != 0)
            _exit(127);
        execlp("gnuplot", "gnuplot", "-e", "out='study.png.tmp'", "plots.gp", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || kvt_wait_child(pid, &status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "gnuplot failed on %s (is gnuplot-nox installed? scripts/setup.sh installs it)", gp);
        return -1;
    }
    char a[1300], b[1300];
    snprintf(a, sizeof a, "%s/study.png.tmp", s->dir);
    snprintf(b, sizeof b, "%s/study.png", s->dir);
    if (rename(a, b) != 0) {
        snprintf(err, errlen, "%s: cannot write", b);
        return -1;
    }
    return 0;
}
