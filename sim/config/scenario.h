/* A scenario: everything one simulation run needs, resolved from a scenario file, the presets it names
 * and --set overrides. Sections: hardware (models/hw.h), model (models/llm.h), deployment, kv, workload
 * (workloads/source.h), sim, output. The resolved JSON is kept and saved with every result. */
#ifndef KVTWIN_SCENARIO_H
#define KVTWIN_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "models/hw.h"
#include "models/llm.h"
#include "models/steptime.h"
#include "sim/base/jsonbind.h"
#include "sim/config/config.h"
#include "sim/kv/tier.h"
#include "workloads/source.h"

/* Prefill/decode disaggregation (deployment.disagg, issue 12): instances [0, prefill_instances) prefill,
 * the rest decode; a request's KV moves from its prefill to its decode instance as one transfer. */
/* The planner (deployment.disagg.planner): moves instances between the pools to meet latency targets. */
typedef struct sc_planner {
    bool enabled;
    double interval_s;    /* how often it decides */
    double switch_s;      /* an instance that changes pool takes no new work of either pool for this long */
    double ttft_target_s; /* mean TTFT of the requests completed in an interval */
    double tpot_target_s; /* mean TPOT of the same */
} sc_planner_t;

/* deployment.disagg.first_token: decode: the first token reaches the client when the KV has landed on the
 * decode instance (Dynamo, vLLM's disaggregated prefill), so TTFT holds the transfer and the wait for decode
 * room; prefill: the prefill instance returns it as soon as the prompt is done (DistServe), so that wait
 * shows in the gap to the second token, i.e. in TPOT. */
typedef enum sc_first_token { SC_FIRST_TOKEN_DECODE = 0, SC_FIRST_TOKEN_PREFILL } sc_first_token_t;

typedef struct sc_disagg {
    bool enabled;
    uint32_t prefill_instances;        /* size of the prefill pool; the decode pool is the rest */
    uint32_t prefill_max_batch_seqs;   /* per-pool batching; 0 = deployment.max_batch_seqs */
    uint32_t prefill_max_batch_tokens; /* 0 = deployment.max_batch_tokens */
    uint32_t decode_max_batch_seqs;
    uint32_t decode_max_batch_tokens;
    uint32_t prefill_tp, decode_tp; /* per-pool tensor parallelism; 0 = deployment.tp */
    char prefill_hardware[32]; /* per-pool GPU: a hardware preset whose GPU the pool's instances use; "" = the pod's */
    char decode_hardware[32];
    bool conditional;                  /* prefill on the decode instance when it is cheap (Dynamo) */
    uint32_t max_local_prefill_tokens; /* conditional: an uncached part at most this long prefills locally */
    double max_prefill_queue;          /* conditional: or when the prefill pool's queue per instance exceeds this */
    int first_token;                   /* sc_first_token_t: which instance hands the first token to the client */
    sc_planner_t planner;
} sc_disagg_t;

/* deployment.placement: how instance indices map onto the pod's GPU slots (NVLink domains, nodes). */
typedef enum sc_placement { SC_PLACE_PACKED = 0, SC_PLACE_SPREAD, SC_PLACE_TOPOLOGY } sc_placement_t;
/* mixed: decodes and prefill chunks share an iteration (chunked prefill); prefill-first: an iteration with a
 * prefill to run holds prefills only, the decodes wait for the next one (vLLM before chunked prefill). */
typedef enum sc_batching { SC_BATCH_MIXED = 0, SC_BATCH_PREFILL_FIRST } sc_batching_t;

typedef struct sc_deploy {
    uint32_t tp, pp, ep;
    uint32_t instances; /* model replicas; 0 = as many as the pod's GPUs hold */
    int weight_dtype;   /* llm_dtype_t */
    int kv_dtype;
    int compute_dtype;
    uint32_t max_batch_seqs;            /* running requests per instance */
    uint32_t max_batch_tokens;          /* tokens per iteration (decode + prefill chunk) */
    uint32_t prefill_chunk_tokens;      /* largest prefill chunk per request per iteration */
    double activation_reserve_fraction; /* share of HBM kept for activations and workspace */
    char router[32];                    /* routing policy (sim/sched/route.h registry) */
    const cJSON *router_params;         /* its parameters (borrowed from the scenario tree), or NULL */
    char admission[32];                 /* admission policy (sim/sched/admit.h registry): fcfs or paged */
    const cJSON *admission_params;      /* its parameters (borrowed from the scenario tree), or NULL */
    sc_disagg_t disagg;                 /* prefill/decode pools (off by default) */
    int placement;                      /* sc_placement_t: which GPUs each instance takes */
    int batching;                       /* sc_batching_t: how an iteration mixes prefills and decodes */
} sc_deploy_t;

typedef struct sc_kv_tier {
    bool enabled;
    double capacity_bytes; /* 0 = what the hardware gives */
    char policy[32];
    const cJSON *params; /* policy parameters (borrowed from the scenario tree), or NULL */
    bool inclusive;
} sc_kv_tier_t;

typedef struct sc_kv {
    uint32_t block_tokens;        /* 0 = the workload's own block size */
    sc_kv_tier_t tier[KV_NTIERS]; /* by tier id (sim/kv/tier.h); JSON keys kv.g1 ... kv.g4 */
    char write_policy[32];        /* write policy (sim/kv/write.h registry) */
    char fetch[32];               /* fetch-or-recompute policy (sim/kv/fetch.h registry) */
    char prefetch[32];            /* prefetch policy (sim/kv/prefetch.h registry) */
    const cJSON *prefetch_params; /* its parameters (borrowed from the scenario tree), or NULL */
    uint32_t transfer_workers;    /* concurrent KV transfers per instance (DMA queues) */
    uint32_t writeback_workers;   /* concurrent write-back transfers per domain */
    double writeback_coalesce_ms; /* background moves of one link pair joined per flush interval (0 = one flow each) */
    int load_overlap;             /* sc_load_overlap_t: blocking loads, or layer-wise pipelined with compute */
    bool peer_g2;                 /* peer KV: load blocks from another domain's G2 over the fabric (sim/core/peer.h) */
} sc_kv_t;

typedef enum sc_load_overlap { SC_LOAD_BLOCKING = 0, SC_LOAD_LAYERWISE } sc_load_overlap_t;

typedef struct sc_sim {
    double duration_s;        /* no arrivals after this (0 = until the workload ends) */
    double warmup_s;          /* metrics window starts here */
    double sample_interval_s; /* time-series interval */
    double max_sim_s;         /* hard stop of simulated time (0 = none) */
    bool drain;               /* let admitted requests finish after the last arrival */
    bool fast_forward;        /* decode-only batches run to their next change in one timed wait */
    double slo_ttft_s;        /* goodput: a request meets its SLO with TTFT and TPOT at most these */
    double slo_tpot_s;
} sc_sim_t;

typedef struct sc_output {
    char dir[512];    /* results folder; "" = results/<name> */
    bool per_request; /* per-request table in run.h5 */
    bool timeseries;  /* time series in run.h5 */
} sc_output_t;

typedef struct scenario {
    char name[64];
    char description[256];
    uint64_t seed;
    hw_pod_t hw;
    llm_t model;
    sc_deploy_t deploy;
    sc_kv_t kv;
    wl_config_t workload;
    sc_sim_t sim;
    sc_output_t output;
    const cJSON *faults;  /* [{at_s, target, duration_s}], borrowed from doc; checked by sim/core/faults.c */
    hw_gpu_t pool_gpu[2]; /* disaggregation: GPU of the prefill [0] and decode [1] pools (hardware.gpu unless
                           * deployment.disagg.*_hardware names another preset); resolved, not a key */
    cfg_doc_t doc;        /* the merged tree and its sources */
} scenario_t;

/* Binding tables of the sections, each owned by its module's config file. */
extern const jb_spec_t cfg_hw_pod_spec;   /* sim/config_hw.c */
extern const jb_spec_t cfg_llm_spec;      /* sim/config_llm.c */
extern const jb_spec_t cfg_workload_spec; /* sim/config_workload.c */
extern const jb_spec_t cfg_scenario_spec; /* sim/scenario.c: the top level */

/* Loads a scenario file, applies the --set assignments (sets[0..nsets)), resolves presets and validates
 * everything. seed_override >= 0 replaces the seed. Returns 0, or -1 with one line in err naming the
 * file:line:column and JSON path. */
int scenario_load(scenario_t *sc, const char *path, const char *const *sets, int nsets, long long seed_override,
                  char *err, size_t errlen);

/* Same from an in-memory JSON object (takes ownership), labelled for errors. */
int scenario_from_json(scenario_t *sc, cJSON *root, const char *label, const char *dir, const char *const *sets,
                       int nsets, long long seed_override, char *err, size_t errlen);

/* The resolved scenario as JSON (every key, defaults included). */
cJSON *scenario_to_json(const scenario_t *sc);

void scenario_free(scenario_t *sc);

#endif
