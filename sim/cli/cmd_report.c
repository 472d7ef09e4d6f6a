/* kvtwin report: the HTML and Markdown TCO report of a study or a run. */
#include <stdio.h>
#include <string.h>

#include "sim/cli/cli.h"
#include "sim/study/report.h"

static int cmd_main(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out")) {
            if (i + 1 >= argc)
                return cli_usage_error("report", "--out needs a value");
            out = argv[++i];
        } else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
            quiet = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("report", "unknown option \"%s\"", argv[i]);
        } else if (!dir) {
            dir = argv[i];
        } else {
            return cli_usage_error("report", "one results folder at a time");
        }
    }
    if (!dir)
        return cli_usage_error("report", "missing RESULTS_DIR (a study's or a run's results folder)");
    char err[2048];
    int rc = report_run(dir, out, quiet, err, sizeof err);
    if (rc)
        fprintf(stderr, "kvtwin: %s\n", err);
    return rc;
}

const kvt_cmd_t kvt_cmd_report = {
    .name = "report",
    .summary = "the TCO report of a study or run (HTML with SVG plots, and Markdown)",
    .usage = "usage: kvtwin report RESULTS_DIR [--out DIR] [--quiet]\n"
             "\n"
             "RESULTS_DIR is a study folder (kvtwin study) or one run's folder (kvtwin run). Writes into DIR\n"
             "(default RESULTS_DIR) report.html, a self-contained page (plots embedded as SVG, no script, no\n"
             "external resource), report.md, its Markdown twin, and study.svg. Per configuration: capex by\n"
             "component class (GPUs, nodes, fabric, ICMS, G4), depreciation, maintenance, facility, energy (PUE,\n"
             "electricity price), $/hour, $/GPU-hour, $/million output tokens and tokens/J; the study's metrics\n"
             "and ratios to its baseline (with 95 % intervals over seeds); TTFT and throughput plots; every unit\n"
             "price with its date, source and confidence (configs/cost-sources.json, docs/parameters.md) and the\n"
             "list of assumptions, marked as such.\n"
             "\n"
             "Exit codes: 0 success, 1 failure, 2 usage or input error.\n",
    .main = cmd_main,
};
