/* kvtwin run: one timed simulation of a scenario. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cli/cli.h"
#include "sim/config/scenario.h"
#include "sim/core/run.h"

static int cmd_main(int argc, char **argv)
{
    char **sg_argv = calloc((size_t)argc + 1, sizeof *sg_argv);
    int sg_argc = 0;
    cli_split_simgrid_args(&argc, argv, &sg_argc, sg_argv);
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    int nsets = 0;
    const char *scenario = NULL, *out = NULL;
    long long seed = -1;
    bool quiet = false, force = false;
    int rc = KVT_EXIT_INPUT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--set") || !strcmp(a, "--seed") || !strcmp(a, "--out")) && i + 1 >= argc) {
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
    {
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
             "\n"
             "Exit codes: 0 success, 1 simulation failure (or a conservation check failed), 2 usage, input or\n"
             "output-folder error.\n",
    .main = cmd_main,
    .more_help = run_more_help,
};
