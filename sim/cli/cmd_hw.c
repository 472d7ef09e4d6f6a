/* kvtwin hw: the hardware presets and what they imply. `hw list` names every preset; `hw show` prints one
 * with its derived figures (tier capacities and aggregate bandwidths, KV tokens per tier for a model,
 * fabric size, idle and peak power, capex and dollars per hour) as text or JSON. Units on output: GB/TB,
 * GB/s, W/kW, USD. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "models/cost.h"
#include "models/hw.h"
#include "models/llm.h"
#include "models/power.h"
#include "models/steptime.h"
#include "sim/cli/cli.h"
#include "sim/config/config.h"
#include "sim/config/config_models.h"

#define HW_MAX_SETS 32

static int hw_list(void)
{
    char names[4096];
    cfg_list_presets("hardware", names, sizeof names);
    printf("%-20s %6s  %-20s %s\n", "preset", "GPUs", "GPU", "description");
    char *save = NULL;
    for (char *n = strtok_r(names, ", ", &save); n; n = strtok_r(NULL, ", ", &save)) {
        hw_pod_t p;
        char err[1024];
        if (cfg_hw_load(n, NULL, 0, &p, err, sizeof err)) {
            printf("%-20s (does not load: %s)\n", n, err);
            continue;
        }
        printf("%-20s %6llu  %-20s %s\n", n, (unsigned long long)hw_pod_gpus(&p), p.gpu.name, p.description);
    }
    return KVT_EXIT_OK;
}

/* KV tokens a tier holds for a model: G1 from the step-time model (weights first), the others at the
 * model's de-duplicated bytes per token. */
static double hw_tier_tokens(int tier, const hw_tier_t *t, const hw_pod_t *p, const st_model_t *m, const llm_t *llm,
                             int kv_dtype, double reserve)
{
    if (!t->present)
        return 0.0;
    if (tier == HW_TIER_G1) {
        double instances = floor((double)hw_pod_gpus(p) / st_gpus(m));
        return instances * st_kv_capacity_tokens(m, reserve);
    }
    return t->kv_capacity_bytes / llm_kv_bytes_per_token(llm, kv_dtype);
}

static void human_bytes(double b, char *out, size_t n)
{
    if (b >= 1e15)
        snprintf(out, n, "%.2f PB", b / 1e15);
    else if (b >= 1e12)
        snprintf(out, n, "%.2f TB", b / 1e12);
    else
        snprintf(out, n, "%.1f GB", b / 1e9);
}

static int cmd_main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("hw", "needs list or show PRESET");
    if (strcmp(argv[1], "list") == 0) {
        if (argc > 2)
            return cli_usage_error("hw", "list takes no arguments");
        return hw_list();
    }
    if (strcmp(argv[1], "show") != 0)
        return cli_usage_error("hw", "unknown subcommand \"%s\" (list, show)", argv[1]);
    const char *preset = NULL, *modelname = NULL;
    const char *sets[HW_MAX_SETS];
    int nsets = 0;
    unsigned tp = 0, pp = 1;
    int dtype = LLM_DT_FP8;
    double reserve = 0.1;
    bool json = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            json = true;
            continue;
        }
        if (a[0] != '-') {
            if (preset)
                return cli_usage_error("hw", "one preset at a time (got %s and %s)", preset, a);
            preset = a;
            continue;
        }
        if (!v)
            return cli_usage_error("hw", "option %s needs a value", a);
        if (strcmp(a, "--model") == 0) {
            modelname = v;
        } else if (strcmp(a, "--set") == 0) {
            if (nsets == HW_MAX_SETS)
                return cli_usage_error("hw", "too many --set options");
            sets[nsets++] = v;
        } else if (strcmp(a, "--tp") == 0 || strcmp(a, "--pp") == 0) {
            unsigned long long x;
            if (cli_parse_u64(v, &x) || x < 1 || x > 4096)
                return cli_usage_error("hw", "%s wants an integer in 1..4096", a);
            *(a[2] == 't' ? &tp : &pp) = (unsigned)x;
        } else if (strcmp(a, "--dtype") == 0) {
            int d = -1;
            for (int k = 0; llm_dtype_names[k]; k++)
                if (strcmp(v, llm_dtype_names[k]) == 0)
                    d = k;
            if (d < 0)
                return cli_usage_error("hw", "--dtype: unknown dtype \"%s\" (bf16, fp8, fp4)", v);
            dtype = d;
        } else if (strcmp(a, "--reserve") == 0) {
            char *end;
            reserve = strtod(v, &end);
            if (*end || !(reserve >= 0 && reserve < 1))
                return cli_usage_error("hw", "--reserve wants a fraction in [0, 1)");
        } else {
            return cli_usage_error("hw", "unknown option %s", a);
        }
        i++;
    }
    if (!preset)
        return cli_usage_error("hw", "show needs a PRESET (see kvtwin hw list)");
    char err[1024];
    hw_pod_t p;
    if (cfg_hw_load(preset, sets, nsets, &p, err, sizeof err))
        return cli_input_error("%s", err);
    llm_t llm;
    st_model_t *m = NULL;
    /* KV in the lower tiers is stored at the KV dtype; weights and compute follow --dtype too, except that
     * FP4 weights keep an FP8 KV cache (as the FP4 engines do). */
    if (hw_gpu_peak_flop_s(&p.gpu, dtype) <= 0)
        dtype = LLM_DT_BF16; /* the GPU lacks that precision (an A100 has no FP8): what it would run */
    int kv_dtype = dtype == LLM_DT_FP4 ? LLM_DT_FP8 : dtype;
    if (modelname) {
        if (cfg_llm_load(modelname, NULL, 0, &llm, err, sizeof err))
            return cli_input_error("%s", err);
        /* Default TP: the smallest power of two whose GPUs hold the weights with a quarter of HBM left. */
        unsigned t = tp;
        if (!t) {
            double w = llm_weight_bytes(&llm, dtype);
            for (t = 1; t < p.gpu.nvlink_domain_gpus && w / (t * pp) > 0.75 * p.gpu.hbm_capacity_bytes; t *= 2)
                ;
        }
        st_deploy_t dep = {{t, pp, 1}, dtype, kv_dtype, dtype};
        m = st_model_create(&p.gpu, &llm, &dep, NULL, err, sizeof err);
        if (!m)
            return cli_input_error("%s on %s: %s", llm.name, p.gpu.name, err);
        tp = t;
    }
    hw_tier_t tiers[HW_TIERS];
    hw_tiers(&p, tiers);
    hw_fabric_size_t fs;
    hw_fabric_sizing(&p, &fs);
    double idle = pw_pod_idle_w(&p), peak = pw_pod_peak_w(&p);
    cost_breakdown_t c_peak, c_idle;
    cost_pod(&p, peak, &c_peak);
    cost_pod(&p, idle, &c_idle);

    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "preset", preset);
        cJSON_AddStringToObject(o, "name", p.name);
        cJSON_AddNumberToObject(o, "gpus", (double)hw_pod_gpus(&p));
        cJSON_AddStringToObject(o, "calib_source", p.gpu.calib_source);
        cJSON *ta = cJSON_AddArrayToObject(o, "tiers");
        for (int k = 0; k < HW_TIERS; k++) {
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "tier", tiers[k].name);
            cJSON_AddBoolToObject(t, "present", tiers[k].present);
            cJSON_AddNumberToObject(t, "capacity_bytes", tiers[k].capacity_bytes);
            cJSON_AddNumberToObject(t, "kv_capacity_bytes", tiers[k].kv_capacity_bytes);
            cJSON_AddNumberToObject(t, "read_byte_s", tiers[k].read_byte_s);
            cJSON_AddNumberToObject(t, "write_byte_s", tiers[k].write_byte_s);
            cJSON_AddNumberToObject(t, "latency_s", tiers[k].latency_s);
            if (m)
                cJSON_AddNumberToObject(t, "kv_tokens", hw_tier_tokens(k, &tiers[k], &p, m, &llm, kv_dtype, reserve));
            cJSON_AddItemToArray(ta, t);
        }
        cJSON *f = cJSON_AddObjectToObject(o, "fabric");
        cJSON_AddNumberToObject(f, "endpoints", (double)fs.endpoints);
        cJSON_AddNumberToObject(f, "leaves", (double)fs.leaves);
        cJSON_AddNumberToObject(f, "spines", (double)fs.spines);
        cJSON_AddNumberToObject(f, "bisection_byte_s", fs.bisection_byte_s);
        cJSON_AddNumberToObject(o, "idle_w", idle);
        cJSON_AddNumberToObject(o, "peak_w", peak);
        cJSON_AddNumberToObject(o, "capex_usd", c_peak.capex_usd);
        cJSON_AddNumberToObject(o, "usd_per_h_at_peak", c_peak.total_usd_per_h);
        cJSON_AddNumberToObject(o, "usd_per_h_at_idle", c_idle.total_usd_per_h);
        char *s = cJSON_Print(o);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(o);
        st_model_destroy(m);
        return KVT_EXIT_OK;
    }

    const hw_gpu_t *g = &p.gpu;
    const hw_node_t *n = &p.node;
    printf("%s (%s): %s\n", p.name, preset, p.description);
    printf("  %u nodes x %u GPUs = %llu %s; NVLink domain %u GPUs\n", p.nodes, n->gpus,
           (unsigned long long)hw_pod_gpus(&p), g->name, g->nvlink_domain_gpus);
    printf("  GPU: %.0f GB HBM at %.2f TB/s; dense %.0f / %.0f / %.0f TFLOP/s BF16 / FP8 / FP4; NVLink %.0f GB/s per "
           "direction; %s to the host %.0f GB/s; %.0f W\n",
           g->hbm_capacity_bytes / 1e9, g->hbm_bandwidth_byte_s / 1e12, g->bf16_dense_flop_s / 1e12,
           g->fp8_dense_flop_s / 1e12, g->fp4_dense_flop_s / 1e12, g->nvlink_bandwidth_byte_s / 1e9,
           g->host_link_c2c ? "NVLink-C2C" : "PCIe", g->host_link_bandwidth_byte_s / 1e9, g->tdp_w);
    printf("  step-time calibration: %s\n", g->calib_source[0] ? g->calib_source : "(source not stated in the preset)");
    printf("  node: %u CPUs, %.2f TB DRAM at %.0f GB/s, %u NVMe x %.2f TB, %u x %.0f Gb/s NIC ports per GPU, %u DPUs\n",
           n->cpus, n->dram_capacity_bytes / 1e12, n->dram_bandwidth_byte_s / 1e9, n->nvme_drives,
           n->nvme_capacity_bytes / 1e12, n->nic_ports_per_gpu, n->nic_port_gbit_s, n->dpus);
    if (m)
        printf("  model: %s, tp %u pp %u, %s weights and compute, %s KV; HBM reserve %.0f %%; %.1f GB weights and "
               "%.0f bytes of KV per token per GPU\n",
               llm.name, tp, pp, llm_dtype_name(st_deploy(m)->weight_dtype), llm_dtype_name(kv_dtype), 100 * reserve,
               st_weight_bytes_per_gpu(m) / 1e9, st_kv_bytes_per_token_per_gpu(m));
    printf("\n  %-12s %12s %12s %12s %12s %10s", "tier", "capacity", "for KV", "read", "write", "latency");
    if (m)
        printf(" %14s", "KV tokens");
    printf("\n");
    for (int k = 0; k < HW_TIERS; k++) {
        const hw_tier_t *t = &tiers[k];
        if (!t->present) {
            printf("  %-12s %12s\n", t->name, "absent");
            continue;
        }
        char cap[32], kvc[32];
        human_bytes(t->capacity_bytes, cap, sizeof cap);
        human_bytes(t->kv_capacity_bytes, kvc, sizeof kvc);
        printf("  %-12s %12s %12s %8.1f TB/s %8.1f TB/s %7.1f us", t->name, cap, k == HW_TIER_G1 ? "HBM-weights" : kvc,
               t->read_byte_s / 1e12, t->write_byte_s / 1e12, t->latency_s * 1e6);
        if (m)
            printf(" %14.4g", hw_tier_tokens(k, t, &p, m, &llm, kv_dtype, reserve));
        printf("\n");
    }
    printf(
        "\n  fabric: %llu endpoints at %.0f Gb/s, %llu leaves (%u down / %u up) and %llu spines; %s routing at %.0f %% "
        "of line rate; leaf-to-spine %.1f TB/s effective\n",
        (unsigned long long)fs.endpoints, p.fabric.port_gbit_s, (unsigned long long)fs.leaves, fs.down_per_leaf,
        fs.up_per_leaf, (unsigned long long)fs.spines, p.fabric.routing == HW_ROUTING_ECMP ? "ECMP" : "adaptive",
        100 * fs.effective_efficiency, fs.bisection_byte_s / 1e12);
    printf(
        "  power (IT): idle %.1f kW, peak %.1f kW (GPUs %.1f kW, fabric %.1f kW, ICMS %.1f kW, G4 %.1f kW); PUE %.2f "
        "-> peak %.1f kW at the facility\n",
        idle / 1e3, peak / 1e3, (double)hw_pod_gpus(&p) * g->tdp_w / 1e3, pw_fabric_w(&p) / 1e3, pw_icms_w(&p, 1) / 1e3,
        pw_g4_w(&p, 1) / 1e3, p.energy.pue, pw_facility_w(&p, peak) / 1e3);
    printf(
        "  capex (%s prices): %.2f M$ = GPUs %.2f + nodes %.2f + fabric %.2f + ICMS %.2f + G4 %.2f; over %.0f years\n",
        p.cost.price_date, c_peak.capex_usd / 1e6, c_peak.gpus_usd / 1e6, c_peak.nodes_usd / 1e6,
        c_peak.fabric_usd / 1e6, c_peak.icms_usd / 1e6, c_peak.g4_usd / 1e6, p.cost.depreciation_years);
    printf("  cost: %.0f $/h at peak power (capex %.0f, maintenance %.0f, facility %.0f, energy %.0f); %.0f $/h idle; "
           "%.2f $/GPU-hour at peak\n",
           c_peak.total_usd_per_h, c_peak.capex_usd_per_h, c_peak.maintenance_usd_per_h, c_peak.facility_usd_per_h,
           c_peak.energy_usd_per_h, c_idle.total_usd_per_h, c_peak.total_usd_per_h / (double)hw_pod_gpus(&p));
    st_model_destroy(m);
    return KVT_EXIT_OK;
}

const kvt_cmd_t kvt_cmd_hw = {
    .name = "hw",
    .summary = "hardware presets: list them, or show one with tier sizes, power and cost",
    .usage = "usage: kvtwin hw list\n"
             "       kvtwin hw show PRESET [--model MODEL [--tp N] [--pp N] [--dtype DTYPE] [--reserve F]]\n"
             "                             [--set PATH=VALUE]... [--json]\n"
             "\n"
             "show prints the preset's GPU and node, every KV tier's capacity, aggregate read/write bandwidth and\n"
             "latency, the leaf-spine size, idle and peak IT power, capex and dollars per hour. With --model it\n"
             "adds how many tokens of that model's KV each tier holds: G1 after the weights of instances of tp x pp\n"
             "GPUs (default tp: the smallest power of two leaving a quarter of HBM) and an HBM reserve (default\n"
             "0.1); the other tiers at the model's bytes per token in the KV dtype (--dtype, default fp8, bf16 on\n"
             "GPUs without FP8; fp4 keeps an fp8 KV cache). PRESET is a name under configs/hardware/ or a JSON file.\n"
             "\n"
             "example: kvtwin hw show vera-rubin-nvl72 --model llama-3.1-70b\n",
    .main = cmd_main,
};
