/* Hardware presets (every file binds completely, bad values are rejected with their JSON path), derived
 * figures (fabric sizing, tiers), the power model and the cost model. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/cost.h"
#include "models/hw.h"
#include "models/power.h"
#include "sim/config/config_models.h"
#include "sim/config/scenario.h"
#include "testutil.h"

static hw_pod_t load_hw(const char *name)
{
    hw_pod_t p;
    char err[512];
    int rc = cfg_hw_load(name, NULL, 0, &p, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: %s", name, err);
    return p;
}

/* Calls fn for every preset of a kind; returns how many there were. */
static int for_each_preset(const char *kind, void (*fn)(const char *name))
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/%s", cfg_config_dir(), kind);
    DIR *dp = opendir(dir);
    ck_assert_msg(dp != NULL, "no folder %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t l = strlen(e->d_name);
        if (l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(l - 5), e->d_name);
        fn(name);
        n++;
    }
    closedir(dp);
    return n;
}

/* A preset binds, survives a round trip through jb_to_json, and its derived figures are sane. */
static void check_hw_preset(const char *name)
{
    hw_pod_t p = load_hw(name);
    ck_assert_str_eq(p.preset, name);
    cJSON *j = jb_to_json(&cfg_hw_pod_spec, &p);
    ck_assert_ptr_null(cJSON_GetObjectItem(j, "preset")); /* hidden: never written back */
    hw_pod_t q;
    hw_pod_defaults(&q);
    memcpy(q.preset, p.preset, sizeof q.preset);
    jb_error_t e;
    ck_assert_msg(jb_bind(&cfg_hw_pod_spec, j, &q, "", &e) == 0, "%s round trip: %s: %s", name, e.path, e.msg);
    ck_assert_msg(memcmp(&p, &q, sizeof p) == 0, "%s: round trip changed the struct", name);
    cJSON_Delete(j);
    hw_tier_t t[HW_TIERS];
    hw_tiers(&p, t);
    ck_assert(t[HW_TIER_G1].capacity_bytes > 0 && t[HW_TIER_G2].kv_capacity_bytes > 0);
    ck_assert(pw_pod_peak_w(&p) > pw_pod_idle_w(&p));
    cost_breakdown_t c;
    cost_pod(&p, pw_pod_peak_w(&p), &c);
    ck_assert(c.total_usd_per_h > 0 && c.capex_usd > c.gpus_usd);
}

static void check_model_preset(const char *name)
{
    llm_t m;
    char err[512];
    int rc = cfg_llm_load(name, NULL, 0, &m, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: %s", name, err);
    ck_assert(llm_kv_bytes_per_token(&m, LLM_DT_BF16) > 0);
    cJSON *j = jb_to_json(&cfg_llm_spec, &m);
    llm_t q;
    llm_defaults(&q);
    memcpy(q.preset, m.preset, sizeof q.preset);
    jb_error_t e;
    ck_assert_msg(jb_bind(&cfg_llm_spec, j, &q, "", &e) == 0, "%s round trip: %s: %s", name, e.path, e.msg);
    ck_assert_msg(memcmp(&m, &q, sizeof m) == 0, "%s: round trip changed the struct", name);
    cJSON_Delete(j);
}

START_TEST(every_preset_binds)
{
    ck_assert_int_ge(for_each_preset("hardware", check_hw_preset), 2);
    ck_assert_int_ge(for_each_preset("models", check_model_preset), 2);
}
END_TEST

/* Loads a preset with one --set override and expects an error naming path and containing fragment. */
static void expect_hw_error(const char *preset, const char *set, const char *path, const char *fragment)
{
    hw_pod_t p;
    char err[1024];
    const char *sets[1] = {set};
    ck_assert_int_eq(cfg_hw_load(preset, sets, 1, &p, err, sizeof err), -1);
    ck_assert_msg(strstr(err, path) != NULL, "error \"%s\" lacks the path %s", err, path);
    ck_assert_msg(strstr(err, fragment) != NULL, "error \"%s\" lacks \"%s\"", err, fragment);
}

START_TEST(bad_values_rejected_with_path)
{
    expect_hw_error("dgx-h100", "gpu.hbm_capacity_bytes=0", "gpu.hbm_capacity_bytes", "> 0");
    expect_hw_error("dgx-h100", "gpu.hbm_capacity_bytes=-8e10", "gpu.hbm_capacity_bytes", "> 0");
    expect_hw_error("dgx-h100", "node.dram_capacity_bytes=\"lots\"", "node.dram_capacity_bytes", "got a string");
    expect_hw_error("dgx-h100", "node.gpus=3", "gpu.nvlink_domain_gpus", "whole number");
    expect_hw_error("dgx-h100", "gpu.calib.memory_efficiency=1.2", "gpu.calib.memory_efficiency", "<= 1");
    expect_hw_error("dgx-h100", "gpu.calib.compute_efficiency=0", "gpu.calib", "missing calibration");
    expect_hw_error("dgx-h100", "fabric.routing=\"random\"", "fabric.routing", "adaptive, ecmp");
    expect_hw_error("dgx-h100", "gpu.bogus_w=3", "gpu.bogus_w", "unknown key");
    expect_hw_error("dgx-h100", "energy.pue=0.9", "energy.pue", ">= 1");
    expect_hw_error("dgx-h100", "g4.servers=0", "g4.servers", "when g4.present is true");
    expect_hw_error("vera-rubin-nvl72", "icms.enclosures=0", "icms.enclosures", "when icms.present is true");
    expect_hw_error("vera-rubin-nvl72", "icms.capacity_per_dpu_bytes=400e12", "icms.capacity_per_dpu_bytes",
                    "more flash");
    expect_hw_error("vera-rubin-nvl72", "icms.ssd_read_byte_s=-1", "icms.ssd_read_byte_s", ">= 0");
    expect_hw_error("vera-rubin-nvl72", "nodes=0", "nodes", ">= 1");
    expect_hw_error("no-such-preset", "nodes=1", "unknown hardware preset", "dgx-h100");
    expect_hw_error("dgx-h100", "node.dpus=0", "node.storage_network", "gpu-nic");
    expect_hw_error("dgx-h100", "node.storage_network=\"rdma\"", "node.storage_network", "dpu, gpu-nic");
    /* a section that is not present needs no values at all */
    hw_pod_t p;
    char err[512];
    const char *sets[2] = {"icms={\"present\": false}", "g4={\"present\": false}"};
    ck_assert_msg(cfg_hw_load("vera-rubin-nvl72", sets, 2, &p, err, sizeof err) == 0, "%s", err);
    ck_assert(!p.icms.present && !p.g4.present);
    hw_tier_t t[HW_TIERS];
    hw_tiers(&p, t);
    ck_assert(!t[HW_TIER_G35].present && t[HW_TIER_G35].capacity_bytes == 0);
    ck_assert_double_eq(pw_icms_w(&p, 1.0), 0.0);
}
END_TEST

START_TEST(error_names_the_file_line)
{
    const char *dir = tu_scratch_dir("hw");
    const char *path = tu_write_file(dir, "mini.json", "{\n  \"name\": \"x\",\n  \"nodes\": -2\n}\n");
    hw_pod_t p;
    char err[1024];
    ck_assert_int_eq(cfg_hw_load(path, NULL, 0, &p, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "mini.json:3:12: nodes:") != NULL, "got %s", err);
}
END_TEST

START_TEST(icms_layout_and_tiers)
{
    hw_pod_t p = load_hw("vera-rubin-nvl72");
    ck_assert_uint_eq(hw_pod_gpus(&p), 1152);
    hw_tier_t t[HW_TIERS];
    hw_tiers(&p, t);
    /* 16 enclosures x 4 BlueField-4 x 150 TB = 9.6 PB */
    ck_assert_double_eq_tol(t[HW_TIER_G35].capacity_bytes, 9.6e15, 1e6);
    /* each DPU: min(800 Gb/s = 100 GB/s, crypto 100 GB/s, 5 SSDs x 28 GB/s) = 100 GB/s; 64 DPUs */
    ck_assert_double_eq_tol(hw_icms_dpu_read_byte_s(&p.icms), 100e9, 1.0);
    ck_assert_double_eq_tol(t[HW_TIER_G35].read_byte_s, 64 * 100e9, 1e3);
    /* writes: 5 SSDs x 14 GB/s = 70 GB/s per DPU */
    ck_assert_double_eq_tol(hw_icms_dpu_write_byte_s(&p.icms), 70e9, 1.0);
    ck_assert_double_eq_tol(t[HW_TIER_G1].capacity_bytes, 1152 * 288e9, 1e3);
    /* G2: 288 trays x 3 TB, half for KV; bandwidth per tray min(4 x 450 GB/s, 2.4 TB/s) */
    ck_assert_double_eq_tol(t[HW_TIER_G2].kv_capacity_bytes, 288 * 3e12 * 0.5, 1e3);
    ck_assert_double_eq_tol(t[HW_TIER_G2].read_byte_s, 288 * 1.8e12, 1e3);
    /* G4 per server: min(2 x 50 GB/s NIC, 40 GB/s controller, 150 GB/s media, 32 cores x 1 MiB / 20 us) */
    ck_assert_double_eq_tol(hw_g4_server_read_byte_s(&p.g4), 40e9, 1.0);
    ck_assert_double_eq_tol(hw_g4_server_write_byte_s(&p.g4), 40e9 / 3, 1.0);
    ck_assert(t[HW_TIER_G4].latency_s > t[HW_TIER_G35].latency_s);
}
END_TEST

START_TEST(fabric_sizing)
{
    hw_pod_t p = load_hw("vera-rubin-nvl72");
    hw_fabric_size_t f;
    hw_fabric_sizing(&p, &f);
    /* 1,152 GPUs x 2 ports + 288 tray DPUs + 64 ICMS DPUs + 16 x 2 G4 ports */
    ck_assert_uint_eq(f.endpoints, 2304 + 288 + 64 + 32);
    ck_assert_uint_eq(f.down_per_leaf, 64);
    ck_assert_uint_eq(f.leaves, (2688 + 63) / 64);
    ck_assert_uint_eq(f.spines, (f.leaves * 64 + 511) / 512);
    ck_assert_double_eq_tol(f.leaf_equivalents, f.leaves + f.spines * 4.0, 1e-9);
    ck_assert_double_eq_tol(f.effective_efficiency, 0.95, 1e-12);
    /* ECMP loses effective bandwidth */
    p.fabric.routing = HW_ROUTING_ECMP;
    hw_fabric_size_t g;
    hw_fabric_sizing(&p, &g);
    ck_assert(g.bisection_byte_s < f.bisection_byte_s);
    ck_assert_double_eq_tol(g.bisection_byte_s / f.bisection_byte_s, 0.60 / 0.95, 1e-9);
    /* a 2:1 oversubscribed leaf gives two thirds of its ports to hosts */
    p.fabric.oversubscription = 2;
    hw_fabric_sizing(&p, &g);
    ck_assert_uint_eq(g.down_per_leaf, 85);
    /* a tiny pod fits one switch: no spines */
    p.nodes = 2;
    p.icms.present = false;
    p.g4.present = false;
    hw_fabric_sizing(&p, &g);
    ck_assert_uint_eq(g.leaves, 1);
    ck_assert_uint_eq(g.spines, 0);
}
END_TEST

START_TEST(gpu_power_levels)
{
    hw_pod_t p = load_hw("dgx-h100");
    hw_gpu_t *g = &p.gpu;
    ck_assert_double_eq(pw_gpu_w(g, 0.0, 1.0), g->idle_w);
    ck_assert_double_eq(pw_gpu_w(g, 1.0, 1.0), g->tdp_w);
    double mem = g->idle_w + (g->tdp_w - g->idle_w) * g->memory_bound_power_fraction;
    ck_assert_double_eq_tol(pw_gpu_w(g, 1.0, 0.0), mem, 1e-9);
    ck_assert_double_eq_tol(pw_gpu_w(g, 0.5, 0.0), (g->idle_w + mem) / 2, 1e-9);
    /* out-of-range inputs are clamped, never above TDP or below idle */
    ck_assert_double_eq(pw_gpu_w(g, 1.5, 2.0), g->tdp_w);
    ck_assert_double_eq(pw_gpu_w(g, -1.0, 0.5), g->idle_w);
    ck_assert_double_eq(pw_cpu_w(&p.node, 0.5), (p.node.cpu_idle_w + p.node.cpu_max_w) / 2);
    ck_assert_double_eq(pw_ssd_w(5, 25, 0.25), 10.0);
    /* per iteration: compute at TDP, memory at m, collectives at c, overheads at idle */
    st_time_t t = {0};
    t.compute_s = 0.010;
    t.memory_s = 0.020;
    t.comm_s = 0.005;
    t.overhead_s = 0.005;
    t.time_s = 0.040;
    double dyn = g->tdp_w - g->idle_w;
    double j =
        g->idle_w * 0.040 + dyn * (0.010 + g->memory_bound_power_fraction * 0.020 + g->comm_power_fraction * 0.005);
    ck_assert_double_eq_tol(pw_gpu_step_j(g, &t), j, 1e-9);
    ck_assert_double_eq_tol(pw_gpu_step_w(g, &t), j / 0.040, 1e-9);
    st_time_t idle = {0};
    ck_assert_double_eq(pw_gpu_step_w(g, &idle), g->idle_w);
    ck_assert_double_eq(pw_gpu_step_j(g, &idle), 0.0);
}
END_TEST

/* A power cap on a compute-bound iteration, by hand: 1 s wholly compute-bound on an H100 (idle 70 W, TDP 700 W)
 * draws 700 W. Capped at 500 W, the stretch s makes 70 + 630 / s^3 = 500, so s = (630 / 430)^(1/3) = 1.13577;
 * the iteration then lasts 1.13577 s and uses 500 x 1.13577 = 567.9 J instead of 700 J. */
START_TEST(gpu_power_cap_by_hand)
{
    hw_pod_t p = load_hw("dgx-h100");
    hw_gpu_t *g = &p.gpu;
    st_time_t t = {.compute_s = 1.0, .time_s = 1.0};
    st_time_t free_t = t;
    pw_gpu_cap(g, &free_t); /* no cap: unchanged */
    ck_assert_double_eq(free_t.time_s, 1.0);
    ck_assert_double_eq_tol(pw_gpu_step_w(g, &free_t), 700.0, 1e-9);
    g->power_cap_w = 500;
    pw_gpu_cap(g, &t);
    ck_assert_double_eq_tol(t.cap_stretch, 1.13577, 1e-5);
    ck_assert_double_eq_tol(t.time_s, 1.13577, 1e-5);
    ck_assert_double_eq_tol(pw_gpu_step_w(g, &t), 500.0, 1e-3);
    ck_assert_double_eq_tol(pw_gpu_step_j(g, &t), 567.885, 1e-2);
    /* A memory-bound iteration above the cap (70 + 630 x 0.8728 = 619.9 W) lowers its clock but keeps its
     * time: 70 + 549.9 / s^3 = 500 W, s = 1.0854. One under the cap is not touched. */
    st_time_t mem = {.memory_s = 1.0, .time_s = 1.0};
    pw_gpu_cap(g, &mem);
    ck_assert_double_eq(mem.time_s, 1.0);
    ck_assert_double_eq_tol(mem.cap_stretch, 1.08541, 1e-4);
    ck_assert_double_eq_tol(pw_gpu_step_w(g, &mem), 500.0, 1e-3);
    g->power_cap_w = 650;
    st_time_t mix = {.compute_s = 0.2, .memory_s = 0.8, .time_s = 1.0};
    double before = pw_gpu_step_w(g, &mix); /* 70 + 630 (0.2 + 0.8 x 0.8728) = 635.9 W: under the cap */
    pw_gpu_cap(g, &mix);
    ck_assert_double_eq(mix.time_s, 1.0);
    ck_assert_double_eq_tol(pw_gpu_step_w(g, &mix), before, 1e-12);
}
END_TEST

/* The load-dependent terms of the DGX H100 preset, by hand: a ConnectX-7 port adds 6.25 W at 400 Gbit/s
 * (50e9 bytes/s), 1.25e-10 J/byte; a BlueField-3 45 W at 400 Gbit/s, 9e-10 J/byte; a KV I/O of 1 MiB costs
 * 10 us of a 4.46 W core, 4.2534e-11 J/byte; an SSD command 1e-5 J per MiB, 9.5367e-12 J/byte; the engine
 * keeps one 4.46 W core busy per iterating GPU. */
START_TEST(load_terms_by_hand)
{
    hw_pod_t p = load_hw("dgx-h100");
    ck_assert_double_eq_tol(pw_nic_load_j_per_byte(&p.node), 1.25e-10, 1e-22);
    ck_assert_double_eq_tol(pw_dpu_load_j_per_byte(&p.node), 9e-10, 1e-22);
    ck_assert_double_eq_tol(pw_host_io_j_per_byte(&p.node), 4.46 * 10e-6 / 1048576, 1e-22);
    ck_assert_double_eq_tol(pw_ssd_io_j_per_byte(&p), 1e-5 / 1048576, 1e-22);
    ck_assert_double_eq_tol(pw_engine_cpu_w(&p.node), 4.46, 1e-12);
    /* absent parameters: no term */
    p.node.kv_io_bytes = 0;
    p.node.dpus = 0;
    ck_assert_double_eq(pw_host_io_j_per_byte(&p.node), 0.0);
    ck_assert_double_eq(pw_ssd_io_j_per_byte(&p), 0.0);
    ck_assert_double_eq(pw_dpu_load_j_per_byte(&p.node), 0.0);
    /* the pod's power rises with the utilisation of its parts: each NIC and DPU from idle to its rating */
    hw_pod_t q = load_hw("dgx-h100");
    q.nodes = 1;
    double lo = pw_pod_w(&q, 0, 0, 0), hi = pw_pod_w(&q, 0, 0, 1);
    double cpu = q.node.cpus * (q.node.cpu_max_w - q.node.cpu_idle_w);
    double ssd = q.node.nvme_drives * (q.node.nvme_active_w - q.node.nvme_idle_w);
    double nic = 8 * q.node.nic_load_w + q.node.dpus * q.node.dpu_load_w;
    double g4 = q.g4.servers * (q.g4.server_w - q.g4.server_idle_w);
    ck_assert_double_eq_tol(hi - lo, cpu + ssd + nic + g4, 1e-6);
}
END_TEST

START_TEST(pod_power_matches_datasheet)
{
    hw_pod_t p = load_hw("dgx-h100");
    p.nodes = 1;
    p.g4.present = false;
    /* one DGX H100 at full load is its 10.2 kW datasheet maximum (plus its share of the fabric) */
    double node_peak = pw_pod_peak_w(&p) - pw_fabric_w(&p);
    ck_assert_double_eq_tol(node_peak, 10200.0, 1.0);
    /* DGX A100 6.5 kW and DGX B200 14.3 kW datasheet maxima */
    static const struct {
        const char *name;
        double w;
    } ds[] = {{"dgx-a100", 6500.0}, {"hgx-b200", 14300.0}};
    for (int i = 0; i < 2; i++) {
        hw_pod_t q = load_hw(ds[i].name);
        q.nodes = 1;
        q.g4.present = false;
        ck_assert_msg(fabs(pw_pod_peak_w(&q) - pw_fabric_w(&q) - ds[i].w) < 1.0, "%s: %g W", ds[i].name,
                      pw_pod_peak_w(&q) - pw_fabric_w(&q));
    }
    ck_assert_double_eq_tol(pw_facility_w(&p, 1000.0), 1560.0, 1e-9);
    /* Ethernet: two NIC ends plus four switch ports for a leaf-spine-leaf path... per byte */
    double j = pw_transfer_j(&p, PW_LINK_ETHERNET, 1e9, 4);
    ck_assert_double_eq_tol(j, 1e9 * (2 * 4.4e-11 + 4 * 1.6e-10), 1e-9);
    ck_assert_double_eq_tol(pw_host_to_gpu_j(&p, 1e9), 1e9 * (1.4e-10 + 5.2e-11), 1e-9);
    p.gpu.host_link_c2c = true;
    ck_assert_double_eq_tol(pw_host_to_gpu_j(&p, 1e9), 1e9 * (1.4e-10 + 1.04e-11), 1e-9);
}
END_TEST

START_TEST(cost_by_hand)
{
    hw_pod_t p = load_hw("dgx-h100");
    p.nodes = 1;
    p.g4.present = false;
    cost_breakdown_t c;
    cost_pod(&p, 10000.0, &c);
    hw_fabric_size_t f;
    hw_fabric_sizing(&p, &f);
    ck_assert_double_eq(c.gpus_usd, 8 * 25000.0);
    ck_assert_double_eq(c.nodes_usd, 150000.0);
    ck_assert_double_eq_tol(c.fabric_usd, f.leaf_equivalents * 50000.0 + f.switch_ports * 800.0, 1e-6);
    double capex = c.gpus_usd + c.nodes_usd + c.fabric_usd;
    ck_assert_double_eq_tol(c.capex_usd, capex, 1e-6);
    ck_assert_double_eq_tol(c.capex_usd_per_h, capex / (5 * 8760.0), 1e-9);
    ck_assert_double_eq_tol(c.maintenance_usd_per_h, capex * 0.05 / 8760.0, 1e-9);
    ck_assert_double_eq_tol(c.energy_usd_per_h, 10.0 * 1.56 * 0.085, 1e-12);
    ck_assert_double_eq_tol(c.facility_usd_per_h, 10.0 * 800 / 8760.0, 1e-12);
    ck_assert_double_eq_tol(c.total_usd_per_h,
                            c.capex_usd_per_h + c.maintenance_usd_per_h + c.facility_usd_per_h + c.energy_usd_per_h,
                            1e-9);
    /* $/Mtoken: one hour at 1,000 tokens/s is 3.6 M tokens */
    ck_assert_double_eq_tol(cost_usd_per_mtoken(&c, 1000.0), c.total_usd_per_h / 3.6, 1e-9);
    ck_assert(isinf(cost_usd_per_mtoken(&c, 0.0)));
    /* ICMS capex: DPUs + flash on the SSDs + chassis */
    hw_pod_t v = load_hw("vera-rubin-nvl72");
    cost_pod(&v, 0.0, &c);
    double icms = 64 * 5000.0 + 16 * 20 * 30.72e12 * 1.5e-10 + 16 * 20000.0;
    ck_assert_double_eq_tol(c.icms_usd, icms, 1e-3);
    ck_assert_double_eq(c.energy_usd_per_h, 0.0);
}
END_TEST

START_TEST(calibration_selection)
{
    hw_gpu_t g;
    memset(&g, 0, sizeof g);
    g.calib.compute_efficiency = 0.5;
    ck_assert_ptr_eq(hw_gpu_calib(&g, 0), &g.calib);
    ck_assert_ptr_eq(hw_gpu_calib(&g, 1), &g.calib);
    ck_assert_ptr_eq(hw_gpu_calib(&g, 2), &g.calib);
    g.calib_fp8.compute_efficiency = 0.6;
    ck_assert_ptr_eq(hw_gpu_calib(&g, 1), &g.calib_fp8);
    ck_assert_ptr_eq(hw_gpu_calib(&g, 2), &g.calib_fp8);
    ck_assert_ptr_eq(hw_gpu_calib(&g, 0), &g.calib);
    g.calib_fp4.compute_efficiency = 0.7;
    ck_assert_ptr_eq(hw_gpu_calib(&g, 2), &g.calib_fp4);
    g.bf16_dense_flop_s = 1;
    g.fp8_dense_flop_s = 2;
    g.fp4_dense_flop_s = 4;
    ck_assert_double_eq(hw_gpu_peak_flop_s(&g, 2), 4.0);
}
END_TEST

static Suite *hw_suite(void)
{
    Suite *s = suite_create("hw");
    TCase *tc = tcase_create("presets");
    tcase_add_test(tc, every_preset_binds);
    tcase_add_test(tc, bad_values_rejected_with_path);
    tcase_add_test(tc, error_names_the_file_line);
    suite_add_tcase(s, tc);
    TCase *d = tcase_create("derived");
    tcase_add_test(d, icms_layout_and_tiers);
    tcase_add_test(d, fabric_sizing);
    tcase_add_test(d, calibration_selection);
    suite_add_tcase(s, d);
    TCase *pc = tcase_create("power-cost");
    tcase_add_test(pc, gpu_power_levels);
    tcase_add_test(pc, pod_power_matches_datasheet);
    tcase_add_test(pc, gpu_power_cap_by_hand);
    tcase_add_test(pc, load_terms_by_hand);
    tcase_add_test(pc, cost_by_hand);
    suite_add_tcase(s, pc);
    return s;
}

int main(void)
{
    return tu_run_suite(hw_suite());
}
