/* kvtwin run: one timed simulation of a scenario, or --replicates N of them with consecutive seeds (one
 * process each: SimGrid runs one simulation per process) and the mean and 95 % t-interval of every figure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/base/ci.h"
#include "sim/cli/cli.h"
#include "sim/config/scenario.h"
#include "sim/core/run.h"
#include "sim/out/metric_table.h"
#include "sim/out/outdir.h"

/* Runs replicate `seed` into dir in a child process; its exit code. */
static int run_child(const char *scenario, const char **sets, int nsets, unsigned long long seed, const char *dir,
                     int sg_argc, char **sg_argv)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return KVT_EXIT_FAIL;
    if (pid == 0) {
        scenario_t *sc = calloc(1, sizeof *sc);
        char err[2048];
        int rc = scenario_load(sc, scenario, sets, nsets, (long long)seed, err, sizeof err);
        if (rc == 0) {
            run_opts_t opts = {.out_dir = dir, .quiet = true, .sg_argc = sg_argc, .sg_argv = sg_argv};
            rc = run_scenario(sc, &opts, err, sizeof err);
        } else {
            rc = KVT_EXIT_INPUT;
        }
        if (rc)
            fprintf(stderr, "kvtwin: seed %llu: %s\n", seed, err);
        fflush(NULL);
        _exit(rc);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return KVT_EXIT_FAIL;
    return WEXITSTATUS(status);
}

static cJSON *read_summary(const char *dir)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    return j;
}

/* replicates.json and the table: mean and 95 % interval of every figure of the metric table over the runs. */
static int replicate_report(const outdir_t *od, cJSON **sums, const unsigned long long *seeds, int n, bool quiet,
                            char *err, size_t errlen)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "replicates", n);
    cJSON *sj = cJSON_AddArrayToObject(root, "seeds");
    for (int k = 0; k < n; k++)
        cJSON_AddItemToArray(sj, cJSON_CreateNumber((double)seeds[k]));
    cJSON_AddNumberToObject(root, "confidence_level", 0.95);
    cJSON *mj = cJSON_AddObjectToObject(root, "metrics");
    double *x = calloc((size_t)n, sizeof *x);
    for (size_t r = 0; r < mt_nrows; r++) {
        const mt_row_t *row = &mt_rows[r];
        for (size_t i = 0; i < mt_items(row); i++) {
            double div = row->div > 0 ? row->div : 1;
            for (int k = 0; k < n; k++)
                x[k] = mt_item_shown(sums[k], row, i) * div;
            kvt_ci_t c = kvt_ci_t_interval(x, (size_t)n, 0.95);
            char path[256];
            mt_item_path(row, i, path, sizeof path);
            cJSON *o = cJSON_AddObjectToObject(mj, path);
            cJSON_AddItemToObject(o, "mean", isfinite(c.mean) ? cJSON_CreateNumber(c.mean) : cJSON_CreateNull());
            cJSON_AddItemToObject(o, "ci95_half_width",
                                  isfinite(c.half) ? cJSON_CreateNumber(c.half) : cJSON_CreateNull());
            cJSON_AddNumberToObject(o, "sd", c.sd);
            cJSON_AddNumberToObject(o, "n", (double)c.n);
        }
    }
    char file[1200];
    outdir_file(od, "replicates.json", file, sizeof file);
    char *text = cJSON_Print(root);
    FILE *f = fopen(file, "w");
    int rc = 0;
    if (!f || fputs(text, f) < 0 || fputc('\n', f) < 0) {
        snprintf(err, errlen, "%s: cannot write", file);
        rc = KVT_EXIT_FAIL;
    }
    if (f)
        fclose(f);
    free(text);
    if (rc == 0 && !quiet) {
        printf("%d replicates (seeds %llu-%llu): mean and 95 %% interval\n", n, seeds[0], seeds[n - 1]);
        mt_study_item_t items[128];
        size_t ni = mt_study_items(items, 128);
        for (size_t q = 0; q < ni; q++) {
            for (int k = 0; k < n; k++)
                x[k] = mt_item_shown(sums[k], items[q].row, items[q].item);
            kvt_ci_t c = kvt_ci_t_interval(x, (size_t)n, 0.95);
            char label[128];
            mt_item_label(items[q].row, items[q].item, label, sizeof label);
            int d = items[q].row->study.decimals;
            printf("  %-34s %14.*f +- %.*f\n", label, d, c.mean, d + 1, isfinite(c.half) ? c.half : 0.0);
        }
    }
    free(x);
    cJSON_Delete(root);
    return rc;
}

/* --replicates N: runs seeds base .. base + N - 1 into OUT/seed-S and summarises them in OUT/replicates.json;
 * OUT appears whole or not at all. */
static int run_replicates(const char *scenario, const char **sets, int nsets, long long seed_opt, const char *out,
                          int n, bool quiet, int sg_argc, char **sg_argv)
{
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    if (scenario_load(sc, scenario, sets, nsets, seed_opt, err, sizeof err)) {
        fprintf(stderr, "kvtwin: %s\n", err);
        scenario_free(sc);
        free(sc);
        return KVT_EXIT_INPUT;
    }
    unsigned long long base = sc->seed;
    char final[1024];
    if (out && out[0])
        snprintf(final, sizeof final, "%s", out);
    else
        snprintf(final, sizeof final, "results/%s", sc->name);
    scenario_free(sc);
    free(sc);
    outdir_t od;
    if (outdir_begin(&od, final, err, sizeof err)) {
        fprintf(stderr, "kvtwin: %s\n", err);
        return KVT_EXIT_INPUT;
    }
    cJSON **sums = calloc((size_t)n, sizeof *sums);
    unsigned long long *seeds = calloc((size_t)n, sizeof *seeds);
    int rc = 0;
    for (int k = 0; k < n && rc == 0; k++) {
        seeds[k] = base + (unsigned long long)k;
        char dir[1300];
        snprintf(dir, sizeof dir, "%s/seed-%llu", od.tmp, seeds[k]);
        if (!quiet)
            fprintf(stderr, "kvtwin: replicate %d of %d (seed %llu)\n", k + 1, n, seeds[k]);
        rc = run_child(scenario, sets, nsets, seeds[k], dir, sg_argc, sg_argv);
        if (rc == 0 && !(sums[k] = read_summary(dir))) {
            fprintf(stderr, "kvtwin: %s: no summary.json\n", dir);
            rc = KVT_EXIT_FAIL;
        }
    }
    if (rc == 0)
        rc = replicate_report(&od, sums, seeds, n, quiet, err, sizeof err);
    if (rc == 0 && outdir_commit(&od, err, sizeof err))
        rc = KVT_EXIT_FAIL;
    if (rc) {
        if (err[0])
            fprintf(stderr, "kvtwin: %s\n", err);
        outdir_abort(&od);
    } else if (!quiet) {
        printf("  results            %s/ (replicates.json, seed-S/ per replicate)\n", final);
    }
    for (int k = 0; k < n; k++)
        cJSON_Delete(sums[k]);
    free(sums);
    free(seeds);
    return rc;
}

static int cmd_main(int argc, char **argv)
{
    char **sg_argv = calloc((size_t)argc + 1, sizeof *sg_argv);
    int sg_argc = 0;
    cli_split_simgrid_args(&argc, argv, &sg_argc, sg_argv);
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    int nsets = 0;
    const char *scenario = NULL, *out = NULL;
    long long seed = -1;
    long replicates = 1;
    bool quiet = false, force = false;
    int rc = KVT_EXIT_INPUT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--set") || !strcmp(a, "--seed") || !strcmp(a, "--out") || !strcmp(a, "--replicates")) &&
            i + 1 >= argc) {
            rc = cli_usage_error("run", "%s needs a value", a);
            goto done;
        }
        if (!strcmp(a, "--set")) {
            sets[nsets++] = argv[++i];
        } else if (!strcmp(a, "--seed")) {
            unsigned long long v;
            if (cli_parse_u64(argv[++i], &v) || v > (1ull << 53)) {
                rc = cli_usage_error("run", "--seed expects a non-negative integer, got \"%s\"", argv[i]);
                goto done;
            }
            seed = (long long)v;
        } else if (!strcmp(a, "--out")) {
            out = argv[++i];
        } else if (!strcmp(a, "--replicates")) {
            unsigned long long v;
            if (cli_parse_u64(argv[++i], &v) || v < 1 || v > 1000) {
                rc = cli_usage_error("run", "--replicates expects an integer from 1 to 1000, got \"%s\"", argv[i]);
                goto done;
            }
            replicates = (long)v;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = true;
        } else if (!strcmp(a, "--force")) {
            force = true;
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error("run", "unknown option \"%s\"", a);
            goto done;
        } else if (!scenario) {
            scenario = a;
        } else {
            rc = cli_usage_error("run", "one scenario at a time (got \"%s\" and \"%s\")", scenario, a);
            goto done;
        }
    }
    if (!scenario) {
        rc = cli_usage_error("run", "missing SCENARIO.json");
        goto done;
    }
    if (replicates > 1) {
        rc = run_replicates(scenario, sets, nsets, seed, out, (int)replicates, quiet, sg_argc, sg_argv);
    } else {
        scenario_t *sc = calloc(1, sizeof *sc);
        char err[2048];
        if (scenario_load(sc, scenario, sets, nsets, seed, err, sizeof err)) {
            fprintf(stderr, "kvtwin: %s\n", err);
            rc = KVT_EXIT_INPUT;
        } else {
            run_opts_t opts = {.out_dir = out, .quiet = quiet, .force = force, .sg_argc = sg_argc, .sg_argv = sg_argv};
            rc = run_scenario(sc, &opts, err, sizeof err);
            if (rc)
                fprintf(stderr, "kvtwin: %s\n", err);
        }
        scenario_free(sc);
        free(sc);
    }
done:
    free(sets);
    free(sg_argv);
    return rc;
}

/* Every scenario key, from the tables that validate them. */
static void run_more_help(FILE *out)
{
    fprintf(out, "\nScenario keys (JSON paths for --set; units in the key names):\n");
    jb_help(&cfg_scenario_spec, out, 2);
}

const kvt_cmd_t kvt_cmd_run = {
    .name = "run",
    .summary = "simulate one scenario on the pod (timed, SimGrid)",
    .usage = "usage: kvtwin run SCENARIO.json [--set PATH=VALUE]... [--seed N] [--out DIR] [--force] [--quiet]\n"
             "                  [--replicates N]\n"
             "                  [--cfg=SIMGRID_OPTION:VALUE]... [--log=SIMGRID_LOG_SETTING]...\n"
             "\n"
             "Simulates the scenario and writes DIR (default results/<name>/):\n"
             "  summary.json   metrics with units in their keys, the resolved scenario, seed and versions\n"
             "  run.h5         per-request table, time series, per-tier counters, provenance attributes\n"
             "  scenario.json  the resolved scenario (presets and overrides applied)\n"
             "  platform.xml   the SimGrid platform generated from the hardware\n"
             "The folder appears only once complete; an interrupted run (SIGINT, SIGTERM) leaves nothing.\n"
             "A table of the main metrics goes to stdout and a progress line to stderr when it is a terminal.\n"
             "\n"
             "  --set PATH=VALUE  override a scenario value by its JSON path, e.g. --set kv.g2.enabled=false\n"
             "                    or --set hardware.icms.enclosures=8 (VALUE is JSON, or a bare string)\n"
             "  --seed N          replace the scenario's seed\n"
             "  --out DIR         results folder; an existing DIR is replaced only if it is a kvtwin results\n"
             "                    folder (or empty); DIR.lock keeps two runs from writing it at once\n"
             "  --force           replace DIR even if it is not a kvtwin results folder\n"
             "  --quiet           no table, no progress, no timing line\n"
             "  --replicates N    run N seeds (the seed, seed + 1, ...) into DIR/seed-S/ and write\n"
             "                    DIR/replicates.json: mean, sd and 95 %% t-interval of every summary figure;\n"
             "                    the study-table figures are printed as mean +- half-width\n"
             "\n"
             "Exit codes: 0 success, 1 simulation failure (or a conservation check failed), 2 usage, input or\n"
             "output-folder error.\n",
    .main = cmd_main,
    .more_help = run_more_help,
};
