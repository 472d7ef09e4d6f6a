/* kvtwin export: the tables of a run's run.h5 as CSV files (one per table), for tools that do not read HDF5. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/cli/cli.h"
#include "sim/out/h5csv.h"

static int cmd_main(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out")) {
            if (i + 1 >= argc)
                return cli_usage_error("export", "--out needs a value");
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("export", "unknown option \"%s\"", argv[i]);
        } else if (!in) {
            in = argv[i];
        } else {
            return cli_usage_error("export", "one results folder or run.h5 at a time");
        }
    }
    if (!in)
        return cli_usage_error("export", "missing RESULTS_DIR (a run's folder) or RUN.h5");
    char h5[2048], dir[2048];
    struct stat st;
    if (stat(in, &st) != 0)
        return cli_input_error("%s: no such file or folder", in);
    if (S_ISDIR(st.st_mode)) {
        snprintf(h5, sizeof h5, "%s/run.h5", in);
        snprintf(dir, sizeof dir, "%s/csv", in);
    } else {
        snprintf(h5, sizeof h5, "%s", in);
        snprintf(dir, sizeof dir, "%s", in);
        char *slash = strrchr(dir, '/');
        if (slash)
            snprintf(slash, sizeof dir - (size_t)(slash - dir), "/csv");
        else
            snprintf(dir, sizeof dir, "csv");
    }
    if (out)
        snprintf(dir, sizeof dir, "%s", out);
    if (mkdir(dir, 0755) != 0 && stat(dir, &st) != 0)
        return cli_input_error("%s: cannot create the folder", dir);
    char names[1024], err[2048];
    if (h5csv_export(h5, dir, names, sizeof names, err, sizeof err))
        return cli_input_error("%s", err);
    printf("%s/: %s\n", dir, names);
    return 0;
}

const kvt_cmd_t kvt_cmd_export = {
    .name = "export",
    .summary = "a run's tables (run.h5) as CSV files",
    .usage = "usage: kvtwin export RESULTS_DIR|RUN.h5 [--out DIR]\n"
             "\n"
             "Writes every table of run.h5 (requests, timeseries, tiers) as DIR/<table>.csv, one row per row of\n"
             "the table and one column per column (per-tier quantities as one column per tier, e.g.\n"
             "hit_tokens_g1 ... hit_tokens_g4). DIR defaults to csv/ next to run.h5. Floats keep 17 significant\n"
             "digits; a missing value (NaN, e.g. the TTFT of a rejected request) is an empty field. docs/data.md\n"
             "describes every column and the outcome codes.\n"
             "\n"
             "Exit codes: 0 success, 2 usage or input error.\n",
    .main = cmd_main,
};
