/* kvtwin gen: runs the synthetic agentic generator and writes its sessions in the native format (one
 * request per line, in order of the generator's nominal arrival times), so that a workload can be kept,
 * inspected, edited and replayed. Deterministic: the same parameters and seed give the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sim/base/jsonbind.h"
#include "sim/cli/cli.h"
#include "sim/config/config_models.h"
#include "sim/config/scenario.h"
#include "workloads/native.h"
#include "workloads/reader.h"
#include "workloads/source.h"

static const char usage[] =
    "usage: kvtwin gen -o FILE [--seed N] [--sessions N] [--duration S] [--model NAME] [--set KEY=VALUE,...]\n"
    "       kvtwin gen --params\n"
    "\n"
    "Generates synthetic agentic sessions and writes them in kvtwin's native session format (JSON Lines;\n"
    "gzip-compressed when FILE ends in .gz). Parameters default to the values fitted to the shared traces\n"
    "(docs/workloads.md); --set overrides any of them, e.g. --set turns_mean=20,subagent_prob=0.01.\n"
    "\n"
    "options:\n"
    "  -o FILE          output file (required)\n"
    "  --seed N         seed of the random streams (default 1)\n"
    "  --sessions N     number of sessions (default: as many as start within --duration)\n"
    "  --duration S     sessions start during the first S seconds (default 3600)\n"
    "  --model NAME     cap contexts at this model preset's window (or a model JSON file); without it the\n"
    "                   fitted default (up to 880K tokens, longer than most models take) is kept, with a\n"
    "                   warning, unless --set max_context_tokens=N\n"
    "  --set K=V,...    generator parameters (the keys of workload.synth)\n"
    "  --params         print every key of a scenario's \"workload\" section (synth included) with its\n"
    "                   range, unit and meaning, then exit\n"
    "\n"
    "Exit codes: 0 success, 2 usage or input error.\n";

static int cmd_main(int argc, char **argv)
{
    wl_config_t cfg;
    wl_config_defaults(&cfg);
    const char *out = NULL, *model = NULL;
    cJSON *sets = cJSON_CreateObject();
    int rc = KVT_EXIT_INPUT;
    char err[1024];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long u;
        if (strcmp(a, "--params") == 0) {
            jb_help(&cfg_workload_spec, stdout, 0);
            rc = KVT_EXIT_OK;
            goto done;
        } else if (strcmp(a, "-o") == 0 && v) {
            out = v;
            i++;
        } else if (strcmp(a, "--seed") == 0 && v) {
            if (cli_parse_u64(v, &u)) {
                cli_usage_error("gen", "--seed expects a non-negative integer");
                goto done;
            }
            cfg.seed = u;
            i++;
        } else if (strcmp(a, "--sessions") == 0 && v) {
            if (cli_parse_u64(v, &u) || u == 0) {
                cli_usage_error("gen", "--sessions expects a positive integer");
                goto done;
            }
            cJSON_AddNumberToObject(sets, "sessions", (double)u);
            i++;
        } else if (strcmp(a, "--duration") == 0 && v) {
            char *end;
            double d = strtod(v, &end);
            if (*end || !(d > 0)) {
                cli_usage_error("gen", "--duration expects seconds > 0");
                goto done;
            }
            cJSON_AddNumberToObject(sets, "duration_s", d);
            i++;
        } else if (strcmp(a, "--model") == 0 && v) {
            model = v;
            i++;
        } else if (strcmp(a, "--set") == 0 && v) {
            char msg[256];
            cJSON *kv = jb_parse_kv_list(v, msg, sizeof msg);
            if (!kv) {
                cli_usage_error("gen", "--set %s: %s", v, msg);
                goto done;
            }
            cfg_json_merge(sets, kv);
            cJSON_Delete(kv);
            i++;
        } else {
            cli_usage_error("gen", "unknown or incomplete option %s", a);
            goto done;
        }
    }
    if (!out) {
        cli_usage_error("gen", "-o FILE is required");
        goto done;
    }
    jb_error_t je;
    if (jb_bind_key(&cfg_workload_spec, "synth", sets, &cfg, "", &je)) {
        cli_input_error("--set %s: %s", je.path, je.msg);
        goto done;
    }
    /* Contexts the model cannot take are capped at its window, as a scenario does; an explicit larger value
     * is an error. Without a model the fitted default stays, said aloud. */
    bool explicit_window = cJSON_GetObjectItemCaseSensitive(sets, "max_context_tokens") != NULL;
    if (model) {
        llm_t llm;
        if (cfg_llm_load(model, NULL, 0, &llm, err, sizeof err)) {
            cli_input_error("--model %s: %s", model, err);
            goto done;
        }
        double window = llm.max_context_tokens;
        if (cfg.synth.max_context_tokens > window) {
            if (explicit_window) {
                cli_input_error("--set max_context_tokens: expected at most %s's %.0f-token window, got %.0f", llm.name,
                                window, cfg.synth.max_context_tokens);
                goto done;
            }
            cfg.synth.max_context_tokens = window;
        }
    } else if (!explicit_window) {
        fprintf(stderr,
                "kvtwin gen: warning: contexts up to %.0f tokens (the fitted default), longer than most models' "
                "window; pass --model NAME or --set max_context_tokens=N to cap them\n",
                cfg.synth.max_context_tokens);
    }
    char smsg[256];
    if (wl_synth_check(&cfg.synth, smsg, sizeof smsg)) {
        cli_input_error("--model %s: %s", model ? model : "", smsg);
        goto done;
    }
    cfg.format = wl_format_synthetic;
    cfg.replay = WL_OPEN_LOOP; /* the generator's own timeline */
    wl_source_t *src;
    if (wl_source_open(&src, &cfg, err, sizeof err)) {
        cli_input_error("%s", err);
        goto done;
    }
    /* The header records how the file was made. */
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "generator", "kvtwin gen " KVTWIN_VERSION);
    cJSON_AddNumberToObject(extra, "seed", (double)cfg.seed);
    cJSON *all = jb_to_json(&cfg_workload_spec, &cfg);
    cJSON_AddItemToObject(extra, "synth", cJSON_DetachItemFromObject(all, "synth"));
    cJSON_Delete(all);
    wl_native_writer_t *w;
    if (wl_native_create(&w, out, cfg.synth.block_tokens, extra, err, sizeof err)) {
        cJSON_Delete(extra);
        wl_source_close(src);
        cli_input_error("%s", err);
        goto done;
    }
    cJSON_Delete(extra);
    wl_request_t req = {0};
    wl_sess_info_t info;
    int got;
    uint64_t n = 0;
    while ((got = wl_source_next_info(src, &req, &info, err, sizeof err)) == 1) {
        const wl_run_t *runs;
        uint32_t nr = wl_source_last_runs(src, &runs);
        if (wl_native_write(w, &req, &info, runs, nr))
            break;
        n++;
    }
    wl_source_counts_t k;
    wl_source_counts(src, &k);
    wl_request_free(&req);
    wl_source_close(src);
    if (wl_native_close(w, err, sizeof err) || got < 0) {
        remove(out); /* no partial result left behind */
        cli_input_error("%s", err);
        rc = KVT_EXIT_FAIL;
        goto done;
    }
    fprintf(stderr, "kvtwin gen: wrote %llu requests of %llu sessions to %s\n", (unsigned long long)n,
            (unsigned long long)k.sessions, out);
    rc = KVT_EXIT_OK;
done:
    cJSON_Delete(sets);
    return rc;
}

const kvt_cmd_t kvt_cmd_gen = {
    .name = "gen",
    .summary = "synthetic agentic sessions written in the native trace format",
    .usage = usage,
    .main = cmd_main,
};
