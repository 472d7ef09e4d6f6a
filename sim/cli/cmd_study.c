/* kvtwin study: several variants of a scenario side by side (the main job runs the default study). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cli/cli.h"
#include "sim/study/study.h"

static int cmd_main(int argc, char **argv)
{
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    int nsets = 0;
    const char *file = NULL, *out = NULL, *collect = NULL, *partition = NULL, *task_dir = NULL, *task_run = NULL;
    long long seed = -1;
    int jobs = 0, array_max = 0;
    bool quiet = false, check = false, force = false, fresh = false, slurm = false, no_wait = false;
    int rc = KVT_EXIT_INPUT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--set") || !strcmp(a, "--seed") || !strcmp(a, "--out") || !strcmp(a, "--jobs") ||
             !strcmp(a, "--collect") || !strcmp(a, "--partition") || !strcmp(a, "--array-max")) &&
            i + 1 >= argc) {
            rc = cli_usage_error("study", "%s needs a value", a);
            goto done;
        }
        unsigned long long v;
        if (!strcmp(a, "--set")) {
            sets[nsets++] = argv[++i];
        } else if (!strcmp(a, "--seed")) {
            if (cli_parse_u64(argv[++i], &v) || v > (1ull << 53)) {
                rc = cli_usage_error("study", "--seed expects a non-negative integer, got \"%s\"", argv[i]);
                goto done;
            }
            seed = (long long)v;
        } else if (!strcmp(a, "--jobs")) {
            if (cli_parse_u64(argv[++i], &v) || v < 1 || v > 256) {
                rc = cli_usage_error("study", "--jobs expects an integer from 1 to 256, got \"%s\"", argv[i]);
                goto done;
            }
            jobs = (int)v;
        } else if (!strcmp(a, "--out")) {
            out = argv[++i];
        } else if (!strcmp(a, "--collect")) {
            collect = argv[++i];
        } else if (!strcmp(a, "--partition")) {
            partition = argv[++i];
        } else if (!strcmp(a, "--array-max")) {
            if (cli_parse_u64(argv[++i], &v) || v < 1 || v > 100000) {
                rc = cli_usage_error("study", "--array-max expects an integer from 1 to 100000, got \"%s\"", argv[i]);
                goto done;
            }
            array_max = (int)v;
        } else if (!strcmp(a, "--task")) {
            if (i + 2 >= argc) {
                rc = cli_usage_error("study", "--task needs the study folder and a run name");
                goto done;
            }
            task_dir = argv[++i];
            task_run = argv[++i];
        } else if (!strcmp(a, "--fresh")) {
            fresh = true;
        } else if (!strcmp(a, "--slurm")) {
            slurm = true;
        } else if (!strcmp(a, "--no-wait")) {
            no_wait = true;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = true;
        } else if (!strcmp(a, "--check")) {
            check = true;
        } else if (!strcmp(a, "--force")) {
            force = true;
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error("study", "unknown option \"%s\"", a);
            goto done;
        } else if (!file) {
            file = a;
        } else {
            rc = cli_usage_error("study", "one study file at a time");
            goto done;
        }
    }
    if (collect && (file || slurm || check || fresh || nsets || seed >= 0)) {
        rc = cli_usage_error("study", "--collect DIR rebuilds a study folder's outputs and takes no study file, --set, "
                                      "--seed, --check, --fresh or --slurm");
        goto done;
    }
    if ((partition || array_max || no_wait) && !slurm) {
        rc = cli_usage_error("study", "--partition, --array-max and --no-wait go with --slurm");
        goto done;
    }
    if (!file && !collect && !task_dir) {
        rc = cli_usage_error("study", "missing STUDY.json");
        goto done;
    }
    {
        char self[1024];
        if (cli_self_exe(self, sizeof self)) {
            rc = cli_input_error("cannot find the kvtwin binary to run the variants with");
            goto done;
        }
        study_opts_t o = {.out_dir = out,
                          .sets = sets,
                          .nsets = nsets,
                          .seed = seed,
                          .quiet = quiet,
                          .jobs = jobs,
                          .self_exe = self,
                          .check_only = check,
                          .force = force,
                          .fresh = fresh,
                          .collect_dir = collect,
                          .slurm = slurm,
                          .partition = partition,
                          .array_max = array_max,
                          .no_wait = no_wait};
        const char *poll = getenv("KVTWIN_SLURM_POLL_S");
        if (poll)
            o.poll_s = atof(poll);
        char err[2048];
        if (task_dir)
            rc = study_task(task_dir, task_run, self, err, sizeof err);
        else
            rc = study_run(file, &o, err, sizeof err);
        if (rc)
            fprintf(stderr, "kvtwin: %s\n", err);
    }
done:
    free(sets);
    return rc;
}

const kvt_cmd_t kvt_cmd_study = {
    .name = "study",
    .summary = "simulate variants of a scenario side by side (the main job)",
    .usage =
        "usage: kvtwin study STUDY.json [--set PATH=VALUE]... [--seed N] [--out DIR] [--force] [--jobs N] [--fresh]\n"
        "                    [--quiet]\n"
        "       kvtwin study STUDY.json --slurm [--partition P] [--array-max N] [--no-wait] [--out DIR]\n"
        "       kvtwin study STUDY.json --check     (expand and validate the whole grid, run nothing)\n"
        "       kvtwin study --collect DIR          (rebuild the table and plots from DIR's complete runs)\n"
        "\n"
        "Runs every configuration of the study (the base scenario with the variant's and the axes' overrides) at\n"
        "every seed, each run its own simulation, up to N at once (default: one per core), or with --slurm as\n"
        "one Slurm job array (one run per task; --array-max caps the tasks running at once), waiting for it\n"
        "unless --no-wait. Then prints the main metrics side by side (mean and 95 % interval over seeds) with\n"
        "each configuration's ratio to the baseline. DIR (default results/<study name>/) receives\n"
        "comparison.txt, comparison.csv, study.json, study.png (TTFT distributions on the table's window and\n"
        "throughput over time), the gnuplot script and data, study-index.json and one folder per run.\n"
        "\n"
        "Resume: a run's folder appears only once complete, and counts as done when its scenario.json hashes\n"
        "to the run's resolved scenario; running the study again skips those and redoes the rest (--fresh\n"
        "redoes all). A failing run is reported and the others go on (exit code 1 at the end). SIGINT or\n"
        "SIGTERM stops the runs and leaves no half-written folder. An existing DIR is used only if it is a\n"
        "kvtwin results folder (or empty), unless --force.\n"
        "\n"
        "A study file: {\"name\": ..., \"description\": ..., \"scenario\": \"path/to/base.json\",\n"
        "  \"baseline\": \"variant or configuration name\",\n"
        "  \"variants\": [{\"name\": ..., \"label\": ..., \"set\": {PATH: VALUE}}],\n"
        "  \"axes\": [{\"name\": \"rate\", \"path\": PATH, \"values\": [...], \"labels\": [...]},\n"
        "           {\"name\": \"size\", \"zip\": {PATH: [...], PATH: [...]}}],      (cartesian product of the axes)\n"
        "  \"seeds\": [1, 2, 3]  or  \"replicates\": 3,\n"
        "  \"hold_equal\": [\"gpus\", {\"quantity\": \"capex_usd\", \"tolerance\": 0.05}]}\n"
        "  Configurations are the variants times the axes' points; hold_equal quantities (gpus, nodes,\n"
        "  storage_capacity_bytes, capex_usd) must match the baseline's in every configuration (checked before\n"
        "  anything runs). --set applies to every configuration, before its own overrides.\n"
        "\n"
        "Exit codes: 0 success, 1 a run or the study failed, 2 usage, input or output-folder error.\n",
    .main = cmd_main,
};
