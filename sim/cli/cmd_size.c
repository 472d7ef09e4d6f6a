/* kvtwin size: SLO sizing over a study's configurations (its "search" block). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cli/cli.h"
#include "sim/study/size.h"

static int cmd_main(int argc, char **argv)
{
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    int nsets = 0, rc = KVT_EXIT_INPUT;
    const char *file = NULL, *out = NULL;
    long long seed = -1;
    bool quiet = false, check = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        unsigned long long v;
        if ((!strcmp(a, "--set") || !strcmp(a, "--seed") || !strcmp(a, "--out")) && i + 1 >= argc) {
            rc = cli_usage_error("size", "%s needs a value", a);
            goto done;
        }
        if (!strcmp(a, "--set")) {
            sets[nsets++] = argv[++i];
        } else if (!strcmp(a, "--seed")) {
            if (cli_parse_u64(argv[++i], &v) || v > (1ull << 53)) {
                rc = cli_usage_error("size", "--seed expects a non-negative integer, got \"%s\"", argv[i]);
                goto done;
            }
            seed = (long long)v;
        } else if (!strcmp(a, "--out")) {
            out = argv[++i];
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = true;
        } else if (!strcmp(a, "--check")) {
            check = true;
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error("size", "unknown option \"%s\"", a);
            goto done;
        } else if (!file) {
            file = a;
        } else {
            rc = cli_usage_error("size", "one sizing file at a time");
            goto done;
        }
    }
    if (!file) {
        rc = cli_usage_error("size", "missing SIZING.json (a study file with a \"search\" block)");
        goto done;
    }
    {
        char self[1024];
        if (cli_self_exe(self, sizeof self)) {
            rc = cli_input_error("cannot find the kvtwin binary to run the evaluations with");
            goto done;
        }
        study_opts_t o = {.out_dir = out,
                          .sets = sets,
                          .nsets = nsets,
                          .seed = seed,
                          .quiet = quiet,
                          .self_exe = self,
                          .check_only = check};
        char err[2048];
        rc = size_run(file, &o, err, sizeof err);
        if (rc)
            fprintf(stderr, "kvtwin: %s\n", err);
    }
done:
    free(sets);
    return rc;
}

const kvt_cmd_t kvt_cmd_size = {
    .name = "size",
    .summary = "SLO sizing: largest load under an SLO, or the cheapest configuration meeting it",
    .usage = "usage: kvtwin size SIZING.json [--set PATH=VALUE]... [--seed N] [--out DIR] [--check] [--quiet]\n"
             "\n"
             "SIZING.json is a study file (scenario, variants and/or axes: the candidate configurations) with a\n"
             "search block:\n"
             "  \"search\": {\"slo\": {\"ttft_p99_s\": 2, \"tpot_p99_s\": 0.1},\n"
             "             \"load\": {\"path\": \"workload.synth.session_rate_per_s\", \"min\": 0.5, \"max\": 32,\n"
             "                      \"tolerance\": 0.05},\n"
             "             \"at_load\": 4, \"prune\": true}\n"
             "A run meets the SLO when its TTFT p99 and TPOT p99 are within the limits and at least 99 % of its\n"
             "requests completed. Without at_load: the largest load each configuration sustains (bisection on the\n"
             "load path between min and max, to the relative tolerance). With at_load: the cheapest configuration\n"
             "($/hour) meeting the SLO at that load, trying configurations in order of capex; prune (default true)\n"
             "skips those whose amortised capex and maintenance alone exceed the best $/hour found.\n"
             "\n"
             "DIR (default results/<name>/) receives size.txt and size.json (the answer), pareto.png and\n"
             "pareto.gp (cost against TTFT p99, tokens/s per GPU against tokens/s per user, Pareto frontiers\n"
             "joined) and evals/ (one run folder per evaluation; a rerun reuses those with the same resolved\n"
             "scenario). `kvtwin study` on a file with a search block does the same.\n"
             "\n"
             "Exit codes: 0 success, 1 a failure, 2 usage or input error.\n",
    .main = cmd_main,
};
