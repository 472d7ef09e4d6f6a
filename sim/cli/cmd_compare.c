/* kvtwin compare: eviction x prestage x write policy combinations on one scenario in the timed pod.
 *
 * The combinations become the variants of a study (sim/study: one `kvtwin run` process per combination, up to
 * --jobs at once, rerunning only what is not complete in the folder), the eviction policy set on every tier.
 * The baseline (LRU, no prestage, the first write policy) and the oracle combination (Belady eviction with
 * oracle prestage: the bound) are added when the lists lack them (--no-oracle leaves the bound out, for
 * workloads without a future). Beside the study's own outputs the folder gets
 *   compare.txt / compare.csv  one row per combination, the oracle first: TPS, TTFT p50/p99, stalled GPU
 *                              fraction, hit by tier, bytes loaded per source tier, prestaged, written to
 *                              flash (G3 and G3.5 together, and each), tokens/J;
 *   compare.gp / compare.png   TTFT CDFs, output throughput over time and hit by tier as stacked bars, the
 *                              oracle drawn on top in black;
 *   compare-summary.txt        which combination wins (the lowest TTFT p50 - then mean, then stall - among those
 *                              within 1 % of the best output tokens/s; combinations using the future, Belady
 *                              or oracle prestage, are bounds, not contenders), its gain over LRU with no
 *                              prestage, and its gap to the oracle.
 * The summary is printed too. Exit codes as kvtwin study's. */
#define _XOPEN_SOURCE 700 /* realpath, mkdtemp */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sim/base/alloc.h"
#include "sim/cli/cli.h"
#include "sim/config/scenario.h"
#include "sim/kv/policy.h"
#include "sim/kv/prefetch.h"
#include "sim/kv/tier.h"
#include "sim/kv/write.h"
#include "sim/out/sigclean.h"
#include "sim/study/study.h"
#include "workloads/source.h"

#define CMP_MAX 64 /* names per list */

typedef struct cmp_combo {
    const char *evict, *prestage, *write;
    char name[64];
    bool oracle, baseline;
    bool offline;   /* uses the future (Belady, oracle prestage): a bound, never the winner */
    cJSON *summary; /* of its run, NULL if it did not complete */
} cmp_combo_t;

/* Splits a comma list into names checked against an axis; 0, or a usage error (exit 2) naming the valid ones. */
static int split_list(char *text, const char *opt, const plugin_axis_t *axis, const char **out, int *n)
{
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n >= CMP_MAX)
            return cli_usage_error("compare", "%s lists more than %d names", opt, CMP_MAX);
        const plugin_t *p = plugin_find_alias(axis, tok);
        if (!p) {
            char names[1024];
            plugin_names(axis, names, sizeof names);
            return cli_usage_error("compare", "%s: unknown %s policy \"%s\"; expected one of: %s", opt, axis->name, tok,
                                   names);
        }
        out[(*n)++] = p->name; /* canonical spelling (aliases resolve) */
    }
    if (*n == 0)
        return cli_usage_error("compare", "%s needs at least one name", opt);
    return 0;
}

/* Whether the workload gives the future a needs_future prestage policy reads (as the run checks it at setup:
 * sessions, and next turns the source knows). 1 yes, 0 no (why in msg), -1 the workload cannot be read. */
static int workload_has_future(const scenario_t *sc, char *msg, size_t len)
{
    wl_source_t *src = NULL;
    if (wl_source_open(&src, &sc->workload, msg, len))
        return -1;
    wl_request_t req;
    memset(&req, 0, sizeof req);
    int rc = wl_source_next(src, &req, msg, len);
    int ok = rc == 1 && req.session_id != WL_NO_SESSION && wl_source_knows_next(src);
    if (rc == 1 && !ok)
        snprintf(msg, len, "%s",
                 req.session_id == WL_NO_SESSION ? "has requests without sessions" : "does not know its next turns");
    wl_request_free(&req);
    wl_source_close(src);
    return rc < 0 ? -1 : ok;
}

static void combo_name(cmp_combo_t *c)
{
    snprintf(c->name, sizeof c->name, "%s+%s+%s", c->evict, c->prestage, c->write);
    for (char *p = c->name; *p; p++)
        if (*p == '_')
            *p = '-'; /* study names: letters, digits and ._+- */
}

static bool has_combo(const cmp_combo_t *v, int n, const char *e, const char *p, const char *w)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].evict, e) && !strcmp(v[i].prestage, p) && !strcmp(v[i].write, w))
            return true;
    return false;
}

/* The study file of the combinations (scenario by absolute path, so it may live anywhere). */
/* --params POLICY=JSON: a policy's parameters in every combination that uses it. */
typedef struct cmp_param {
    char *policy;
    cJSON *json;
} cmp_param_t;

static const cJSON *params_of(const cmp_param_t *pp, int npp, const char *policy)
{
    for (int i = 0; i < npp; i++)
        if (!strcmp(pp[i].policy, policy))
            return pp[i].json;
    return NULL;
}

/* The policy's parameters as a variant sets them: those given, or {} (its defaults, whatever the scenario gave
 * the policy it names). */
static cJSON *params_json(const cmp_param_t *pp, int npp, const char *policy)
{
    const cJSON *j = params_of(pp, npp, policy);
    return j ? cJSON_Duplicate(j, true) : cJSON_CreateObject();
}

static cJSON *study_doc(const char *scenario_abs, const cmp_combo_t *v, int n, const char *name,
                        const bool en[KV_NTIERS], const cmp_param_t *pp, int npp)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "name", name);
    cJSON_AddStringToObject(root, "description", "kvtwin compare: eviction x prestage x write combinations");
    cJSON_AddStringToObject(root, "scenario", scenario_abs);
    for (int i = 0; i < n; i++)
        if (v[i].baseline)
            cJSON_AddStringToObject(root, "baseline", v[i].name);
    cJSON *vars = cJSON_AddArrayToObject(root, "variants");
    for (int i = 0; i < n; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", v[i].name);
        char label[160];
        snprintf(label, sizeof label, "%s eviction, %s prestage, %s%s", v[i].evict, v[i].prestage, v[i].write,
                 v[i].oracle ? " (oracle bound)" : "");
        cJSON_AddStringToObject(x, "label", label);
        cJSON *set = cJSON_AddObjectToObject(x, "set");
        for (int t = 0; t < KV_NTIERS; t++) {
            if (!en[t])
                continue; /* the scenario refuses settings of tiers it does not have */
            char key[64];
            snprintf(key, sizeof key, "kv.%s.policy", kv_tiers[t].key);
            cJSON_AddStringToObject(set, key, v[i].evict);
            snprintf(key, sizeof key, "kv.%s.params", kv_tiers[t].key);
            cJSON_AddItemToObject(set, key, params_json(pp, npp, v[i].evict));
        }
        cJSON_AddStringToObject(set, "kv.prefetch", v[i].prestage);
        cJSON_AddItemToObject(set, "kv.prefetch_params", params_json(pp, npp, v[i].prestage));
        cJSON_AddStringToObject(set, "kv.write_policy", v[i].write);
        cJSON_AddItemToArray(vars, x);
    }
    return root;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static cJSON *read_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = kvt_malloc((size_t)(n > 0 ? n : 0) + 1);
    size_t got = fread(buf, 1, (size_t)(n > 0 ? n : 0), f);
    buf[got] = 0;
    fclose(f);
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    return j;
}

/* A number of the summary at a dotted path, NAN if absent or null. */
static double sv(const cJSON *s, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *x = s;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && x; k = strtok_r(NULL, ".", &save))
        x = cJSON_GetObjectItemCaseSensitive(x, k);
    return x && cJSON_IsNumber(x) ? x->valuedouble : (double)NAN;
}

/* Reads each combination's summary through the study's index (study.json: variants -> runs). */
static void load_summaries(const char *dir, cmp_combo_t *v, int n)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/study.json", dir);
    cJSON *st = read_json(p);
    const cJSON *vars = st ? cJSON_GetObjectItemCaseSensitive(st, "variants") : NULL;
    for (const cJSON *x = vars ? vars->child : NULL; x; x = x->next) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(x, "name");
        const cJSON *runs = cJSON_GetObjectItemCaseSensitive(x, "runs");
        const cJSON *r0 = runs ? cJSON_GetArrayItem(runs, 0) : NULL;
        const cJSON *rn = r0 ? cJSON_GetObjectItemCaseSensitive(r0, "name") : NULL;
        if (!cJSON_IsString(nm) || !cJSON_IsString(rn))
            continue;
        for (int i = 0; i < n; i++)
            if (!strcmp(v[i].name, nm->valuestring)) {
                snprintf(p, sizeof p, "%s/%s/summary.json", dir, rn->valuestring);
                v[i].summary = read_json(p);
            }
    }
    cJSON_Delete(st);
}

static const char *const tier_keys[KV_NTIERS] = {"G1", "G2", "G3", "G3.5", "G4"};

/* The dotted path cannot name "G3.5" (a dot inside a key): read the tier maps directly. */
static double tier_val(const cJSON *s, const char *a, const char *b, int t)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(s, a);
    x = x ? cJSON_GetObjectItemCaseSensitive(x, b) : NULL;
    x = x ? cJSON_GetObjectItemCaseSensitive(x, tier_keys[t]) : NULL;
    return x && cJSON_IsNumber(x) ? x->valuedouble : (double)NAN;
}

/* Bytes written into flash: local NVMe (G3) and ICMS (G3.5). */
static double flash_written(const cJSON *s)
{
    return tier_val(s, "transfers", "written_bytes_by_dest_tier", KV_G3) +
           tier_val(s, "transfers", "written_bytes_by_dest_tier", KV_G35);
}

static void write_table(FILE *f, const cmp_combo_t *v, const int *order, int n, bool csv)
{
    if (csv) {
        fprintf(f, "combination,eviction,prestage,write,output_tokens_per_s,ttft_p50_s,ttft_p99_s,stalled_fraction");
        for (int t = 0; t < KV_NTIERS; t++)
            fprintf(f, ",hit_%s", tier_keys[t]);
        for (int t = 0; t < KV_NTIERS; t++)
            fprintf(f, ",load_bytes_%s", tier_keys[t]);
        for (int t = 0; t < KV_NTIERS; t++)
            fprintf(f, ",written_bytes_%s", tier_keys[t]);
        fprintf(f, ",prefetch_bytes,flash_written_bytes,tokens_per_joule\n");
    } else {
        fprintf(f, "%-34s %9s %9s %9s %7s  %-31s %-20s %9s %9s %9s\n", "combination", "tokens/s", "TTFT p50",
                "TTFT p99", "stalled", "hit G1/G2/G3/G3.5/G4", "loaded G2/G3/G3.5/G4 (GB)", "staged GB", "flash GB",
                "tokens/J");
    }
    for (int k = 0; k < n; k++) {
        const cmp_combo_t *c = &v[order[k]];
        const cJSON *s = c->summary;
        if (!s) {
            fprintf(f, csv ? "%s,%s,%s,%s,not run\n" : "%-34s (did not complete)\n", c->name, c->evict, c->prestage,
                    c->write);
            continue;
        }
        double tps = sv(s, "throughput.output_tokens_per_s"), p50 = sv(s, "latency_s.ttft.p50");
        double p99 = sv(s, "latency_s.ttft.p99"), stall = sv(s, "gpu_time_fraction.stall");
        double pre = sv(s, "transfers.prefetch_bytes"), tpj = sv(s, "tokens_per_joule");
        if (csv) {
            fprintf(f, "%s,%s,%s,%s,%.6g,%.6g,%.6g,%.6g", c->name, c->evict, c->prestage, c->write, tps, p50, p99,
                    stall);
            for (int t = 0; t < KV_NTIERS; t++)
                fprintf(f, ",%.6g", tier_val(s, "hit_rate", "by_tier_token_weighted", t));
            for (int t = 0; t < KV_NTIERS; t++)
                fprintf(f, ",%.6g", tier_val(s, "transfers", "load_bytes_by_source_tier", t));
            for (int t = 0; t < KV_NTIERS; t++)
                fprintf(f, ",%.6g", tier_val(s, "transfers", "written_bytes_by_dest_tier", t));
            fprintf(f, ",%.6g,%.6g,%.6g\n", pre,
                    tier_val(s, "transfers", "written_bytes_by_dest_tier", KV_G3) +
                        tier_val(s, "transfers", "written_bytes_by_dest_tier", KV_G35),
                    tpj);
            continue;
        }
        char hit[64], load[64];
        snprintf(
            hit, sizeof hit, "%.3f/%.3f/%.3f/%.3f/%.3f", tier_val(s, "hit_rate", "by_tier_token_weighted", 0),
            tier_val(s, "hit_rate", "by_tier_token_weighted", 1), tier_val(s, "hit_rate", "by_tier_token_weighted", 2),
            tier_val(s, "hit_rate", "by_tier_token_weighted", 3), tier_val(s, "hit_rate", "by_tier_token_weighted", 4));
        snprintf(load, sizeof load, "%.1f/%.1f/%.1f/%.1f",
                 tier_val(s, "transfers", "load_bytes_by_source_tier", 1) / 1e9,
                 tier_val(s, "transfers", "load_bytes_by_source_tier", 2) / 1e9,
                 tier_val(s, "transfers", "load_bytes_by_source_tier", 3) / 1e9,
                 tier_val(s, "transfers", "load_bytes_by_source_tier", 4) / 1e9);
        double flash = tier_val(s, "transfers", "written_bytes_by_dest_tier", KV_G3) +
                       tier_val(s, "transfers", "written_bytes_by_dest_tier", KV_G35);
        fprintf(f, "%-34s %9.1f %9.3f %9.3f %7.4f  %-31s %-20s %9.1f %9.1f %9.4f\n", c->name, tps, p50, p99, stall, hit,
                load, pre / 1e9, flash / 1e9, tpj);
    }
}

/* Plots: TTFT CDFs and throughput from the study's data files, hit by tier as stacked bars; the oracle is
 * plotted last (on top of the others) in black. */
static int write_plots(const char *dir, const cmp_combo_t *v, const int *order, int n, char *err, size_t errlen)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/hit_by_tier.dat", dir);
    FILE *d = fopen(p, "w");
    if (!d) {
        snprintf(err, errlen, "%s: cannot write", p);
        return -1;
    }
    fprintf(d, "# combination  token-weighted hit from G1 G2 G3 G3.5 G4 (the oracle first)\n");
    for (int k = 0; k < n; k++) {
        const cmp_combo_t *c = &v[order[k]];
        if (!c->summary)
            continue;
        fprintf(d, "\"%s\"", c->name);
        for (int t = 0; t < KV_NTIERS; t++) {
            double h = tier_val(c->summary, "hit_rate", "by_tier_token_weighted", t);
            fprintf(d, " %.6g", isfinite(h) ? h : 0);
        }
        fprintf(d, "\n");
    }
    fclose(d);
    snprintf(p, sizeof p, "%s/compare.gp", dir);
    FILE *g = fopen(p, "w");
    if (!g) {
        snprintf(err, errlen, "%s: cannot write", p);
        return -1;
    }
    fprintf(g, "# kvtwin compare plots. PNG: gnuplot compare.gp (from this folder)\n");
    fprintf(g, "if (!exists(\"out\")) out = 'compare.png'\n");
    fprintf(g, "set terminal pngcairo size 1800,%d font ',10'\nset output out\n", 560 + 18 * n);
    fprintf(g, "set multiplot layout 1,3\nset key outside below Left reverse maxcols 1 samplen 3\nset grid\n");
    /* line plots: the contenders first, the oracle last so that it is drawn on top */
    for (int panel = 0; panel < 2; panel++) {
        if (panel == 0)
            fprintf(g, "set title 'TTFT CDF'\nset xlabel 'TTFT (s)'\nset ylabel 'fraction of requests'\n"
                       "set logscale x\nset yrange [0:1]\n");
        else
            fprintf(g, "unset logscale x\nset yrange [0:*]\nset title 'Output throughput over time'\n"
                       "set xlabel 'simulated time (s)'\nset ylabel 'output tokens/s'\n");
        fprintf(g, "plot ");
        int shown = 0;
        for (int pass = 0; pass < 2; pass++)
            for (int k = n - 1; k >= 0; k--) {
                const cmp_combo_t *c = &v[order[k]];
                if (!c->summary || c->oracle != (pass == 1))
                    continue;
                fprintf(g, "%s\\\n  '%s_%s.dat' using 1:2 with lines lw %d %s title '%s'", shown++ ? ", " : "",
                        panel == 0 ? "ttft_cdf" : "throughput", c->name, c->oracle ? 3 : 2,
                        c->oracle ? "lc rgb 'black'" : "", c->name);
            }
        fprintf(g, "\n");
    }
    fprintf(g, "unset logscale x\nset title 'Hit by tier (token-weighted), the oracle first'\nset ylabel 'hit rate'\n"
               "set xlabel ''\nset yrange [0:1]\nset style data histograms\nset style histogram rowstacked\n"
               "set style fill solid 0.8 border -1\nset boxwidth 0.7\nset xtics rotate by -45\n"
               "plot 'hit_by_tier.dat' using 2:xtic(1) title 'G1', '' using 3 title 'G2', '' using 4 title 'G3', "
               "'' using 5 title 'G3.5', '' using 6 title 'G4'\n");
    fprintf(g, "unset multiplot\n");
    fclose(g);
    fflush(NULL);
    pid_t pid = kvt_fork_child();
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(127);
        execlp("gnuplot", "gnuplot", "compare.gp", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || kvt_wait_child(pid, &status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "gnuplot failed on %s/compare.gp (is gnuplot-nox installed?)", dir);
        return -1;
    }
    return 0;
}

/* Lower TTFT p50, then (ties: tiny KV waits hide below the median's precision) lower mean TTFT, then less
 * stall. */
static bool better(const cJSON *a, const cJSON *b)
{
    static const char *const keys[] = {"latency_s.ttft.p50", "latency_s.ttft.mean", "gpu_time_fraction.stall"};
    for (int k = 0; k < 3; k++) {
        double x = sv(a, keys[k]), y = sv(b, keys[k]);
        if (fabs(x - y) > 1e-12 * fmax(fabs(x), fabs(y)))
            return x < y;
    }
    return false;
}

static void write_summary(FILE *f, const cmp_combo_t *v, int n)
{
    const cmp_combo_t *base = NULL, *best = NULL, *orc = NULL;
    double top = 0;
    for (int i = 0; i < n; i++) {
        if (!v[i].summary)
            continue;
        if (v[i].baseline)
            base = &v[i];
        if (v[i].oracle)
            orc = &v[i];
        else if (!v[i].offline && sv(v[i].summary, "throughput.output_tokens_per_s") > top)
            top = sv(v[i].summary, "throughput.output_tokens_per_s");
    }
    /* Winner: the lowest TTFT p50 among the contenders within 1 % of the best throughput (a closed loop, or an
     * open loop below saturation, serves the same tokens whatever the policy: latency tells them apart). */
    for (int i = 0; i < n; i++) {
        if (!v[i].summary || v[i].offline || sv(v[i].summary, "throughput.output_tokens_per_s") < 0.99 * top)
            continue;
        if (!best || better(v[i].summary, best->summary))
            best = &v[i];
    }
    if (!best) {
        fprintf(f, "no combination completed\n");
        return;
    }
    double tb = sv(best->summary, "throughput.output_tokens_per_s");
    double pb = sv(best->summary, "latency_s.ttft.p99"), fb = flash_written(best->summary);
    double qb = sv(best->summary, "latency_s.ttft.p50");
    fprintf(f, "winner: %s (%.1f output tokens/s, TTFT p50 %.3f s, p99 %.3f s, stalled %.4f)\n", best->name, tb, qb, pb,
            sv(best->summary, "gpu_time_fraction.stall"));
    if (base && base != best) {
        double t0 = sv(base->summary, "throughput.output_tokens_per_s"), p0 = sv(base->summary, "latency_s.ttft.p99");
        double q0 = sv(base->summary, "latency_s.ttft.p50");
        fprintf(f, "  over %s: throughput %+.1f %%, TTFT p50 %+.1f %%, p99 %+.1f %%, flash bytes written %+.1f %%\n",
                base->name, 100 * (tb / t0 - 1), 100 * (qb / q0 - 1), 100 * (pb / p0 - 1),
                flash_written(base->summary) > 0 ? 100 * (fb / flash_written(base->summary) - 1) : 0);
    } else if (base) {
        fprintf(f, "  the baseline (%s) itself: no combination beats LRU without prestage\n", base->name);
    }
    if (orc) {
        double to = sv(orc->summary, "throughput.output_tokens_per_s"), po = sv(orc->summary, "latency_s.ttft.p99");
        fprintf(f,
                "  oracle bound %s: %.1f tokens/s, TTFT p50 %.3f s, p99 %.3f s; the winner reaches %.1f %% of its "
                "throughput\n",
                orc->name, to, sv(orc->summary, "latency_s.ttft.p50"), po, 100 * tb / to);
    }
}

static int cmp_main(int argc, char **argv)
{
    const char **sets = kvt_calloc((size_t)argc + 1, sizeof *sets);
    const char *ev[CMP_MAX], *pf[CMP_MAX], *wr[CMP_MAX];
    int nev = 0, npf = 0, nwr = 0, nsets = 0, jobs = 0;
    char *evl = NULL, *pfl = NULL, *wrl = NULL;
    const char *scenario = NULL, *out = NULL;
    long long seed = -1;
    bool quiet = false, oracle = true, fresh = false;
    int rc = KVT_EXIT_INPUT;
    cmp_combo_t *v = NULL;
    int n = 0;
    cmp_param_t pp[CMP_MAX];
    int npp = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool takes = !strcmp(a, "--params") || !strcmp(a, "--evict") || !strcmp(a, "--prestage") ||
                     !strcmp(a, "--write") || !strcmp(a, "--set") || !strcmp(a, "--out") || !strcmp(a, "--jobs") ||
                     !strcmp(a, "--seed");
        if (takes && i + 1 >= argc) {
            rc = cli_usage_error("compare", "%s needs a value", a);
            goto done;
        }
        unsigned long long u;
        if (!strcmp(a, "--params")) {
            const char *eq = strchr(argv[++i], '=');
            cJSON *j = eq ? cJSON_Parse(eq + 1) : NULL;
            if (!eq || eq == argv[i] || !cJSON_IsObject(j) || npp >= CMP_MAX) {
                cJSON_Delete(j);
                rc = cli_usage_error("compare", "--params expects POLICY={\"key\": value, ...}, got \"%s\"", argv[i]);
                goto done;
            }
            char *name = kvt_strdup(argv[i]);
            name[eq - argv[i]] = 0;
            if (!plugin_find(&kv_policy_axis, name) && !plugin_find(&kv_prefetch_axis, name)) {
                rc = cli_usage_error("compare", "--params: \"%s\" is no eviction or prestage policy", name);
                free(name);
                cJSON_Delete(j);
                goto done;
            }
            pp[npp++] = (cmp_param_t){name, j};
        } else if (!strcmp(a, "--evict")) {
            free(evl);
            evl = kvt_strdup(argv[++i]);
        } else if (!strcmp(a, "--prestage")) {
            free(pfl);
            pfl = kvt_strdup(argv[++i]);
        } else if (!strcmp(a, "--write")) {
            free(wrl);
            wrl = kvt_strdup(argv[++i]);
        } else if (!strcmp(a, "--set")) {
            sets[nsets++] = argv[++i];
        } else if (!strcmp(a, "--out")) {
            out = argv[++i];
        } else if (!strcmp(a, "--jobs")) {
            if (cli_parse_u64(argv[++i], &u) || u < 1 || u > 256) {
                rc = cli_usage_error("compare", "--jobs expects an integer from 1 to 256, got \"%s\"", argv[i]);
                goto done;
            }
            jobs = (int)u;
        } else if (!strcmp(a, "--seed")) {
            if (cli_parse_u64(argv[++i], &u) || u > (1ull << 53)) {
                rc = cli_usage_error("compare", "--seed expects a non-negative integer, got \"%s\"", argv[i]);
                goto done;
            }
            seed = (long long)u;
        } else if (!strcmp(a, "--no-oracle")) {
            oracle = false;
        } else if (!strcmp(a, "--fresh")) {
            fresh = true;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = true;
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error("compare", "unknown option \"%s\"", a);
            goto done;
        } else if (!scenario) {
            scenario = a;
        } else {
            rc = cli_usage_error("compare", "one scenario at a time");
            goto done;
        }
    }
    if (!scenario) {
        rc = cli_usage_error("compare", "missing SCENARIO.json");
        goto done;
    }
    if (!evl)
        evl = kvt_strdup("lru");
    if (!pfl)
        pfl = kvt_strdup("none");
    if (!wrl) { /* the scenario's own write policy */
        scenario_t sc0;
        char lerr[1024];
        if (scenario_load(&sc0, scenario, sets, nsets, seed, lerr, sizeof lerr)) {
            rc = cli_input_error("%s", lerr);
            goto done;
        }
        wrl = kvt_strdup(sc0.kv.write_policy);
        scenario_free(&sc0);
    }
    if (split_list(evl, "--evict", &kv_policy_axis, ev, &nev) ||
        split_list(pfl, "--prestage", &kv_prefetch_axis, pf, &npf) ||
        split_list(wrl, "--write", &kv_write_axis, wr, &nwr))
        goto done;
    v = kvt_calloc((size_t)(nev * npf * nwr + 2), sizeof *v);
    if (oracle) { /* the bound first: the table's top row */
        v[n] = (cmp_combo_t){.evict = "belady", .prestage = "oracle", .write = wr[0], .oracle = true};
        combo_name(&v[n++]);
    }
    if (!has_combo(v, n, "lru", "none", wr[0])) {
        v[n] = (cmp_combo_t){.evict = "lru", .prestage = "none", .write = wr[0]};
        combo_name(&v[n++]);
    }
    for (int e = 0; e < nev; e++)
        for (int p = 0; p < npf; p++)
            for (int w = 0; w < nwr; w++)
                if (!has_combo(v, n, ev[e], pf[p], wr[w])) {
                    v[n] = (cmp_combo_t){.evict = ev[e], .prestage = pf[p], .write = wr[w]};
                    combo_name(&v[n++]);
                }
    for (int i = 0; i < n; i++)
        v[i].offline = kv_policy_find(v[i].evict)->needs_next_use || kv_prefetch_find(v[i].prestage)->needs_future;
    for (int i = 0; i < n; i++)
        v[i].baseline = !strcmp(v[i].evict, "lru") && !strcmp(v[i].prestage, "none") && !strcmp(v[i].write, wr[0]);
    {
        char abs[PATH_MAX];
        if (!realpath(scenario, abs)) {
            rc = cli_input_error("%s: cannot read", scenario);
            goto done;
        }
        const char *base = strrchr(abs, '/');
        base = base ? base + 1 : abs;
        char name[64];
        snprintf(name, sizeof name, "compare-%.*s", (int)strcspn(base, "."), base);
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", out ? out : "");
        if (!out)
            snprintf(dir, sizeof dir, "results/%s", name);
        /* The study file lives in a private temporary folder: the results folder belongs to the study runner. */
        const char *td = getenv("TMPDIR");
        char tmpd[PATH_MAX];
        snprintf(tmpd, sizeof tmpd, "%s/kvtwin-compare-XXXXXX", td && td[0] ? td : "/tmp");
        if (!mkdtemp(tmpd)) {
            rc = cli_input_error("cannot create a temporary folder for the study file");
            goto done;
        }
        char spath[PATH_MAX];
        snprintf(spath, sizeof spath, "%s/compare.json", tmpd);
        scenario_t sc;
        char lerr[1024];
        if (scenario_load(&sc, abs, sets, nsets, seed, lerr, sizeof lerr)) {
            unlink(spath);
            rmdir(tmpd);
            rc = cli_input_error("%s", lerr);
            goto done;
        }
        bool en[KV_NTIERS];
        for (int t = 0; t < KV_NTIERS; t++)
            en[t] = sc.kv.tier[t].enabled;
        bool future = false;
        for (int i = 0; i < n; i++)
            future |= kv_prefetch_find(v[i].prestage)->needs_future;
        char why[512] = "";
        int has = future ? workload_has_future(&sc, why, sizeof why) : 1;
        scenario_free(&sc);
        if (has != 1) {
            unlink(spath);
            rmdir(tmpd);
            rc = has < 0
                     ? cli_input_error("%s", why)
                     : cli_input_error("%s: oracle prestage needs the next turn of each session, and this workload's "
                                       "%s; drop oracle from --prestage and pass --no-oracle",
                                       scenario, why);
            goto done;
        }
        cJSON *doc = study_doc(abs, v, n, name, en, pp, npp);
        char *text = cJSON_Print(doc);
        cJSON_Delete(doc);
        int wrc = write_text(spath, text);
        char self[1024];
        if (wrc || cli_self_exe(self, sizeof self)) {
            free(text);
            unlink(spath);
            rmdir(tmpd);
            rc = cli_input_error("cannot prepare the comparison's study");
            goto done;
        }
        study_opts_t o = {.out_dir = dir,
                          .sets = sets,
                          .nsets = nsets,
                          .seed = seed,
                          .quiet = true,
                          .jobs = jobs,
                          .self_exe = self,
                          .fresh = fresh};
        char err[1024] = "";
        rc = study_run(spath, &o, err, sizeof err);
        unlink(spath);
        rmdir(tmpd);
        if (rc != 0) {
            free(text);
            fprintf(stderr, "kvtwin: %s\n", err);
            goto done;
        }
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/compare-study.json", dir);
        write_text(p, text); /* what was run, for the record */
        free(text);
        load_summaries(dir, v, n);
        int *order = kvt_calloc((size_t)n, sizeof *order);
        for (int i = 0; i < n; i++)
            order[i] = i; /* the oracle first, then the baseline, then the lists' order */
        const char *names[2] = {"compare.txt", "compare.csv"};
        for (int k = 0; k < 2; k++) {
            snprintf(p, sizeof p, "%s/%s", dir, names[k]);
            FILE *f = fopen(p, "w");
            if (!f) {
                rc = cli_input_error("%s: cannot write", p);
                free(order);
                goto done;
            }
            write_table(f, v, order, n, k == 1);
            fclose(f);
        }
        snprintf(p, sizeof p, "%s/compare-summary.txt", dir);
        FILE *f = fopen(p, "w");
        if (f) {
            write_summary(f, v, n);
            fclose(f);
        }
        if (write_plots(dir, v, order, n, err, sizeof err))
            fprintf(stderr, "kvtwin: warning: %s (the tables are written)\n", err);
        if (!quiet) {
            write_table(stdout, v, order, n, false);
            printf("\n");
            write_summary(stdout, v, n);
            printf("\nresults: %s/ (compare.txt, compare.csv, compare-summary.txt, compare.png, the study's "
                   "outputs, one folder per combination)\n",
                   dir);
        }
        free(order);
    }
done:
    for (int i = 0; i < npp; i++) {
        free(pp[i].policy);
        cJSON_Delete(pp[i].json);
    }
    for (int i = 0; i < n; i++)
        cJSON_Delete(v[i].summary);
    free(v);
    free(evl);
    free(pfl);
    free(wrl);
    free(sets);
    return rc;
}

const kvt_cmd_t kvt_cmd_compare = {
    .name = "compare",
    .summary = "eviction x prestage x write policy combinations on one scenario, against the oracle",
    .usage =
        "usage: kvtwin compare SCENARIO.json [--evict P,...] [--prestage P,...] [--write W,...] [--params P=JSON]...\n"
        "                      [--set PATH=VALUE]... [--jobs N] [--seed S] [--out DIR] [--no-oracle] [--fresh] "
        "[--quiet]\n"
        "\n"
        "Runs every combination of the listed eviction policies (set on every tier), prestage (prefetch) policies\n"
        "and write policies on the scenario in the timed pod, as the variants of a study (one kvtwin run each, up\n"
        "to --jobs at once; rerunning skips what is complete). LRU with no prestage (the first write policy) is\n"
        "the baseline and Belady with oracle prestage the bound; both are added when the lists lack them\n"
        "(--no-oracle leaves the bound out: oracle prestage needs a workload with sessions).\n"
        "\n"
        "  --evict P,...     eviction policies (kvtwin policies; default lru)\n"
        "  --prestage P,...  prefetch policies: none, queued, next-turn, ttl-pin, subagent, oracle (default none)\n"
        "  --write W,...     write policies: write-back, write-through, selective (default: the scenario's)\n"
        "  --params P=JSON   parameters of eviction or prestage policy P wherever a combination uses it (every\n"
        "                    policy runs with its defaults otherwise), e.g. --params 'next-turn={\"tier\": \"g2\"}'\n"
        "  --set PATH=VALUE  scenario override applied to every combination (as kvtwin run --set)\n"
        "  --jobs N          combinations run at once (default: the number of cores)\n"
        "  --seed S          the scenarios' seed\n"
        "  --out DIR         results folder (default results/compare-SCENARIO)\n"
        "  --fresh           redo every run\n"
        "\n"
        "Writes compare.txt and compare.csv (per combination, the oracle first: output tokens/s, TTFT p50/p99,\n"
        "stalled GPU fraction, hit by tier, bytes loaded per source tier, prestaged bytes, bytes written to flash\n"
        "(G3 + G3.5), tokens/J), compare.png (TTFT CDFs, throughput over time, hit by tier as stacked bars) and\n"
        "compare-summary.txt: the winner (lowest TTFT p50 within 1 percent of the best output tokens/s; those using\n"
        "the future, Belady or oracle prestage, are bounds, not contenders), its gain over LRU with no prestage\n"
        "and its gap to the oracle.\n",
    .main = cmp_main,
};
