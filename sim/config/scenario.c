/* Scenario loading: presets, --set, binding every section with its table, cross-section checks; see
 * scenario.h. Defaults are set before binding, so a scenario names only what it changes. */
#define _XOPEN_SOURCE 700 /* realpath, with POSIX 2008 */
#include "sim/config/scenario.h"

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/config/config_models.h"
#include "sim/kv/fetch.h"
#include "sim/kv/kv.h"
#include "sim/kv/policy.h"
#include "sim/kv/prefetch.h"
#include "sim/kv/write.h"
#include "sim/sched/admit.h"
#include "sim/sched/route.h"

static const char *const dtype_names[] = {"bf16", "fp8", "fp4", NULL};
static const char *const placement_names[] = {"packed", "spread", "topology-aware", NULL};
static const char *const batching_names[] = {"mixed", "prefill-first", NULL};
static const char *const first_token_names[] = {"decode", "prefill", NULL};

static int deploy_check(void *dst, jb_error_t *err)
{
    const sc_deploy_t *d = dst;
    if (plugin_validate(&sched_route_axis, d->router, d->router_params, err) != 0) {
        char rel[256];
        snprintf(rel, sizeof rel, "%s", err->path);
        snprintf(err->path, sizeof err->path, rel[0] ? "router_params.%s" : "router", rel);
        return -1;
    }
    if (plugin_validate(&sched_admit_axis, d->admission, d->admission_params, err) != 0) {
        char rel[256];
        snprintf(rel, sizeof rel, "%s", err->path);
        snprintf(err->path, sizeof err->path, rel[0] ? "admission_params.%s" : "admission", rel);
        return -1;
    }
    if (d->prefill_chunk_tokens > d->max_batch_tokens) {
        snprintf(err->path, sizeof err->path, "prefill_chunk_tokens");
        snprintf(err->msg, sizeof err->msg, "expected at most max_batch_tokens (%u), got %u", d->max_batch_tokens,
                 d->prefill_chunk_tokens);
        return -1;
    }
    return 0;
}

static const jb_field_t planner_fields[] = {
    JB_BOOLF(sc_planner_t, enabled, "move instances between the prefill and decode pools to meet the targets"),
    JB_DBL_POS(sc_planner_t, interval_s, 1e6, "s", "time between two decisions"),
    JB_DBL(sc_planner_t, switch_s, 0, 1e6, "s", "time an instance changing pool takes no new work"),
    JB_DBL_POS(sc_planner_t, ttft_target_s, 1e6, "s", "target mean TTFT over an interval"),
    JB_DBL_POS(sc_planner_t, tpot_target_s, 1e6, "s", "target mean TPOT over an interval"),
    JB_END,
};
static const jb_spec_t planner_spec = {"planner", planner_fields, NULL};

static const jb_field_t disagg_fields[] = {
    JB_BOOLF(sc_disagg_t, enabled, "split prefill and decode onto separate pools of instances"),
    JB_UINTF(sc_disagg_t, prefill_instances, 0, 1e6, "instances",
             "the prefill pool (instances 0 .. n-1); the decode pool is the rest (at least one each)"),
    JB_UINTF(sc_disagg_t, prefill_max_batch_seqs, 0, 1e6, "requests", "prefill pool batch; 0 = max_batch_seqs"),
    JB_UINTF(sc_disagg_t, prefill_max_batch_tokens, 0, 1e7, "tokens",
             "prefill pool tokens per iteration; 0 = max_batch_tokens"),
    JB_UINTF(sc_disagg_t, decode_max_batch_seqs, 0, 1e6, "requests", "decode pool batch; 0 = max_batch_seqs"),
    JB_UINTF(sc_disagg_t, decode_max_batch_tokens, 0, 1e7, "tokens",
             "decode pool tokens per iteration; 0 = max_batch_tokens"),
    JB_UINTF(sc_disagg_t, prefill_tp, 0, 1024, "GPUs", "prefill pool tensor parallelism; 0 = deployment.tp"),
    JB_UINTF(sc_disagg_t, decode_tp, 0, 1024, "GPUs", "decode pool tensor parallelism; 0 = deployment.tp"),
    JB_STR(sc_disagg_t, prefill_hardware,
           "hardware preset whose GPU (compute, HBM, power, NVLink) the prefill pool uses; empty = the pod's"),
    JB_STR(sc_disagg_t, decode_hardware, "hardware preset whose GPU the decode pool uses; empty = the pod's"),
    JB_BOOLF(sc_disagg_t, conditional,
             "prefill on the decode instance when the uncached part is short or the prefill queue long (Dynamo)"),
    JB_UINTF(sc_disagg_t, max_local_prefill_tokens, 0, 1e7, "tokens",
             "conditional: an uncached prompt part at most this long prefills on the decode instance"),
    JB_DBL(sc_disagg_t, max_prefill_queue, 0, 1e9, "requests",
           "conditional: waiting requests per prefill instance beyond which the decode instance prefills"),
    JB_CHOICEF(sc_disagg_t, first_token, first_token_names,
               "who returns the first token: decode (after the KV transfer; TTFT holds it) or prefill (DistServe)"),
    JB_OBJ(sc_disagg_t, planner, planner_spec, "moves instances between the pools at an interval (TTFT/TPOT targets)"),
    JB_END,
};
static const jb_spec_t disagg_spec = {"disagg", disagg_fields, NULL};

static const jb_field_t deploy_fields[] = {
    JB_UINTF(sc_deploy_t, tp, 1, 1024, "GPUs", "tensor-parallel degree"),
    JB_UINTF(sc_deploy_t, pp, 1, 1024, "GPUs", "pipeline-parallel degree"),
    JB_UINTF(sc_deploy_t, ep, 1, 1024, "GPUs", "expert-parallel degree (MoE)"),
    JB_UINTF(sc_deploy_t, instances, 0, 1e6, "instances", "model replicas; 0 = as many as the pod's GPUs hold"),
    JB_CHOICEF(sc_deploy_t, weight_dtype, dtype_names, "weight precision"),
    JB_CHOICEF(sc_deploy_t, kv_dtype, dtype_names, "KV cache precision"),
    JB_CHOICEF(sc_deploy_t, compute_dtype, dtype_names, "tensor-core precision of the matmuls"),
    JB_UINTF(sc_deploy_t, max_batch_seqs, 1, 1e6, "requests", "running requests per instance"),
    JB_UINTF(sc_deploy_t, max_batch_tokens, 1, 1e7, "tokens", "tokens per iteration (decodes + prefill chunks)"),
    JB_UINTF(sc_deploy_t, prefill_chunk_tokens, 1, 1e7, "tokens", "largest prefill chunk of one request per iteration"),
    JB_DBL(sc_deploy_t, activation_reserve_fraction, 0, 0.9, "fraction", "HBM kept for activations and workspace"),
    JB_PLUGINF(sc_deploy_t, router, sched_route_axis, "how requests are spread over instances"),
    JB_JSONF(sc_deploy_t, router_params,
             "routing policy parameters (kv-aware: overlap_score_weight, load_weight, tier weights, event_lag_s)"),
    JB_PLUGINF(sc_deploy_t, admission, sched_admit_axis,
               "which waiting request enters the batch and how much G1 it reserves: fcfs (whole output, no "
               "preemption) or paged (block by block, watermark, preemption)"),
    JB_JSONF(sc_deploy_t, admission_params, "admission policy parameters (paged: watermark_fraction, preemption)"),
    JB_CHOICEF(sc_deploy_t, placement, placement_names,
               "instances on GPUs: packed (in index order), spread (round robin over NVLink domains), "
               "topology-aware (each NVLink domain gets prefill and decode instances in the pools' ratio)"),
    JB_CHOICEF(sc_deploy_t, batching, batching_names,
               "mixed: decodes and prefill chunks share an iteration (chunked prefill); prefill-first: an "
               "iteration with a prefill to run holds prefills only and the decodes stall (vLLM before chunked "
               "prefill)"),
    JB_OBJ(sc_deploy_t, disagg, disagg_spec, "prefill/decode disaggregation: pools, per-pool batching, conditional"),
    JB_END,
};
static const jb_spec_t deploy_spec = {"deployment", deploy_fields, deploy_check};

static int tier_check(void *dst, jb_error_t *err)
{
    const sc_kv_tier_t *t = dst;
    if (t->policy[0] && kv_policy_validate(t->policy, t->params, err) != 0) {
        char rel[256];
        snprintf(rel, sizeof rel, "%s", err->path);
        if (rel[0])
            snprintf(err->path, sizeof err->path, "params.%s", rel);
        else
            snprintf(err->path, sizeof err->path, "policy");
        return -1;
    }
    return 0;
}

static const jb_field_t tier_fields[] = {
    JB_BOOLF(sc_kv_tier_t, enabled, "whether the tier holds KV"),
    JB_DBL(sc_kv_tier_t, capacity_bytes, 0, 1e21, "bytes",
           "KV capacity per tier instance; 0 = what the hardware gives"),
    JB_STR(sc_kv_tier_t, policy, "eviction policy (kvtwin policies)"),
    JB_JSONF(sc_kv_tier_t, params, "eviction policy parameters"),
    JB_BOOLF(sc_kv_tier_t, inclusive, "keep a copy here when a block is promoted to G1"),
    JB_END,
};
static const jb_spec_t tier_spec = {"tier", tier_fields, tier_check};

static const char *const load_overlap_names[] = {"blocking", "layerwise", NULL};

static const jb_field_t kv_fields[] = {
    JB_UINTF(sc_kv_t, block_tokens, 0, 65536, "tokens", "tokens per KV block; 0 = the workload's block size"),
/* One object per tier, keyed by the tier table's config key, bound into kv.tier[id]. */
#define SC_TIER_FIELD(id, name, key, scope, endpoint, energy, label, help)                                             \
    {key, JB_OBJECT, offsetof(sc_kv_t, tier[KV_##id]), sizeof(sc_kv_tier_t), 0, 0, 0, NULL, &tier_spec, NULL, help},
    KV_TIER_TABLE(SC_TIER_FIELD)
#undef SC_TIER_FIELD
        JB_PLUGINF(sc_kv_t, write_policy, kv_write_axis, "when blocks are written to lower tiers"),
    JB_PLUGINF(sc_kv_t, fetch, kv_fetch_axis,
               "fetch-or-recompute: compare load and recompute time, or always/never load"),
    JB_PLUGINF(sc_kv_t, prefetch, kv_prefetch_axis, "what to stage into a faster tier ahead of use, and when"),
    JB_JSONF(sc_kv_t, prefetch_params, "prefetch policy parameters (kvtwin policies NAME lists them)"),
    JB_UINTF(sc_kv_t, transfer_workers, 1, 256, "transfers", "concurrent KV loads per instance (DMA queues)"),
    JB_UINTF(sc_kv_t, writeback_workers, 1, 256, "transfers", "concurrent write-backs per domain"),
    JB_DBL(sc_kv_t, writeback_coalesce_ms, 0, 60000, "ms",
           "background write-backs and prestages of one link pair and tier hop submitted within one flush interval "
           "of this length move as one flow at its end; 0 = one flow each, at once"),
    JB_CHOICEF(sc_kv_t, load_overlap, load_overlap_names,
               "blocking: a request prefills once all its KV has arrived; layerwise: it joins the iteration its "
               "load ends in, which takes the longer of load and compute per layer"),
    JB_BOOLF(sc_kv_t, peer_g2,
             "peer KV: a request may load the blocks after its cached prefix from another domain's G2 over the "
             "fabric when that beats recomputing them"),
    JB_END,
};
static const jb_spec_t kv_spec = {"kv", kv_fields, NULL};

static const jb_field_t sim_fields[] = {
    JB_DBL(sc_sim_t, duration_s, 0, 1e9, "s", "no arrivals after this time; 0 = until the workload ends"),
    JB_DBL(sc_sim_t, warmup_s, 0, 1e9, "s", "the metrics window starts here"),
    JB_DBL_POS(sc_sim_t, sample_interval_s, 1e9, "s", "time-series interval"),
    JB_DBL(sc_sim_t, max_sim_s, 0, 1e9, "s", "hard stop of simulated time; 0 = none"),
    JB_BOOLF(sc_sim_t, drain, "let admitted requests finish after the last arrival"),
    JB_BOOLF(sc_sim_t, fast_forward,
             "run a decode-only batch to its next change in one timed wait (false: one event per decode step, "
             "for checking; same results, slower)"),
    JB_DBL_POS(sc_sim_t, slo_ttft_s, 1e6, "s", "goodput SLO on time to first token"),
    JB_DBL_POS(sc_sim_t, slo_tpot_s, 1e6, "s", "goodput SLO on time per output token"),
    JB_END,
};
static const jb_spec_t sim_spec = {"sim", sim_fields, NULL};

static const jb_field_t output_fields[] = {
    JB_STR(sc_output_t, dir, "results folder; empty = results/<name>"),
    JB_BOOLF(sc_output_t, per_request, "write the per-request table to run.h5"),
    JB_BOOLF(sc_output_t, timeseries, "write the time series to run.h5"),
    JB_END,
};
static const jb_spec_t output_spec = {"output", output_fields, NULL};

static const jb_field_t scenario_fields[] = {
    JB_STR(scenario_t, name, "scenario name (results folder name)"),
    JB_STR(scenario_t, description, "one line on what the scenario is for"),
    JB_U64F(scenario_t, seed, 0, 9007199254740992.0, NULL, "run seed: every random stream derives from it"),
    {"hardware", JB_OBJECT, offsetof(scenario_t, hw), sizeof(hw_pod_t), 0, 0, JB_REQUIRED, NULL, &cfg_hw_pod_spec, NULL,
     "hardware preset name or {\"preset\": NAME, overrides...}"},
    {"model", JB_OBJECT, offsetof(scenario_t, model), sizeof(llm_t), 0, 0, JB_REQUIRED, NULL, &cfg_llm_spec, NULL,
     "model preset name or {\"preset\": NAME, overrides...}"},
    {"deployment", JB_OBJECT, offsetof(scenario_t, deploy), sizeof(sc_deploy_t), 0, 0, 0, NULL, &deploy_spec, NULL,
     "parallelism, precision and batching of each instance"},
    JB_OBJ(scenario_t, kv, kv_spec, "KV tiers, policies and transfers"),
    JB_OBJ(scenario_t, workload, cfg_workload_spec, "trace or generator and replay mode"),
    JB_OBJ(scenario_t, sim, sim_spec, "simulated time and metrics window"),
    JB_OBJ(scenario_t, output, output_spec, "what is written and where"),
    JB_JSONAF(scenario_t, faults,
              "faults to inject: [{at_s, target (icms:E, icms:E/drive:D, g4:S, link:NAME, leaf:L, node:N), "
              "duration_s}]"),
    JB_END,
};
const jb_spec_t cfg_scenario_spec = {"scenario", scenario_fields, NULL};

static void tier_defaults(sc_kv_tier_t *t, bool enabled, bool inclusive)
{
    memset(t, 0, sizeof *t);
    t->enabled = enabled;
    t->inclusive = inclusive;
    snprintf(t->policy, sizeof t->policy, "lru");
}

static void scenario_defaults(scenario_t *sc)
{
    sc->seed = 1;
    hw_pod_defaults(&sc->hw);
    llm_defaults(&sc->model);
    sc->deploy = (sc_deploy_t){
        .tp = 8,
        .pp = 1,
        .ep = 1,
        .instances = 0,
        .weight_dtype = LLM_DT_FP8,
        .kv_dtype = LLM_DT_FP8,
        .compute_dtype = LLM_DT_FP8,
        .max_batch_seqs = 256,
        .max_batch_tokens = 8192,
        .prefill_chunk_tokens = 8192,
        .activation_reserve_fraction = 0.1,
        .router = "session-affinity",
        .admission = "fcfs",
        .disagg = {.max_local_prefill_tokens = 512,
                   .max_prefill_queue = 8,
                   .planner = {.interval_s = 30, .switch_s = 30, .ttft_target_s = 1.0, .tpot_target_s = 0.05}},
    };
    /* G1 is exclusive: a block promoted from it has nowhere faster to go. */
    static const struct {
        bool enabled, inclusive;
    } tier_default[KV_NTIERS] = {
        [KV_G1] = {true, false}, [KV_G2] = {true, true},  [KV_G3] = {false, true},
        [KV_G35] = {true, true}, [KV_G4] = {false, true},
    };
    for (int t = 0; t < KV_NTIERS; t++)
        tier_defaults(&sc->kv.tier[t], tier_default[t].enabled, tier_default[t].inclusive);
    snprintf(sc->kv.write_policy, sizeof sc->kv.write_policy, "write-back");
    snprintf(sc->kv.fetch, sizeof sc->kv.fetch, "cost");
    snprintf(sc->kv.prefetch, sizeof sc->kv.prefetch, "none");
    sc->kv.transfer_workers = 4;
    sc->kv.writeback_workers = 2;
    sc->sim =
        (sc_sim_t){.sample_interval_s = 1.0, .drain = true, .fast_forward = true, .slo_ttft_s = 2.0, .slo_tpot_s = 0.1};
    sc->output = (sc_output_t){.per_request = true, .timeseries = true};
    wl_config_defaults(&sc->workload);
}

static void name_from_path(char *out, size_t len, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, len, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

static int scenario_fail(scenario_t *sc, const char *path, const char *msg, char *err, size_t errlen)
{
    cfg_doc_error(&sc->doc, path, msg, err, errlen);
    return -1;
}

/* True if the merged tree holds a value at a.b.c (b, c may be NULL). */
static bool scenario_has(const scenario_t *sc, const char *a, const char *b, const char *c)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(sc->doc.root, a);
    if (x && b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    if (x && c)
        x = cJSON_GetObjectItemCaseSensitive(x, c);
    return x != NULL;
}

/* "kv.<key>.<leaf>": the JSON path of a tier's setting. */
static const char *tier_path(char *buf, size_t len, int tier, const char *leaf)
{
    snprintf(buf, len, "kv.%s.%s", kv_tiers[tier].key, leaf);
    return buf;
}

/* The keys the user gave (the scenario file and --set, not preset files) directly under section (a dotted
 * path such as "hardware.icms"). Calls fn for each; stops at the first non-zero return and returns it. */
typedef int (*user_key_fn)(const char *key, const cJSON *value, void *ctx);

static int scenario_user_keys(const scenario_t *sc, const char *section, user_key_fn fn, void *ctx)
{
    for (int i = 0; i < sc->doc.nsrc; i++) {
        const cfg_source_t *s = &sc->doc.src[i];
        bool is_set = strncmp(s->label, "--set ", 6) == 0;
        if (s->mount[0] && !is_set)
            continue; /* a preset file */
        size_t ml = strlen(s->mount), sl = strlen(section);
        cJSON *root = cJSON_Parse(s->text);
        if (!root)
            continue;
        const cJSON *obj = NULL;
        int rc = 0;
        if (ml < sl && (ml == 0 || (strncmp(section, s->mount, ml) == 0 && section[ml] == '.'))) {
            /* The source holds the section somewhere inside it. */
            char rest[256];
            snprintf(rest, sizeof rest, "%s", ml ? section + ml + 1 : section);
            obj = root;
            for (char *save = NULL, *t = strtok_r(rest, ".", &save); t && obj; t = strtok_r(NULL, ".", &save))
                obj = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, t) : NULL;
        } else if (ml == sl && strcmp(s->mount, section) == 0) {
            obj = root;
        } else if (ml > sl && strncmp(s->mount, section, sl) == 0 && s->mount[sl] == '.') {
            /* --set section.key[.more]=value */
            char key[128];
            snprintf(key, sizeof key, "%s", s->mount + sl + 1);
            key[strcspn(key, ".")] = '\0';
            rc = fn(key, strchr(s->mount + sl + 1, '.') ? NULL : root, ctx);
        }
        for (const cJSON *k = cJSON_IsObject(obj) ? obj->child : NULL; k && !rc; k = k->next)
            rc = fn(k->string, k, ctx);
        cJSON_Delete(root);
        if (rc)
            return rc;
    }
    return 0;
}

typedef struct absent_scan {
    const char *switch_key; /* "present" or "enabled" */
    bool switched_off;      /* the user wrote switch_key: false */
    char first[128];        /* first other key the user gave */
} absent_scan_t;

static int absent_scan_fn(const char *key, const cJSON *value, void *ctx)
{
    absent_scan_t *a = ctx;
    if (strcmp(key, a->switch_key) == 0) {
        if (value && cJSON_IsFalse(value))
            a->switched_off = true;
    } else if (!a->first[0]) {
        snprintf(a->first, sizeof a->first, "%s", key);
    }
    return 0;
}

/* Settings for hardware the pod lacks would be ignored without a word: the user gave keys of the hardware
 * section (hardware.icms) or of its KV tier (kv.g35) while the preset has none and nothing says it was
 * switched off on purpose (hardware.icms.present=false or kv.g35.enabled=false, as a study variant does). */
static int scenario_absent_hw(scenario_t *sc, const char *hw_section, const char *tier_section, const char *what,
                              char *err, size_t errlen)
{
    absent_scan_t h = {"present", false, ""}, t = {"enabled", false, ""};
    scenario_user_keys(sc, hw_section, absent_scan_fn, &h);
    scenario_user_keys(sc, tier_section, absent_scan_fn, &t);
    if (h.switched_off || t.switched_off || (!h.first[0] && !t.first[0]))
        return 0;
    char path[300], msg[512];
    if (h.first[0])
        snprintf(path, sizeof path, "%s.%s", hw_section, h.first);
    else
        snprintf(path, sizeof path, "%s.%s", tier_section, t.first);
    snprintf(msg, sizeof msg,
             "this hardware has no %s (%s.present is false), so the setting would be ignored; set %s.present=true "
             "with its values, or remove the key",
             what, hw_section, hw_section);
    return scenario_fail(sc, path, msg, err, errlen);
}

/* True if the run generates its workload (no trace to read). */
static bool scenario_generated(const scenario_t *sc)
{
    return sc->workload.format == wl_format_synthetic || (sc->workload.format == WL_FMT_AUTO && !sc->workload.path[0]);
}

/* A section whose settings would change nothing: the first key the user gave under it fails with `why`,
 * unless the user also wrote switch_key: false (a study variant switching the feature off; "" for none). */
static int scenario_unused_keys(scenario_t *sc, const char *section, const char *switch_key, const char *why, char *err,
                                size_t errlen)
{
    absent_scan_t a = {switch_key, false, ""};
    scenario_user_keys(sc, section, absent_scan_fn, &a);
    if (a.switched_off || !a.first[0])
        return 0;
    char path[300];
    snprintf(path, sizeof path, "%s.%s", section, a.first);
    return scenario_fail(sc, path, why, err, errlen);
}

/* Keys of deployment.disagg while disaggregation is off would change nothing: an error, unless the user also
 * switched it off in so many words (deployment.disagg.enabled: false, as a study variant of a disaggregated
 * base does). */
static int scenario_disagg_off(scenario_t *sc, char *err, size_t errlen)
{
    if (sc->deploy.disagg.enabled)
        return 0;
    return scenario_unused_keys(sc, "deployment.disagg", "enabled",
                                "disaggregation is off (deployment.disagg.enabled is false), so the setting would be "
                                "ignored; set deployment.disagg.enabled: true, or remove the key",
                                err, errlen);
}

/* A tier given more capacity than its hardware holds would be simulated, and priced, as if it existed. */
static int scenario_tier_capacity(scenario_t *sc, char *err, size_t errlen)
{
    const hw_pod_t *hw = &sc->hw;
    double inst_gpus = (double)sc->deploy.tp * sc->deploy.pp;
    double npd = inst_gpus > hw->node.gpus ? ceil(inst_gpus / hw->node.gpus) : 1;
    struct {
        const sc_kv_tier_t *t;
        const char *key;
        double have;
        const char *what;
    } tiers[] = {
        {&sc->kv.tier[KV_G1], "kv.g1.capacity_bytes", inst_gpus * hw->gpu.hbm_capacity_bytes,
         "HBM per instance (hardware.gpu.hbm_capacity_bytes x tp x pp)"},
        {&sc->kv.tier[KV_G2], "kv.g2.capacity_bytes", npd * hw->node.dram_capacity_bytes,
         "host DRAM per domain (hardware.node.dram_capacity_bytes x nodes per instance)"},
        {&sc->kv.tier[KV_G3], "kv.g3.capacity_bytes", npd * hw->node.nvme_drives * hw->node.nvme_capacity_bytes,
         "local NVMe per domain (hardware.node.nvme_drives x nvme_capacity_bytes)"},
        {&sc->kv.tier[KV_G35], "kv.g35.capacity_bytes",
         hw->icms.present ? (double)hw->icms.enclosures * hw->icms.dpus_per_enclosure * hw->icms.capacity_per_dpu_bytes
                          : 0,
         "ICMS flash (hardware.icms enclosures x dpus_per_enclosure x capacity_per_dpu_bytes)"},
        {&sc->kv.tier[KV_G4], "kv.g4.capacity_bytes", hw->g4.present ? hw->g4.capacity_bytes : 0,
         "shared storage (hardware.g4.capacity_bytes)"},
    };
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++) {
        if (!tiers[i].t->enabled || !(tiers[i].t->capacity_bytes > tiers[i].have * (1 + 1e-12)))
            continue;
        char msg[512];
        snprintf(msg, sizeof msg, "expected at most the %.4g bytes of %s, got %.4g", tiers[i].have, tiers[i].what,
                 tiers[i].t->capacity_bytes);
        return scenario_fail(sc, tiers[i].key, msg, err, errlen);
    }
    if (sc->kv.tier[KV_G3].enabled && hw->node.nvme_drives == 0)
        return scenario_fail(sc, "kv.g3.enabled", "G3 needs local NVMe: hardware.node.nvme_drives is 0", err, errlen);
    return 0;
}

/* Per-pool parallelism and hardware of deployment.disagg: each pool's TP against the model, and the GPU of each
 * pool (the pod's, or that of the hardware preset the pool names) into sc->pool_gpu. */
static int scenario_pools(scenario_t *sc, char *err, size_t errlen)
{
    sc_disagg_t *dg = &sc->deploy.disagg;
    const char *names[2] = {dg->prefill_hardware, dg->decode_hardware};
    const uint32_t tps[2] = {dg->prefill_tp, dg->decode_tp};
    static const char *const pool[2] = {"prefill", "decode"};
    char path[64], msg[1400];
    for (int k = 0; k < 2; k++) {
        sc->pool_gpu[k] = sc->hw.gpu;
        if (!dg->enabled)
            continue; /* the pod's GPU and TP; a per-pool key is then an error unless enabled: false is written
                         (scenario_disagg_off), as for every key of deployment.disagg */
        if (tps[k]) {
            llm_parallel_t par = {tps[k], sc->deploy.pp, sc->deploy.ep};
            if (llm_check_parallel(&sc->model, &par, msg, sizeof msg)) {
                snprintf(path, sizeof path, "deployment.disagg.%s_tp", pool[k]);
                return scenario_fail(sc, path, msg, err, errlen);
            }
        }
        if (!names[k][0])
            continue;
        hw_pod_t hw;
        char why[1024];
        snprintf(path, sizeof path, "deployment.disagg.%s_hardware", pool[k]);
        if (strchr(names[k], '/') || strstr(names[k], ".json")) {
            snprintf(msg, sizeof msg, "expected a hardware preset name (a file of configs/hardware), got \"%s\"",
                     names[k]);
            return scenario_fail(sc, path, msg, err, errlen);
        }
        if (cfg_hw_load(names[k], NULL, 0, &hw, why, sizeof why)) {
            snprintf(msg, sizeof msg, "%s", why);
            return scenario_fail(sc, path, msg, err, errlen);
        }
        sc->pool_gpu[k] = hw.gpu;
    }
    return 0;
}

/* Checks that need more than one section. */
static int scenario_cross_check(scenario_t *sc, char *err, size_t errlen)
{
    char msg[512];
    if (sc->workload.format == wl_format_synthetic && sc->workload.path[0])
        return scenario_fail(sc, "workload.path",
                             "workload.format is synthetic, which reads no file; expected format auto (or the "
                             "trace's format) to replay this path, or no path",
                             err, errlen);
    /* Generated contexts stay within the model's window: the generator's default (fitted to recorded
     * sessions, up to 880K tokens) is capped; an explicit larger value is an error. A trace's run leaves the
     * generator's section alone: capped there, it no longer passed its own check when the resolved scenario
     * was loaded back (the cap put max_context_tokens below the default prompts on a 2,048-token model). */
    bool generated = scenario_generated(sc);
    /* The generator's settings while a trace is replayed would change nothing. */
    if (!generated && scenario_unused_keys(sc, "workload.synth", "",
                                           "the workload is a trace (workload.path), which the generator's settings "
                                           "do not change; remove the key, or generate the workload (no path, "
                                           "format synthetic)",
                                           err, errlen))
        return -1;
    double window = sc->model.max_context_tokens;
    if (generated && window > 0 && sc->workload.synth.max_context_tokens > window) {
        if (scenario_has(sc, "workload", "synth", "max_context_tokens")) {
            snprintf(msg, sizeof msg, "expected at most the model's context window (%.0f tokens), got %.0f", window,
                     sc->workload.synth.max_context_tokens);
            return scenario_fail(sc, "workload.synth.max_context_tokens", msg, err, errlen);
        }
        sc->workload.synth.max_context_tokens = window;
        if (wl_synth_check(&sc->workload.synth, msg, sizeof msg)) {
            char full[700];
            snprintf(full, sizeof full, "capped at the model's %.0f-token window: %s", window, msg);
            return scenario_fail(sc, "workload.synth.max_context_tokens", full, err, errlen);
        }
    }
    llm_parallel_t par = {sc->deploy.tp, sc->deploy.pp, sc->deploy.ep};
    if (llm_check_parallel(&sc->model, &par, msg, sizeof msg))
        return scenario_fail(sc, "deployment.tp", msg, err, errlen);
    if (scenario_pools(sc, err, errlen) || scenario_disagg_off(sc, err, errlen))
        return -1;
    char path[64];
    if (!sc->kv.tier[KV_G1].enabled) {
        snprintf(msg, sizeof msg, "%s must hold the running requests' KV", kv_tiers[KV_G1].label);
        return scenario_fail(sc, tier_path(path, sizeof path, KV_G1, "enabled"), msg, err, errlen);
    }
    if (sc->kv.tier[KV_G35].enabled && !sc->hw.icms.present) {
        snprintf(msg, sizeof msg, "%s needs hardware.icms.present", kv_tier_name(KV_G35));
        return scenario_fail(sc, tier_path(path, sizeof path, KV_G35, "enabled"), msg, err, errlen);
    }
    const kv_prefetch_ops_t *pf = kv_prefetch_find(sc->kv.prefetch);
    bool tier_on[KV_NTIERS];
    for (int t = 0; t < KV_NTIERS; t++)
        tier_on[t] = sc->kv.tier[t].enabled;
    jb_error_t jerr;
    memset(&jerr, 0, sizeof jerr);
    void *pf_params = plugin_bind(&pf->base, sc->kv.prefetch_params, &jerr);
    if (!pf_params) {
        char ppath[300];
        snprintf(ppath, sizeof ppath, "kv.prefetch_params%s%s", jerr.path[0] ? "." : "", jerr.path);
        return scenario_fail(sc, ppath, jerr.msg, err, errlen);
    }
    int pf_bad = pf->check ? pf->check(pf_params, tier_on, msg, sizeof msg) : 0;
    free(pf_params);
    if (pf_bad)
        return scenario_fail(sc, "kv.prefetch", msg, err, errlen);
    if (sc->kv.tier[KV_G4].enabled && !sc->hw.g4.present) {
        snprintf(msg, sizeof msg, "%s needs hardware.g4.present", kv_tier_name(KV_G4));
        return scenario_fail(sc, tier_path(path, sizeof path, KV_G4, "enabled"), msg, err, errlen);
    }
    if (sc->sim.warmup_s > 0 && sc->sim.duration_s > 0 && sc->sim.warmup_s >= sc->sim.duration_s)
        return scenario_fail(sc, "sim.warmup_s", "expected a warm-up shorter than sim.duration_s", err, errlen);
    if (!sc->hw.icms.present && scenario_absent_hw(sc, "hardware.icms", "kv.g35", "ICMS tier (G3.5)", err, errlen))
        return -1;
    if (!sc->hw.g4.present && scenario_absent_hw(sc, "hardware.g4", "kv.g4", "shared storage (G4)", err, errlen))
        return -1;
    return scenario_tier_capacity(sc, err, errlen);
}

static int scenario_finish(scenario_t *sc, const char *const *sets, int nsets, long long seed_override, char *err,
                           size_t errlen)
{
    cfg_doc_t *d = &sc->doc;
    cfg_doc_normalize_preset(d, "hardware");
    cfg_doc_normalize_preset(d, "model");
    for (int i = 0; i < nsets; i++)
        if (cfg_doc_set(d, sets[i], err, errlen))
            return -1;
    /* --set model=NAME switches the preset. */
    cfg_doc_normalize_preset(d, "hardware");
    cfg_doc_normalize_preset(d, "model");
    if (cfg_doc_resolve_preset(d, "hardware", "hardware", err, errlen) ||
        cfg_doc_resolve_preset(d, "model", "models", err, errlen))
        return -1;
    jb_error_t e;
    if (jb_bind(&cfg_scenario_spec, d->root, sc, "", &e))
        return scenario_fail(sc, e.path, e.msg, err, errlen);
    /* G3.5 is on by default, but only where the hardware has an ICMS tier, unless asked for explicitly. */
    if (!sc->hw.icms.present && !scenario_has(sc, "kv", kv_tiers[KV_G35].key, "enabled"))
        sc->kv.tier[KV_G35].enabled = false;
    if (seed_override >= 0)
        sc->seed = (uint64_t)seed_override;
    sc->workload.seed = sc->seed;
    if (sc->workload.path[0] && sc->workload.path[0] != '/') {
        char dir[1024], full[2100];
        cfg_doc_origin_dir(d, "workload.path", dir, sizeof dir);
        snprintf(full, sizeof full, "%s/%s", dir, sc->workload.path);
        if (strlen(full) >= sizeof sc->workload.path)
            return scenario_fail(sc, "workload.path", "path too long", err, errlen);
        /* Absolute where the file exists, so that the resolved scenario (scenario.json of the results) names
         * the same trace wherever it is loaded from; a missing file keeps the joined path for its error. */
        char abs[PATH_MAX];
        if (realpath(full, abs) && strlen(abs) < sizeof sc->workload.path)
            snprintf(full, sizeof full, "%s", abs);
        snprintf(sc->workload.path, sizeof sc->workload.path, "%s", full);
    }
    return scenario_cross_check(sc, err, errlen);
}

int scenario_load(scenario_t *sc, const char *path, const char *const *sets, int nsets, long long seed_override,
                  char *err, size_t errlen)
{
    memset(sc, 0, sizeof *sc);
    scenario_defaults(sc);
    name_from_path(sc->name, sizeof sc->name, path);
    if (cfg_doc_load(&sc->doc, path, err, errlen))
        return -1;
    return scenario_finish(sc, sets, nsets, seed_override, err, errlen);
}

int scenario_from_json(scenario_t *sc, cJSON *root, const char *label, const char *dir, const char *const *sets,
                       int nsets, long long seed_override, char *err, size_t errlen)
{
    memset(sc, 0, sizeof *sc);
    scenario_defaults(sc);
    name_from_path(sc->name, sizeof sc->name, label);
    cfg_doc_init_from(&sc->doc, root, label, dir);
    return scenario_finish(sc, sets, nsets, seed_override, err, errlen);
}

cJSON *scenario_to_json(const scenario_t *sc)
{
    cJSON *j = jb_to_json(&cfg_scenario_spec, sc);
    /* A trace's run has no generator: its section is left out, so that the file loads back (written, those
     * keys are an error next to a trace). */
    cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "workload");
    if (w && !scenario_generated(sc))
        cJSON_DeleteItemFromObjectCaseSensitive(w, "synth");
    return j;
}

void scenario_free(scenario_t *sc)
{
    cfg_doc_free(&sc->doc);
}
