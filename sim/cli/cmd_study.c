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
    const char *file = NULL, *out = NULL;
    long long seed = -1;
    int jobs = 0;
    bool quiet = false, check = false, force = false;
    int rc = KVT_EXIT_INPUT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--set") || !strcmp(a, "--seed") || !strcmp(a, "--out") || !strcmp(a, "--jobs")) &&
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
    if (!file) {
        rc = cli_usage_error("study", "missing STUDY.json");
        goto done;
    }
    {
        char self[1024];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) {
            rc = cli_input_error("cannot find the kvtwin binary to run the variants with");
            goto done;
        }
        self[n] = '\0';
        study_opts_t o = {.out_dir = out, .sets = sets, .nsets = nsets, .seed = seed, .quiet = quiet, .jobs = jobs,
                          .self_exe = self, .check_only = check, .force = force};
        char err[2048];
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
    .usage = "usage: kvtwin study STUDY.json [--set PATH=VALUE]... [--seed N] [--out DIR] [--force] [--jobs N]\n"
             "                    [--quiet]\n"
             "       kvtwin study STUDY.json --check     (validate the study and its variants, run nothing)\n"
             "\n"
             "Runs every variant of the study (the base scenario with the variant's overrides) as its own\n"
             "simulation, up to N at once (default: one per core), then prints the main metrics side by side\n"
             "with each variant's ratio to the baseline. DIR (default results/<study name>/) receives\n"
             "comparison.txt, study.json, study.png (TTFT distributions and throughput over time), the\n"
             "gnuplot script and data, and one results folder per variant. It appears only once complete;\n"
             "SIGINT or SIGTERM stops the variants and leaves nothing. An existing DIR is replaced only if it\n"
             "is a kvtwin results folder (or empty), unless --force.\n"
             "\n"
             "A study file: {\"name\": ..., \"description\": ..., \"scenario\": \"path/to/base.json\",\n"
             "  \"baseline\": \"variant name\", \"variants\": [{\"name\": ..., \"label\": ..., \"set\": {PATH: VALUE}}]}\n"
             "  --set applies to every variant, before the variant's own overrides.\n"
             "\n"
             "Exit codes: 0 success, 1 simulation failure, 2 usage, input or output-folder error.\n",
    .main = cmd_main,
};
