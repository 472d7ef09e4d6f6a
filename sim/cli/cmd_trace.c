/* kvtwin trace: statistics of workload traces (and the generator fit), and the list of trace formats.
 * Each input (a file, or a directory of session files) is read with its reader and summarised on its own;
 * --fit pools them into the generator's parameters. Input errors print one line "FILE:LINE: what was
 * expected" and exit with 2. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cjson/cJSON.h>

#include "sim/base/progress.h"
#include "sim/cli/cli.h"
#include "workloads/reader.h"
#include "workloads/reuse.h"
#include "workloads/source.h"
#include "workloads/stats.h"

/* An unknown --format: the message lists every trace format of the registry. */
static int trace_bad_format(const char *name)
{
    char list[256] = "";
    size_t used = 0;
    for (int k = 0; wl_format_names[k]; k++)
        if (k != wl_format_synthetic)
            used += (size_t)snprintf(list + used, used < sizeof list ? sizeof list - used : 0, "%s%s", k ? ", " : "",
                                     wl_format_names[k]);
    return cli_usage_error("trace", "unknown format \"%s\"; expected one of %s", name, list);
}

static const char usage[] =
    "usage: kvtwin trace stats [OPTIONS] FILE|DIR...\n"
    "       kvtwin trace check [--format NAME] [--closed] [--skip-bad] [--allow-backwards-time] FILE|DIR\n"
    "       kvtwin trace formats\n"
    "\n"
    "stats: requests, sessions and turns, token lengths (mean, p50, p90, p99), arrival rate and burstiness,\n"
    "the ideal infinite-cache prefix hit rate (token-weighted, request-averaged, block-level; per\n"
    "conversation for session traces) and the think-time distribution of each input.\n"
    "\n"
    "options:\n"
    "  --format NAME           auto (default) or a trace format (kvtwin trace formats)\n"
    "  --json                  print JSON instead of text\n"
    "  --fit                   also print the synthetic generator's parameters fitted to the inputs\n"
    "                          (session shape from session traces, arrivals from request logs)\n"
    "  --skip-bad              count and skip malformed records instead of failing\n"
    "  --allow-backwards-time  count timestamps going backwards instead of failing\n"
    "  --block-tokens N        block size for traces without block ids (Azure; default 64)\n"
    "  --bucket-s S            Mooncake: spread requests sharing a timestamp over up to S seconds (default 3)\n"
    "  --reuse                 also reuse analysis, every block reference on its own: reuse distance (distinct\n"
    "                          blocks since the last reference: LRU of C blocks hits those < C) and reuse time\n"
    "                          distributions, block popularity with a Zipf fit, working set per window\n"
    "  --window-s S            --reuse: working-set window (default 60 s)\n"
    "  --reuse-out DIR         --reuse: write the plot data there (reuse-distance.dat, reuse-time.dat,\n"
    "                          popularity.dat, working-set.dat; scripts/plot-reuse.sh DIR draws them)\n"
    "\n"
    "check: replays the input through the workload source as a simulation would (open loop; --closed: closed\n"
    "loop against a server that answers instantly) without simulating anything, to validate a trace before a\n"
    "long run; prints the requests, sessions, last arrival, and the wall time, rate and peak memory of reading.\n"
    "\n"
    "formats: the registered trace readers, one line each.\n"
    "\n"
    "Exit codes: 0 success, 2 bad input (one line FILE:LINE: what was expected).\n";

static int cmd_formats(void)
{
    for (const wl_reader_ops_t *const *r = wl_readers; *r; r++)
        printf("%-10s %s  [%s]\n", (*r)->name, (*r)->description, (*r)->extensions);
    printf("%-10s %s\n", "synthetic", "the built-in agentic generator (no file; `kvtwin gen` writes it as native)");
    return KVT_EXIT_OK;
}

/* Reads one input into st; returns 0, or prints the error and returns KVT_EXIT_INPUT. */
typedef struct reuse_opts {
    bool on;
    double window_s;
    const char *out_dir; /* NULL: no plot data */
} reuse_opts_t;

static int stats_one(const char *path, const wl_stream_opts_t *so, bool json, cJSON *jinputs, wl_fit_t *fit,
                     const reuse_opts_t *ro)
{
    char err[1024];
    wl_stream_t *s;
    if (wl_stream_open(&s, path, so, err, sizeof err))
        return cli_input_error("%s", err);
    const wl_reader_ops_t *ops = wl_stream_reader(s);
    wl_stats_t *st = wl_stats_new(!ops->whole_conversations);
    wl_request_t req = {0};
    wl_sess_info_t info;
    wl_reuse_t *ru = ro->on ? wl_reuse_new(ro->window_s) : NULL;
    int rc;
    while ((rc = wl_stream_next(s, &req, &info, err, sizeof err)) == WL_REC_OK) {
        if (ru)
            wl_reuse_add(ru, &req);
        if (wl_stats_add(st, &req, &info, wl_stream_file_name(s))) {
            snprintf(err, sizeof err, "%s: out of memory", path);
            rc = WL_REC_FATAL;
            break;
        }
    }
    wl_request_free(&req);
    if (rc == WL_REC_FATAL) {
        wl_reuse_free(ru);
        wl_stats_free(st);
        wl_stream_close(s);
        return cli_input_error("%s", err);
    }
    uint64_t skipped = wl_stream_skipped(s), back = wl_stream_backwards(s);
    if (skipped)
        fprintf(stderr, "kvtwin: %s: skipped %llu bad records; first: %s\n", path, (unsigned long long)skipped,
                wl_stream_first_skip(s));
    if (back)
        fprintf(stderr, "kvtwin: warning: %s: %llu timestamps went backwards (let through)\n", path,
                (unsigned long long)back);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", path);
        cJSON_AddStringToObject(o, "format", ops->name);
        cJSON_AddNumberToObject(o, "files", (double)wl_stream_files(s));
        cJSON_AddNumberToObject(o, "skipped", (double)skipped);
        if (skipped)
            cJSON_AddStringToObject(o, "first_skipped", wl_stream_first_skip(s));
        cJSON_AddNumberToObject(o, "backwards_time", (double)back);
        cJSON_AddItemToObject(o, "stats", wl_stats_json(st));
        if (ru)
            cJSON_AddItemToObject(o, "reuse", wl_reuse_json(ru));
        cJSON_AddItemToArray(jinputs, o);
    } else {
        printf("%s (%s, %zu file%s)\n", path, ops->name, wl_stream_files(s), wl_stream_files(s) == 1 ? "" : "s");
        wl_stats_print(st, stdout);
        if (ru)
            wl_reuse_print(ru, stdout);
        if (skipped)
            printf("  skipped bad records        %llu\n", (unsigned long long)skipped);
        if (back)
            printf("  timestamps going backwards %llu (let through)\n", (unsigned long long)back);
    }
    int wrc = 0;
    if (ru && ro->out_dir && wl_reuse_write(ru, ro->out_dir, err, sizeof err))
        wrc = cli_input_error("%s", err);
    wl_reuse_free(ru);
    if (fit)
        wl_fit_add(fit, st);
    wl_stats_free(st);
    if (wrc) {
        wl_stream_close(s);
        return wrc;
    }
    wl_stream_close(s);
    return 0;
}

static int cmd_stats(int argc, char **argv)
{
    wl_stream_opts_t so = {0};
    so.format = WL_FMT_AUTO;
    so.reader.default_block_tokens = 64;
    so.reader.bucket_s = 3.0;
    bool json = false, fit = false;
    reuse_opts_t ro = {false, 60, NULL};
    int npaths = 0;
    char **paths = calloc((size_t)argc, sizeof *paths);
    if (!paths)
        return cli_input_error("out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--fit") == 0) {
            fit = true;
        } else if (strcmp(a, "--reuse") == 0) {
            ro.on = true;
        } else if (strcmp(a, "--reuse-out") == 0 && i + 1 < argc) {
            ro.out_dir = argv[++i];
        } else if (strcmp(a, "--window-s") == 0 && i + 1 < argc) {
            char *end;
            ro.window_s = strtod(argv[++i], &end);
            if (*end || !(ro.window_s > 0) || !isfinite(ro.window_s)) {
                free(paths);
                return cli_usage_error("trace", "--window-s expects seconds > 0");
            }
        } else if (strcmp(a, "--skip-bad") == 0) {
            so.skip_bad = true;
        } else if (strcmp(a, "--allow-backwards-time") == 0) {
            so.reader.allow_backwards_time = true;
        } else if ((strcmp(a, "--format") == 0 && i + 1 < argc) || strncmp(a, "--format=", 9) == 0) {
            const char *name = a[8] == '=' ? a + 9 : argv[++i];
            int f = wl_format_find(name);
            if (f < 0 || f == wl_format_synthetic) {
                free(paths);
                return trace_bad_format(name);
            }
            so.format = f;
        } else if (strcmp(a, "--block-tokens") == 0 && i + 1 < argc) {
            unsigned long long v;
            if (cli_parse_u64(argv[++i], &v) || v == 0 || v > (1u << 20)) {
                free(paths);
                return cli_usage_error("trace", "--block-tokens expects an integer in 1..1048576");
            }
            so.reader.default_block_tokens = (uint32_t)v;
        } else if (strcmp(a, "--bucket-s") == 0 && i + 1 < argc) {
            char *end;
            double v = strtod(argv[++i], &end);
            if (*end || !(v >= 0)) {
                free(paths);
                return cli_usage_error("trace", "--bucket-s expects seconds >= 0");
            }
            so.reader.bucket_s = v;
        } else if (a[0] == '-' && a[1]) {
            free(paths);
            return cli_usage_error("trace", "unknown option %s", a);
        } else {
            paths[npaths++] = argv[i];
        }
    }
    if (!npaths) {
        free(paths);
        return cli_usage_error("trace", "stats needs at least one FILE or DIR");
    }
    if ((ro.out_dir || ro.window_s != 60) && !ro.on) {
        free(paths);
        return cli_usage_error("trace", "--reuse-out and --window-s belong to --reuse");
    }
    if (ro.out_dir && npaths > 1) {
        free(paths);
        return cli_usage_error("trace", "--reuse-out takes one input (its files would overwrite each other)");
    }
    cJSON *root = json ? cJSON_CreateObject() : NULL;
    cJSON *inputs = json ? cJSON_AddArrayToObject(root, "inputs") : NULL;
    wl_fit_t *f = fit ? wl_fit_new() : NULL;
    int rc = 0;
    for (int i = 0; i < npaths && rc == 0; i++)
        rc = stats_one(paths[i], &so, json, inputs, f, &ro);
    free(paths);
    if (rc == 0 && f) {
        wl_synth_cfg_t c;
        wl_synth_defaults(&c);
        char notes[2048];
        int n = wl_fit_result(f, &c, notes, sizeof notes);
        cJSON *fj = wl_fit_json(f);
        if (json) {
            cJSON_AddItemToObject(root, "fit", fj);
            cJSON_AddStringToObject(root, "fit_notes", notes);
        } else {
            char *txt = cJSON_Print(fj);
            printf("\nfitted generator parameters (%d; paste under \"workload\": {\"synth\": ...}):\n%s\n", n, txt);
            if (notes[0])
                printf("%s", notes);
            free(txt);
            cJSON_Delete(fj);
        }
    }
    if (rc == 0 && json) {
        char *txt = cJSON_Print(root);
        printf("%s\n", txt);
        free(txt);
    }
    cJSON_Delete(root);
    wl_fit_free(f);
    return rc;
}

/* Peak resident memory of this process, bytes (Linux reports ru_maxrss in KiB). */
static double peak_rss_bytes(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_maxrss * 1024.0;
}

static int cmd_check(int argc, char **argv)
{
    wl_config_t c;
    wl_config_defaults(&c);
    c.replay = WL_OPEN_LOOP;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--closed") == 0) {
            c.replay = WL_CLOSED_LOOP;
        } else if (strcmp(a, "--skip-bad") == 0) {
            c.skip_bad = true;
        } else if (strcmp(a, "--allow-backwards-time") == 0) {
            c.allow_backwards_time = true;
        } else if ((strcmp(a, "--format") == 0 && i + 1 < argc) || strncmp(a, "--format=", 9) == 0) {
            const char *name = a[8] == '=' ? a + 9 : argv[++i];
            c.format = wl_format_find(name);
            if (c.format < 0 || c.format == wl_format_synthetic)
                return trace_bad_format(name);
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("trace", "unknown option %s", a);
        } else if (path) {
            return cli_usage_error("trace", "check reads one FILE or DIR");
        } else {
            path = a;
        }
    }
    if (!path)
        return cli_usage_error("trace", "check needs a FILE or DIR");
    if (strlen(path) >= sizeof c.path)
        return cli_usage_error("trace", "path too long");
    snprintf(c.path, sizeof c.path, "%s", path);
    char err[1024];
    double t0 = wall_clock_s();
    wl_source_t *src;
    if (wl_source_open(&src, &c, err, sizeof err))
        return cli_input_error("%s", err);
    wl_request_t req = {0};
    uint64_t n = 0, tokens = 0;
    double last = 0;
    int rc;
    while ((rc = wl_source_next(src, &req, err, sizeof err)) == 1) {
        n++;
        tokens += req.input_tokens;
        last = req.arrival_s;
        /* An instant server: completion at arrival (closed loop; a no-op in open loop). */
        wl_source_complete(src, &req, req.arrival_s, req.arrival_s);
    }
    double wall = wall_clock_s() - t0;
    wl_source_counts_t k;
    wl_source_counts(src, &k);
    wl_request_free(&req);
    wl_source_close(src);
    if (rc < 0)
        return cli_input_error("%s", err);
    printf("%s: %llu requests, %llu sessions, %llu input tokens, last arrival %.3f s\n", path, (unsigned long long)n,
           (unsigned long long)k.sessions, (unsigned long long)tokens, last);
    if (k.skipped)
        printf("  skipped bad records: %llu\n", (unsigned long long)k.skipped);
    if (k.backwards_time)
        printf("  timestamps going backwards: %llu (let through)\n", (unsigned long long)k.backwards_time);
    printf("  read in %.3f s wall: %.0f requests/s, peak memory %.1f MiB (%s loop)\n", wall,
           wall > 0 ? (double)n / wall : 0, peak_rss_bytes() / 1048576.0, c.replay == WL_OPEN_LOOP ? "open" : "closed");
    return KVT_EXIT_OK;
}

static int cmd_main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("trace", "expected a subcommand: stats, check or formats");
    if (strcmp(argv[1], "formats") == 0)
        return cmd_formats();
    if (strcmp(argv[1], "stats") == 0)
        return cmd_stats(argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    return cli_usage_error("trace", "unknown subcommand \"%s\"; expected stats, check or formats", argv[1]);
}

const kvt_cmd_t kvt_cmd_trace = {
    .name = "trace",
    .summary = "trace statistics, infinite-cache hit rates, generator fit; trace check; list of formats",
    .usage = usage,
    .main = cmd_main,
};
