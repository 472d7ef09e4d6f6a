/* One timed simulation run; see run.h. */
#define _POSIX_C_SOURCE 200809L
#include "sim/core/run.h"
#include "sim/core/faults.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "models/power.h"
#include "sim/base/alloc.h"
#include "sim/base/exitcodes.h"
#include "sim/base/progress.h"
#include "sim/config/runsize.h"
#include "sim/core/conserve.h"
#include "sim/core/disagg.h"
#include "sim/core/dispatch.h"
#include "sim/core/engine.h"
#include "sim/core/future.h"
#include "sim/core/peer.h"
#include "sim/core/planner.h"
#include "sim/core/pstage.h"
#include "sim/core/xfer.h"
#include "sim/kv/policy.h"
#include "sim/kv/write.h"
#include "sim/out/h5out.h"
#include "sim/out/metrics.h"
#include "sim/out/outdir.h"

/* Capacity of each tier instance in bytes, from the hardware unless the scenario overrides it. */
static double tier_capacity_bytes(const pod_t *p, int tier)
{
    const scenario_t *sc = p->sc;
    const hw_pod_t *hw = &sc->hw;
    if (sc->kv.tier[tier].capacity_bytes > 0)
        return sc->kv.tier[tier].capacity_bytes;
    double npd = p->pf.nodes_per_domain;
    switch (tier) {
    case KV_G1:
        /* Instance 0's; with per-pool hardware or TP build_kv sets each instance's own. */
        return st_kv_budget_bytes_per_gpu(pod_st(p, 0), sc->deploy.activation_reserve_fraction) * p->pf.gpus_of_inst[0];
    case KV_G2:
        return hw->node.dram_capacity_bytes * hw->node.dram_kv_fraction * npd;
    case KV_G3:
        return hw->node.nvme_drives * hw->node.nvme_capacity_bytes * hw->node.nvme_kv_fraction * npd;
    case KV_G35:
        return (double)hw->icms.enclosures * hw->icms.dpus_per_enclosure * hw->icms.capacity_per_dpu_bytes;
    case KV_G4:
        return hw->g4.capacity_bytes;
    }
    /* A tier added to sim/kv/tier.h says here where its capacity comes from. */
    assert(!"tier without a hardware capacity");
    return 0;
}

static int build_kv(pod_t *p, char *err, size_t errlen)
{
    const scenario_t *sc = p->sc;
    const sc_kv_tier_t *cfg = sc->kv.tier;
    kv_cfg_t kc;
    memset(&kc, 0, sizeof kc);
    kc.n_instances = p->pf.n_inst;
    kc.n_domains = p->pf.n_domains;
    kc.domain_of_instance = p->pf.domain_of_inst;
    kc.write = kv_write_find(sc->kv.write_policy);
    kc.block_bytes = (uint64_t)ceil(p->block_bytes);
    kc.seed = sc->seed;
    void *bound[KV_NTIERS] = {NULL};
    int rc = 0;
    for (int t = 0; t < KV_NTIERS && rc == 0; t++) {
        kv_tier_cfg_t *k = &kc.tier[t];
        k->enabled = cfg[t].enabled;
        k->inclusive = cfg[t].inclusive;
        if (!k->enabled)
            continue;
        /* The scenario loader validated the names and parameters: binding cannot fail but for memory. */
        k->policy = kv_policy_find(cfg[t].policy);
        jb_error_t je;
        bound[t] = k->policy ? plugin_bind(&k->policy->base, cfg[t].params, &je) : NULL;
        if (!bound[t]) {
            char path[64];
            snprintf(path, sizeof path, "kv.%s.policy", kv_tiers[t].key);
            cfg_doc_error(&sc->doc, path, k->policy ? je.msg : "unknown eviction policy", err, errlen);
            rc = -1;
            break;
        }
        k->policy_params = bound[t];
        double bytes = tier_capacity_bytes(p, t);
        k->capacity_blocks = (uint64_t)floor(bytes / p->block_bytes);
        if (k->capacity_blocks == 0) {
            char path[64], msg[256];
            snprintf(path, sizeof path, "kv.%s.capacity_bytes", kv_tiers[t].key);
            snprintf(msg, sizeof msg, "%s holds %.3g bytes per tier instance: not one %.3g-byte KV block",
                     kv_tier_name(t), bytes, p->block_bytes);
            cfg_doc_error(&sc->doc, path, msg, err, errlen);
            rc = -1;
        }
    }
    /* Pools of other GPUs or TP hold their own G1: each instance's KV budget (an explicit
     * kv.g1.capacity_bytes holds for every instance). */
    uint64_t *g1cap = NULL;
    if (rc == 0 && p->st_pool[0] && !(cfg[KV_G1].capacity_bytes > 0)) {
        g1cap = kvt_calloc(p->pf.n_inst, sizeof *g1cap);
        for (uint32_t i = 0; i < p->pf.n_inst; i++) {
            double b = st_kv_budget_bytes_per_gpu(pod_st(p, i), sc->deploy.activation_reserve_fraction) *
                       p->pf.gpus_of_inst[i];
            g1cap[i] = (uint64_t)floor(b / p->block_bytes);
            if (g1cap[i] == 0) {
                char msg[256];
                snprintf(msg, sizeof msg, "instance %u of its pool's hardware holds no %.3g-byte KV block in HBM", i,
                         p->block_bytes);
                cfg_doc_error(&sc->doc,
                              i < sc->deploy.disagg.prefill_instances ? "deployment.disagg.prefill_hardware"
                                                                      : "deployment.disagg.decode_hardware",
                              msg, err, errlen);
                rc = -1;
                break;
            }
        }
        kc.g1_capacity_of_instance = g1cap;
    }
    if (rc == 0) {
        p->kv = kv_mgr_create(&kc, err, errlen);
        rc = p->kv ? 0 : -1;
    }
    free(g1cap);
    for (int t = 0; t < KV_NTIERS; t++)
        free(bound[t]); /* the manager keeps copies */
    return rc;
}

/* The run's fetch-or-recompute, prefetch and routing policies, by the names the loader validated. The router
 * takes deployment.router_params, the prefetch policy kv.prefetch_params; the fetch policy runs with its
 * defaults. */
static int build_policies(pod_t *p, char *err, size_t errlen)
{
    const scenario_t *sc = p->sc;
    const kv_fetch_ops_t *fetch = kv_fetch_find(sc->kv.fetch);
    const kv_prefetch_ops_t *prefetch = kv_prefetch_find(sc->kv.prefetch);
    const sched_route_ops_t *router = sched_route_find(sc->deploy.router);
    assert(fetch && prefetch && router && "scenario_load validates policy names");
    char msg[512];
    if (kv_fetcher_init(&p->fetch, fetch, NULL, msg, sizeof msg)) {
        cfg_doc_error(&sc->doc, "kv.fetch", msg, err, errlen);
        return -1;
    }
    jb_error_t jerr;
    memset(&jerr, 0, sizeof jerr);
    p->prefetch_params = plugin_bind(&prefetch->base, sc->kv.prefetch_params, &jerr);
    if (!p->prefetch_params) {
        cfg_doc_error(&sc->doc, "kv.prefetch_params", jerr.msg, err, errlen);
        return -1;
    }
    if (prefetch->needs_future && (p->first->w.session_id == WL_NO_SESSION || !wl_source_knows_next(p->src))) {
        snprintf(msg, sizeof msg,
                 "%s needs the next turn of each session (closed loop, or open loop over session files or the "
                 "generator); this workload %s",
                 prefetch->base.name,
                 p->first->w.session_id == WL_NO_SESSION ? "has independent requests without sessions"
                                                         : "is a streamed request log whose next turns are unknown");
        cfg_doc_error(&sc->doc, "kv.prefetch", msg, err, errlen);
        return -1;
    }
    if (kv_prefetcher_init(&p->prefetch, prefetch, p->prefetch_params, p->pf.n_inst, sc->seed, msg, sizeof msg)) {
        cfg_doc_error(&sc->doc, "kv.prefetch", msg, err, errlen);
        return -1;
    }
    jb_error_t je = {{0}, {0}};
    void *rparams = plugin_bind(&router->base, sc->deploy.router_params, &je);
    if (!rparams) { /* scenario_load validated them: only a mismatch of the two would land here */
        cfg_doc_error(&sc->doc, "deployment.router_params", je.msg, err, errlen);
        return -1;
    }
    p->router_params = rparams;
    if (sched_router_init(&p->router, router, rparams, sc->seed, msg, sizeof msg)) {
        cfg_doc_error(&sc->doc, "deployment.router", msg, err, errlen);
        return -1;
    }
    /* A router whose view of the cache lags keeps its own index, fed by the cache's events. */
    if (p->router.kv_events)
        kv_set_event_hook(p->kv, sched_router_kv_event, &p->router);
    return 0;
}

/* Static power of every energy class over the run: the nodes that host instances, and the pod's fabric and
 * storage as configured. */
static void static_power(const pod_t *p, en_static_t *st)
{
    const hw_pod_t *hw = &p->sc->hw;
    double nodes = p->pf.n_nodes;
    const hw_node_t *nd = &hw->node;
    memset(st, 0, sizeof *st);
    st->w[EN_HOST_CPU] = nodes * nd->cpus * pw_cpu_w(nd, 0);
    st->w[EN_DRAM] = nodes * nd->dram_idle_w;
    st->w[EN_NIC] = nodes * nd->gpus * nd->nic_ports_per_gpu * nd->nic_w;
    st->w[EN_DPU] = nodes * nd->dpus * nd->dpu_w;
    st->w[EN_LOCAL_SSD] = nodes * nd->nvme_drives * nd->nvme_idle_w;
    st->w[EN_OTHER] = nodes * nd->other_w;
    st->w[EN_SWITCH] = pw_fabric_w(hw) + nodes * nd->nvswitch_w;
    st->w[EN_ICMS] = pw_icms_w(hw, 0);
    st->w[EN_G4] = pw_g4_w(hw, 0);
}

static metrics_t *create_metrics(const pod_t *p, h5out_t *h5)
{
    /* Per-pool hardware and TP: totals over the instances, idle power as the mean GPU's. */
    double gpus = 0, idle_w = 0, flop_s = 0, hbm_s = 0;
    for (uint32_t i = 0; i < p->pf.n_inst; i++) {
        const hw_gpu_t *g = pf_inst_gpu(&p->pf, p->sc, i);
        double n = p->pf.gpus_of_inst[i];
        gpus += n;
        idle_w += n * pw_gpu_w(g, 0, 0);
        flop_s += n * hw_gpu_peak_flop_s(g, p->sc->deploy.compute_dtype);
        hbm_s += n * g->hbm_bandwidth_byte_s;
    }
    double per_inst = gpus / p->pf.n_inst;
    metrics_cfg_t mc = {
        .sc = p->sc,
        .n_inst = p->pf.n_inst,
        .inst_gpus = p->pf.inst_gpus,
        .gpu_idle_w = idle_w / (p->pf.n_inst * (double)p->pf.inst_gpus),
        .gpus = (uint32_t)gpus,
        .peak_flop_s = flop_s,
        .peak_hbm_byte_s = hbm_s,
        .engine_cpu_w = pw_engine_cpu_w(&p->sc->hw.node) * per_inst,
        .nodes = p->pf.n_nodes,
        .node_switch_w = p->pf.n_nodes * p->sc->hw.node.nvswitch_w,
    };
    static_power(p, &mc.static_w);
    return metrics_create(&mc, h5out_request, h5);
}

static void host_table(pod_t *p)
{
    for (int k = 0; k < PF_KINDS; k++) {
        uint32_t n = pf_count(&p->pf, k);
        p->hosts[k] = calloc(n + 1, sizeof *p->hosts[k]);
        for (uint32_t i = 0; i < n; i++) {
            char name[32];
            pf_host_name((pf_ep_t){(uint8_t)k, i}, name, sizeof name);
            p->hosts[k][i] = sgb_host(name);
        }
    }
}

static void pod_teardown(pod_t *p)
{
    faults_free(p);
    if (p->eng) {
        for (uint32_t i = 0; i < p->pf.n_inst; i++)
            engine_free(&p->eng[i]);
        free(p->eng);
    }
    if (p->load_pool) {
        for (uint32_t i = 0; i < p->pf.n_inst; i++)
            xfer_pool_free(&p->load_pool[i]);
        free(p->load_pool);
    }
    if (p->wb_pool) {
        for (uint32_t i = 0; i <= p->pf.n_domains; i++)
            xfer_pool_free(&p->wb_pool[i]);
        free(p->wb_pool);
    }
    if (p->first) {
        wl_request_free(&p->first->w);
        free(p->first);
    }
    for (int k = 0; k < PF_KINDS; k++)
        free(p->hosts[k]);
    if (p->dispatch_wake)
        sgb_sem_free(p->dispatch_wake);
    metrics_free(p->m);
    sched_router_fini(&p->router);
    free(p->router_params);
    kv_prefetcher_fini(&p->prefetch);
    free(p->prefetch_params);
    pstage_free(p);
    future_free(p->future);
    kv_fetcher_fini(&p->fetch);
    conserve_free(p);
    free(p->dg);
    kv_mgr_destroy(p->kv);
    for (int k = 0; k < 2; k++)
        st_model_destroy(p->st_pool[k]);
    st_model_destroy(p->st);
    if (p->src)
        wl_source_close(p->src);
    pf_free(&p->pf);
}

/* Reads the first request: it fixes the KV block size of the run. */
static int read_first(pod_t *p, char *err, size_t errlen)
{
    p->first = calloc(1, sizeof *p->first);
    int rc = wl_source_next(p->src, &p->first->w, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        cfg_doc_error(&p->sc->doc, "workload", "the workload delivers no request", err, errlen);
        return -1;
    }
    uint32_t bt = p->first->w.block_tokens;
    if (p->sc->kv.block_tokens && bt && p->sc->kv.block_tokens != bt) {
        char msg[256];
        snprintf(msg, sizeof msg, "expected 0 or the workload's own block size (%u tokens), got %u", bt,
                 p->sc->kv.block_tokens);
        cfg_doc_error(&p->sc->doc, "kv.block_tokens", msg, err, errlen);
        return -1;
    }
    p->block_tokens = bt ? bt : p->sc->kv.block_tokens;
    if (!p->block_tokens) {
        cfg_doc_error(&p->sc->doc, "kv.block_tokens", "the workload has no block size: set one", err, errlen);
        return -1;
    }
    return 0;
}

static int setup(pod_t *p, char *err, size_t errlen)
{
    scenario_t *sc = p->sc;
    if (run_size_check(sc, p->guard_pages, err, errlen))
        return KVT_EXIT_INPUT;
    if (pf_build(&p->pf, sc, err, errlen)) {
        /* pf_build names the section first ("deployment: ..."): locate it in the scenario's files. */
        char msg[1024], path[64];
        const char *colon = strchr(err, ':');
        size_t n = colon ? (size_t)(colon - err) : 0;
        if (colon && n < sizeof path && colon[1] == ' ') {
            memcpy(path, err, n);
            path[n] = '\0';
            snprintf(msg, sizeof msg, "%s", colon + 2);
            cfg_doc_error(&sc->doc, path, msg, err, errlen);
        }
        return KVT_EXIT_INPUT;
    }
    conserve_init(p);
    if (sc->deploy.disagg.enabled)
        p->dg = kvt_calloc(1, sizeof *p->dg);
    /* No arrival after sim.duration_s is issued, so generated scripts need no turn that cannot come before
     * it (workloads/synth.h, horizon_s); arrival times scaled below 1 come sooner, so the horizon widens. */
    wl_config_t wc = sc->workload;
    if (sc->sim.duration_s > 0)
        wc.synth.horizon_s = sc->sim.duration_s / (wc.time_scale < 1 ? wc.time_scale : 1);
    if (wl_source_open(&p->src, &wc, err, errlen))
        return KVT_EXIT_INPUT;
    if (read_first(p, err, errlen))
        return KVT_EXIT_INPUT;
    st_deploy_t dep = {
        .par = {sc->deploy.tp, sc->deploy.pp, sc->deploy.ep},
        .weight_dtype = sc->deploy.weight_dtype,
        .kv_dtype = sc->deploy.kv_dtype,
        .compute_dtype = sc->deploy.compute_dtype,
    };
    char msg[512];
    p->st = st_model_create(&sc->hw.gpu, &sc->model, &dep, NULL, msg, sizeof msg);
    if (!p->st) {
        cfg_doc_error(&sc->doc, "deployment", msg, err, errlen);
        return KVT_EXIT_INPUT;
    }
    /* Disaggregation with per-pool hardware or TP: a step-time model per pool. */
    const sc_disagg_t *dg = &sc->deploy.disagg;
    const uint32_t pool_tp[2] = {dg->prefill_tp, dg->decode_tp};
    const char *const pool_hw[2] = {dg->prefill_hardware, dg->decode_hardware};
    if (dg->enabled && (dg->prefill_tp || dg->decode_tp || dg->prefill_hardware[0] || dg->decode_hardware[0])) {
        for (int k = 0; k < 2; k++) {
            st_deploy_t dk = dep;
            dk.par.tp = pool_tp[k] ? pool_tp[k] : sc->deploy.tp;
            p->st_pool[k] = st_model_create(&sc->pool_gpu[k], &sc->model, &dk, NULL, msg, sizeof msg);
            if (!p->st_pool[k]) {
                char path[64];
                snprintf(path, sizeof path, "deployment.disagg.%s_%s", k ? "decode" : "prefill",
                         pool_tp[k] ? "tp" : (pool_hw[k][0] ? "hardware" : "enabled"));
                cfg_doc_error(&sc->doc, path, msg, err, errlen);
                return KVT_EXIT_INPUT;
            }
        }
    }
    p->kv_bytes_per_token = llm_kv_bytes_per_token(&sc->model, sc->deploy.kv_dtype);
    p->block_bytes = p->kv_bytes_per_token * p->block_tokens;
    p->gpu_idle_w = pw_gpu_w(&sc->hw.gpu, 0, 0);
    if (build_kv(p, err, errlen) || build_policies(p, err, errlen) || future_build(p, err, errlen))
        return KVT_EXIT_INPUT;
    pstage_init(p);
    if (faults_prepare(p, err, errlen))
        return KVT_EXIT_INPUT;
    dispatch_prepare(p, p->first);
    return 0;
}

static void start_actors(pod_t *p, progress_t *progress)
{
    const sc_kv_t *kv = &p->sc->kv;
    p->dispatch_wake = sgb_sem_new(0);
    p->eng = calloc(p->pf.n_inst, sizeof *p->eng);
    p->load_pool = calloc(p->pf.n_inst, sizeof *p->load_pool);
    p->wb_pool = calloc(p->pf.n_domains + 1, sizeof *p->wb_pool);
    for (uint32_t i = 0; i < p->pf.n_inst; i++) {
        sgb_host_t *h = pod_host(p, (pf_ep_t){PF_INST, i});
        xfer_pool_start(&p->load_pool[i], p, kv->transfer_workers, h, "load");
        engine_start(&p->eng[i], p, i);
    }
    for (uint32_t d = 0; d < p->pf.n_domains; d++)
        xfer_pool_start(&p->wb_pool[d], p, kv->writeback_workers, pod_host(p, (pf_ep_t){PF_CPU, d}), "writeback");
    /* Moves between the pod-level tiers (G3.5 -> G4) have their own pool. */
    xfer_pool_start(&p->wb_pool[p->pf.n_domains], p, kv->writeback_workers, pod_host(p, (pf_ep_t){PF_CPU, 0}),
                    "writeback-pod");
    for (uint32_t d = 0; d <= p->pf.n_domains; d++)
        xfer_pool_coalesce(&p->wb_pool[d], kv->writeback_coalesce_ms / 1e3);
    dispatch_start(p, pod_host(p, (pf_ep_t){PF_CPU, 0}));
    pstage_start(p, pod_host(p, (pf_ep_t){PF_CPU, 0}));
    dispatch_start_sampler(p, pod_host(p, (pf_ep_t){PF_CPU, 0}), progress);
    if (p->dg && p->sc->deploy.disagg.planner.enabled)
        planner_start(p, pod_host(p, (pf_ep_t){PF_CPU, 0}));
    faults_start(p, pod_host(p, (pf_ep_t){PF_CPU, 0}));
}

static int write_results(pod_t *p, outdir_t *od, h5out_t *h5, const cJSON *summary, char *err, size_t errlen)
{
    char path[1200];
    outdir_file(od, "summary.json", path, sizeof path);
    int rc = cfg_write_json_atomic(path, summary, err, errlen);
    cJSON *resolved = scenario_to_json(p->sc);
    char *resolved_text = cJSON_Print(resolved);
    if (!rc) {
        outdir_file(od, "scenario.json", path, sizeof path);
        rc = cfg_write_json_atomic(path, resolved, err, errlen);
    }
    /* Always finished: it also closes the file. */
    h5out_run_t run = {.m = p->m, .kv = p->kv, .sc = p->sc, .block_bytes = p->block_bytes};
    if (h5out_finish(h5, &run, resolved_text, p->sc->output.timeseries, err, errlen))
        rc = -1;
    free(resolved_text);
    cJSON_Delete(resolved);
    return rc;
}

int run_scenario(scenario_t *sc, const run_opts_t *opts, char *err, size_t errlen)
{
    double wall0 = wall_clock_s();
    pod_t pod;
    memset(&pod, 0, sizeof pod);
    pod_t *p = &pod;
    p->sc = sc;
    p->guard_pages = true;
    for (int i = 1; i < opts->sg_argc; i++)
        if (strstr(opts->sg_argv[i], "contexts/guard-size:0"))
            p->guard_pages = false;
    char final[1024];
    if (opts->out_dir && opts->out_dir[0])
        snprintf(final, sizeof final, "%s", opts->out_dir);
    else if (sc->output.dir[0])
        snprintf(final, sizeof final, "%s", sc->output.dir);
    else
        snprintf(final, sizeof final, "results/%s", sc->name);
    outdir_t od;
    int code = setup(p, err, errlen);
    if (code) {
        pod_teardown(p);
        return code;
    }
    if (outdir_begin_opts(&od, final, opts->force, err, errlen)) {
        pod_teardown(p);
        return KVT_EXIT_INPUT;
    }
    char xml[1200], h5path[1200];
    outdir_file(&od, "platform.xml", xml, sizeof xml);
    if (pf_write_xml(&p->pf, xml, err, errlen)) {
        outdir_abort(&od);
        pod_teardown(p);
        return KVT_EXIT_INPUT;
    }
    outdir_file(&od, "run.h5", h5path, sizeof h5path);
    h5out_t *h5 = h5out_open(h5path, sc->output.per_request, err, errlen);
    if (!h5) {
        outdir_abort(&od);
        pod_teardown(p);
        return KVT_EXIT_INPUT;
    }
    p->m = create_metrics(p, h5);

    int sg_argc = opts->sg_argc;
    sgb_init(&sg_argc, opts->sg_argv);
    sgb_load_platform(xml);
    host_table(p);
    progress_t progress;
    progress_init(&progress, opts->quiet);
    start_actors(p, &progress);
    sgb_run(sc->sim.max_sim_s);
    progress_done(&progress);
    double t_final = sgb_now();

    if (p->fail_code) {
        snprintf(err, errlen, "%s", p->fail_msg);
        for (uint32_t i = 0; i < p->pf.n_inst; i++)
            engine_drop_requests(&p->eng[i]);
        h5out_abort(h5);
        outdir_abort(&od);
        pod_teardown(p);
        return p->fail_code;
    }
    for (uint32_t i = 0; i < p->pf.n_inst; i++)
        engine_flush_unfinished(&p->eng[i]);
    if (p->ctx_over) {
        static const char *const done[] = {"were simulated as given", "had their input cut to fit", "were rejected",
                                           ""};
        fprintf(stderr,
                "kvtwin: %s%llu requests have contexts (input + output tokens) beyond %s's %u-token window (the "
                "longest %llu) and %s (workload.context_overflow %s%s)\n",
                sc->workload.context_overflow == WL_OVERFLOW_WARN ? "warning: " : "", (unsigned long long)p->ctx_over,
                sc->model.name, sc->model.max_context_tokens, (unsigned long long)p->ctx_longest,
                done[sc->workload.context_overflow], wl_overflow_names[sc->workload.context_overflow],
                sc->workload.context_overflow == WL_OVERFLOW_WARN ? "; truncate or reject them, or error" : "");
    }
    metrics_finish(p->m, t_final);
    cJSON *summary = metrics_summary(p->m);
    disagg_summary(p, summary);
    faults_summary(p, summary);
    peer_summary(p, summary);
    xfer_summary(p, summary);
    /* Nothing is published from a run whose books do not balance. */
    if (conserve_check(p, summary, err, errlen)) {
        cJSON_Delete(summary);
        h5out_abort(h5);
        outdir_abort(&od);
        pod_teardown(p);
        return KVT_EXIT_FAIL;
    }
    /* Writing or moving the results failed (a full disk, a vanished folder): an output error, exit 2. */
    if (write_results(p, &od, h5, summary, err, errlen) || outdir_commit(&od, err, errlen)) {
        cJSON_Delete(summary);
        outdir_abort(&od);
        pod_teardown(p);
        return KVT_EXIT_INPUT;
    }
    if (!opts->quiet) {
        metrics_print(p->m, summary, stdout);
        printf("  results           %s/\n", od.final);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double wall = wall_clock_s() - wall0;
        double nreq = (double)metrics_completed(p->m);
        double acts = (double)sgb_activity_count();
        fprintf(stderr,
                "kvtwin: %.0f requests, %.0f s simulated in %.2f s wall: %.0f requests/s, %.0f SimGrid "
                "activities/s (%.2f per request), peak RSS %.0f MB\n",
                nreq, t_final, wall, nreq / wall, acts / wall, nreq > 0 ? acts / nreq : 0, ru.ru_maxrss / 1024.0);
    }
    cJSON_Delete(summary);
    pod_teardown(p);
    return KVT_EXIT_OK;
}
