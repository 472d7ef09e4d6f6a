/* Prefill/decode disaggregation, end to end (kvtwin run on the 500-request Mooncake fixture, Llama-3.1-8B on
 * two H100 nodes, TP 4: instance 0 prefills, 1 to 3 decode; 1 shares instance 0's NVLink domain (node 0),
 * 2 and 3 sit on node 1, across the fabric):
 *  - one KV transfer per handed-off request, each landed; a request is handed off iff it decoded on the
 *    decode pool; their bytes are the prompts' KV (65,536 B per token for this model in FP8: 2 x 32 layers x
 *    8 KV heads x 128) and equal the G1-sourced bytes the transfer layer moved; some went over NVLink, some
 *    over the fabric;
 *  - the run's in-run conservation check passes (requests, tokens, bytes per tier and per link class,
 *    joules) with disaggregation on, conditional or not, and the summary balances;
 *  - TTFT includes the transfer: with one instance per node (TP 8) and the nodes' ports throttled, the
 *    mean TTFT grows by the mean transfer time; with the first token from the prefill instance (DistServe,
 *    deployment.disagg.first_token) it does not, and TPOT grows instead;
 *  - conditional disaggregation prefills some requests on the decode pool, and every request is accounted
 *    for as handed off, prefilled locally, or done at its prefill (one-token outputs);
 *  - each pool's batch limits bind on it (prefill tokens per iteration: TTFT; decode batch: latency);
 *  - the planner converges on a load step (one prefill instance of eight from the start): it moves decode
 *    instances to prefill early, then holds; each move and the pool size are in run.h5 /timeseries;
 *  - placement: packed puts the prefill pool on node 0 (every handoff over the fabric), topology-aware mixes
 *    the pools in each NVLink domain (handoffs on NVLink, sooner);
 *  - a prefill pool that leaves no decode instance is an input error naming the key;
 *  - per-pool hardware: a decode pool on DGX-A100 GPUs decodes slower (TPOT) than on the pod's H100s, with
 *    the same handoffs; a prefill pool on A100s prefills slower (TTFT), its decode TPOT about unchanged;
 *  - per-pool TP: a decode pool at TP 2 next to a TP 4 prefill instance has six instances on the remaining
 *    12 GPUs, each with half the GPUs' KV budget; TPOT moves; bad per-pool keys are input errors naming the
 *    key (unknown preset, TP the model does not split into, a pool setting without disaggregation, per-pool
 *    TP that does not tile a node, a placement other than packed). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <stdio.h>

#include "testutil.h"

static const char *const base_sets[] = {"hardware.nodes=2", "deployment.tp=4", "sim.drain=true"};

static cJSON *run(const char *out, const char *s1, const char *s2)
{
    const char *scen = tu_fixture("scenarios/mooncake-500.json");
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", scen, "--out", out, "--quiet", "--set", base_sets[0], "--set",
                           base_sets[1], "--set", base_sets[2], "--set", s1 ? s1 : "sim.drain=true", "--set",
                           s2 ? s2 : "sim.drain=true", NULL);
    ck_assert_msg(rc == 0, "kvtwin run failed (%d): %s", rc, err);
    free(err);
    cJSON *j = tu_read_summary(out);
    return j;
}

static size_t column(const char *out, const char *name, double *v, size_t cap)
{
    return tu_h5_column(out, "/requests", name, v, cap);
}

static void balances(const cJSON *s)
{
    double arrived = tu_num(s, "requests", "arrived", NULL);
    ck_assert_double_eq(arrived, 500);
    ck_assert_double_eq(tu_num(s, "requests", "completed", NULL), 500);
    double in = tu_num(s, "tokens_completed_requests", "input", NULL);
    ck_assert_double_eq_tol(in,
                            tu_num(s, "tokens_completed_requests", "reused", NULL) +
                                tu_num(s, "tokens_completed_requests", "computed", NULL),
                            1e-6);
}

#define DISAGG_ON "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1}"

START_TEST(one_transfer_per_request_and_bytes_add_up)
{
    const char *dir = tu_scratch_dir("disagg");
    char out[1024];
    snprintf(out, sizeof out, "%s/on", dir);
    cJSON *s = run(out, DISAGG_ON, NULL);
    balances(s);
    static double inst[600], input[600], output[600];
    size_t n = column(out, "instance", inst, 600);
    ck_assert_uint_eq(column(out, "input_tokens", input, 600), n);
    ck_assert_uint_eq(column(out, "output_tokens", output, 600), n);
    double moved = 0, handed = 0;
    for (size_t i = 0; i < n; i++) {
        if (output[i] > 1) {
            ck_assert_msg(inst[i] >= 1, "request %zu decoded on the prefill instance", i);
            handed++;
            moved += input[i] * 65536.0;
        } else {
            ck_assert_double_eq(inst[i], 0); /* a one-token answer ends at its prefill */
        }
    }
    ck_assert(handed > 400);
    ck_assert_double_eq(tu_num(s, "disaggregation", "handoffs", NULL), handed);
    ck_assert_double_eq(tu_num(s, "disaggregation", "kv_transfers", NULL), handed);
    ck_assert_double_eq(tu_num(s, "disaggregation", "kv_transfers_landed", NULL), handed);
    ck_assert_double_eq(tu_num(s, "disaggregation", "kv_bytes", NULL), moved);
    /* What SimGrid moved out of a G1 is exactly the handoffs (no other load has a G1 source). */
    ck_assert_double_eq(tu_num(s, "transfers", "load_bytes_by_source_tier", "G1"), moved);
    double nvl = tu_num(s, "disaggregation", "kv_bytes_nvlink", NULL);
    ck_assert_msg(nvl > 0 && nvl < moved, "NVLink %g of %g bytes: both hops expected", nvl, moved);
    ck_assert(tu_num(s, "disaggregation", "handoff_s_mean", NULL) > 0);
    ck_assert_double_eq(tu_num(s, "disaggregation", "local_prefills", NULL), 0);
    /* Off: no section, no instance-to-instance bytes. */
    snprintf(out, sizeof out, "%s/off", dir);
    cJSON *o = run(out, NULL, NULL);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(o, "disaggregation"));
    ck_assert_double_eq(tu_num(o, "transfers", "load_bytes_by_source_tier", "G1"), 0);
    cJSON_Delete(o);
    cJSON_Delete(s);
}
END_TEST

/* TP 8 (one instance per node, so every KV transfer crosses the fabric) with the nodes' network ports at
 * 10 Gbit/s instead of 400, disaggregation set by dg; compute does not change. */
static cJSON *run_slow_ports(const char *out, const char *dg)
{
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/mooncake-500.json"), "--out", out, "--quiet",
                           "--set", base_sets[0], "--set", "deployment.tp=8", "--set", base_sets[2], "--set", dg,
                           "--set", "hardware.node.dpu_gbit_s=10", "--set", "hardware.node.nic_port_gbit_s=10", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    cJSON *s = tu_read_summary(out);
    balances(s);
    return s;
}

START_TEST(ttft_includes_the_transfer)
{
    /* TP 8: one instance per node, so every KV transfer crosses the fabric (node ports, leaf); then the
     * node's network ports at 10 Gbit/s instead of 400. Compute does not change. */
    const char *dir = tu_scratch_dir("disagg");
    char out[1024];
    snprintf(out, sizeof out, "%s/fast", dir);
    cJSON *f = run(out, DISAGG_ON, "deployment.tp=8");
    snprintf(out, sizeof out, "%s/slow", dir);
    cJSON *s = run_slow_ports(out, DISAGG_ON);
    ck_assert_double_eq(tu_num(f, "disaggregation", "kv_bytes_nvlink", NULL), 0);
    double tf = tu_num(f, "disaggregation", "handoff_s_mean", NULL),
           ts = tu_num(s, "disaggregation", "handoff_s_mean", NULL);
    ck_assert_msg(ts > 10 * tf, "transfer %g s against %g s", ts, tf);
    double a = tu_num(f, "latency_s", "ttft", "mean"), b = tu_num(s, "latency_s", "ttft", "mean");
    ck_assert_msg(b - a > 0.9 * (ts - tf),
                  "TTFT %g s against %g s: the slower transfer (%g s against %g s) is not in it", b, a, ts, tf);
    cJSON_Delete(f);
    cJSON_Delete(s);
}
END_TEST

START_TEST(first_token_from_the_prefill_instance)
{
    /* The slow-port setup of the test above, the first token returned by the decode instance (the default)
     * or by the prefill instance (DistServe): the same handoffs and bytes, but the transfer leaves TTFT and
     * lands in the gap to the second token instead. */
    const char *dir = tu_scratch_dir("disagg");
    static const char *const modes[2] = {"decode", "prefill"};
    cJSON *s[2];
    for (int k = 0; k < 2; k++) {
        char out[1024], dg[160];
        snprintf(out, sizeof out, "%s/first-%s", dir, modes[k]);
        snprintf(dg, sizeof dg,
                 "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"first_token\": \"%s\"}", modes[k]);
        s[k] = run_slow_ports(out, dg);
    }
    ck_assert_double_eq(tu_num(s[0], "disaggregation", "kv_bytes", NULL),
                        tu_num(s[1], "disaggregation", "kv_bytes", NULL));
    double handoff = tu_num(s[1], "disaggregation", "handoff_s_mean", NULL);
    double ttft[2], tpot[2];
    for (int k = 0; k < 2; k++) {
        ttft[k] = tu_num(s[k], "latency_s", "ttft", "mean");
        tpot[k] = tu_num(s[k], "latency_s", "tpot", "mean");
    }
    ck_assert_msg(ttft[0] - ttft[1] > 0.9 * handoff, "TTFT %g s (decode) against %g s (prefill), handoff %g s", ttft[0],
                  ttft[1], handoff);
    ck_assert_msg(tpot[1] > tpot[0], "TPOT %g s (prefill) against %g s (decode)", tpot[1], tpot[0]);
    cJSON_Delete(s[0]);
    cJSON_Delete(s[1]);
}
END_TEST

START_TEST(conditional_prefills_some_locally)
{
    const char *dir = tu_scratch_dir("disagg");
    char out[1024];
    snprintf(out, sizeof out, "%s/cond", dir);
    cJSON *s = run(out,
                   "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"conditional\": true, "
                   "\"max_local_prefill_tokens\": 2000}",
                   NULL);
    balances(s);
    double local = tu_num(s, "disaggregation", "local_prefills", NULL);
    double handed = tu_num(s, "disaggregation", "handoffs", NULL);
    ck_assert(local > 0 && handed > 0);
    static double inst[600], output[600];
    size_t n = column(out, "instance", inst, 600);
    column(out, "output_tokens", output, 600);
    double on_prefill = 0;
    for (size_t i = 0; i < n; i++)
        on_prefill += inst[i] == 0;
    /* Every request: handed off, prefilled on the decode pool, or finished at its prefill. */
    ck_assert_double_eq(handed + local + on_prefill, 500);
    ck_assert_double_eq(tu_num(s, "disaggregation", "kv_transfers", NULL), handed);
    /* The queue criterion alone (by length only prompts the decode instance holds whole), with a prefill
     * batch of two so that requests queue: a zero threshold sends to the decode pool whatever finds a request
     * waiting; a huge one, nothing more. */
    snprintf(out, sizeof out, "%s/cond-queue0", dir);
    cJSON *q0 = run(out,
                    "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"conditional\": true, "
                    "\"max_local_prefill_tokens\": 0, \"max_prefill_queue\": 0, \"prefill_max_batch_seqs\": 2}",
                    NULL);
    snprintf(out, sizeof out, "%s/cond-queue-inf", dir);
    cJSON *qi = run(out,
                    "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"conditional\": true, "
                    "\"max_local_prefill_tokens\": 0, \"max_prefill_queue\": 1e9, \"prefill_max_batch_seqs\": 2}",
                    NULL);
    double l0 = tu_num(q0, "disaggregation", "local_prefills", NULL),
           li = tu_num(qi, "disaggregation", "local_prefills", NULL);
    ck_assert_msg(l0 > li + 10 && li < 10, "local prefills %g (queue 0) against %g (queue 1e9)", l0, li);
    cJSON_Delete(q0);
    cJSON_Delete(qi);
    cJSON_Delete(s);
}
END_TEST

/* Each pool's batch limits bind on that pool: a prefill pool of 512-token iterations slows the prefills (TTFT),
 * a decode pool of 2 requests per instance queues the decodes (end-to-end latency), each against the default. */
START_TEST(per_pool_batching)
{
    const char *dir = tu_scratch_dir("disagg");
    char out[1024];
    snprintf(out, sizeof out, "%s/batch-default", dir);
    cJSON *d = run(out, DISAGG_ON, NULL);
    snprintf(out, sizeof out, "%s/batch-prefill", dir);
    cJSON *p =
        run(out, "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"prefill_max_batch_tokens\": 512}",
            "deployment.prefill_chunk_tokens=512");
    snprintf(out, sizeof out, "%s/batch-decode", dir);
    cJSON *q =
        run(out, "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"decode_max_batch_seqs\": 2}", NULL);
    /* Both limits are tight enough that some requests are still queued when the run ends. */
    ck_assert_double_eq(tu_num(p, "requests", "arrived", NULL),
                        tu_num(p, "requests", "completed", NULL) + tu_num(p, "requests", "unfinished", NULL));
    ck_assert_double_eq(tu_num(q, "requests", "arrived", NULL),
                        tu_num(q, "requests", "completed", NULL) + tu_num(q, "requests", "unfinished", NULL));
    ck_assert(tu_num(p, "latency_s", "ttft", "mean") > 1.2 * tu_num(d, "latency_s", "ttft", "mean"));
    ck_assert(tu_num(q, "latency_s", "e2e", "mean") > 1.5 * tu_num(d, "latency_s", "e2e", "mean"));
    cJSON_Delete(d);
    cJSON_Delete(p);
    cJSON_Delete(q);
}
END_TEST

static size_t ts_column(const char *out, const char *name, double *v, size_t cap)
{
    return tu_h5_column(out, "/timeseries", name, v, cap);
}

/* The planner on a load step: one prefill instance of eight (two nodes, TP 2) takes the whole Mooncake load from t = 0 (TTFT
 * about 3 s without a planner against a 0.5 s target); every 10 s the planner may move the boundary. It moves
 * decode instances to prefill until TTFT meets the target, then holds: its moves all come early, the pool
 * ends larger, TTFT falls well below the static split's, and run.h5 /timeseries logs each move and the
 * pool size. */
START_TEST(planner_converges_on_a_load_step)
{
    const char *dir = tu_scratch_dir("disagg");
    char out[1024];
    snprintf(out, sizeof out, "%s/static", dir);
    cJSON *st = run(out, DISAGG_ON, "deployment.tp=2");
    snprintf(out, sizeof out, "%s/planner", dir);
    cJSON *s = run(out,
                   "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"planner\": {\"enabled\": true, "
                   "\"interval_s\": 10, \"switch_s\": 5, \"ttft_target_s\": 0.5, \"tpot_target_s\": 0.05}}",
                   "deployment.tp=2");
    balances(s);
    double up = tu_num(s, "disaggregation", "planner_moves_to_prefill", NULL);
    double down = tu_num(s, "disaggregation", "planner_moves_to_decode", NULL);
    double fin = tu_num(s, "disaggregation", "prefill_instances_final", NULL);
    ck_assert_msg(up >= 1 && fin == 1 + up - down && fin > 1 && fin < 8, "moves %g up %g down, final %g", up, down,
                  fin);
    static double t[4096], pool[4096], moves[4096];
    size_t n = ts_column(out, "t_s", t, 4096);
    ts_column(out, "prefill_instances", pool, 4096);
    ts_column(out, "planner_moves", moves, 4096);
    double sum = 0, last_move_t = 0;
    for (size_t i = 0; i < n; i++) {
        sum += moves[i];
        if (moves[i] != 0)
            last_move_t = t[i];
    }
    ck_assert_double_eq(sum, up - down);
    /* The pool size at the last sampled interval's end (a final partial interval has no gauge). */
    size_t last = n;
    while (last > 0 && pool[last - 1] == 0)
        last--;
    ck_assert_uint_gt(last, n / 2);
    ck_assert_double_eq(pool[last - 1], fin);
    for (size_t i = 0; i < last; i++) {
        ck_assert(pool[i] >= 1 && pool[i] <= fin);
        if (i > 0 && down == 0)
            ck_assert(pool[i] >= pool[i - 1]); /* it only grew */
    }
    /* Converged: no decision in the second half of the run. */
    ck_assert_msg(last_move_t < 0.5 * t[n - 1], "last move at %g s of %g s", last_move_t, t[n - 1]);
    ck_assert(tu_num(s, "latency_s", "ttft", "mean") < 0.5 * tu_num(st, "latency_s", "ttft", "mean"));
    /* A switch that never ends: one move, then the planner waits for it for the rest of the run. */
    snprintf(out, sizeof out, "%s/planner-slow-switch", dir);
    cJSON *w = run(out,
                   "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"planner\": {\"enabled\": true, "
                   "\"interval_s\": 10, \"switch_s\": 1e6, \"ttft_target_s\": 0.5, \"tpot_target_s\": 0.05}}",
                   "deployment.tp=2");
    ck_assert_double_eq(tu_num(w, "disaggregation", "planner_moves_to_prefill", NULL), 1);
    cJSON_Delete(w);
    cJSON_Delete(st);
    cJSON_Delete(s);
}
END_TEST

/* Placement: two prefill and two decode instances on two nodes (NVLink domains of two instances). Packed,
 * the prefill pool fills node 0 and every handoff crosses the fabric; topology-aware (and spread, here the
 * same layout) puts one of each pool on each node, so handoffs can stay on NVLink and land sooner. */
START_TEST(placement_keeps_handoffs_on_nvlink)
{
    const char *dir = tu_scratch_dir("disagg");
    char out[1024];
    const char *two = "deployment.disagg={\"enabled\": true, \"prefill_instances\": 2}";
    snprintf(out, sizeof out, "%s/packed", dir);
    cJSON *pk = run(out, two, "deployment.placement=\"packed\"");
    snprintf(out, sizeof out, "%s/topo", dir);
    cJSON *tp = run(out, two, "deployment.placement=\"topology-aware\"");
    balances(pk);
    balances(tp);
    ck_assert_double_eq(tu_num(pk, "disaggregation", "kv_bytes_nvlink", NULL), 0);
    ck_assert(tu_num(tp, "disaggregation", "kv_bytes_nvlink", NULL) >
              0.3 * tu_num(tp, "disaggregation", "kv_bytes", NULL));
    ck_assert(tu_num(tp, "disaggregation", "handoff_s_mean", NULL) <
              tu_num(pk, "disaggregation", "handoff_s_mean", NULL));
    cJSON_Delete(pk);
    cJSON_Delete(tp);
}
END_TEST

START_TEST(pools_must_leave_a_decode_instance)
{
    const char *scen = tu_fixture("scenarios/mooncake-500.json");
    const char *dir = tu_scratch_dir("disagg");
    static const char *const bad[] = {"deployment.disagg={\"enabled\": true, \"prefill_instances\": 8}",
                                      "deployment.disagg={\"enabled\": true, \"prefill_instances\": 0}"};
    for (int k = 0; k < 2; k++) {
        char *err = NULL;
        int rc = tu_run_kvtwin(NULL, &err, "run", scen, "--out", dir, "--quiet", "--set", bad[k], NULL);
        ck_assert_int_eq(rc, 2);
        ck_assert_msg(err && strstr(err, "deployment.disagg.prefill_instances"), "%s", err);
        free(err);
    }
}
END_TEST

START_TEST(per_pool_hardware)
{
    const char *dir = tu_scratch_dir("disagg");
    char out[1024];
    snprintf(out, sizeof out, "%s/hw-h100", dir);
    cJSON *h = run(out, DISAGG_ON, "deployment.compute_dtype=bf16"); /* A100s have no FP8 tensor cores */
    snprintf(out, sizeof out, "%s/hw-a100", dir);
    cJSON *a =
        run(out, "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"decode_hardware\": \"dgx-a100\"}",
            "deployment.compute_dtype=bf16");
    balances(a);
    double tpot_h = tu_num(h, "latency_s", "tpot", "mean"), tpot_a = tu_num(a, "latency_s", "tpot", "mean");
    ck_assert_msg(tpot_a > 1.2 * tpot_h, "A100 decode TPOT %g vs H100 %g", tpot_a, tpot_h);
    ck_assert_double_eq(tu_num(a, "disaggregation", "handoffs", NULL), tu_num(h, "disaggregation", "handoffs", NULL));
    /* The prefill pool on A100s instead: slower prompts (TTFT), the decode pool's TPOT about unchanged. */
    snprintf(out, sizeof out, "%s/hw-a100-prefill", dir);
    cJSON *pa =
        run(out, "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"prefill_hardware\": \"dgx-a100\"}",
            "deployment.compute_dtype=bf16");
    double ttft_h = tu_num(h, "latency_s", "ttft", "mean"), ttft_pa = tu_num(pa, "latency_s", "ttft", "mean");
    ck_assert_msg(ttft_pa > 1.2 * ttft_h, "A100 prefill TTFT %g vs H100 %g", ttft_pa, ttft_h);
    ck_assert(tu_num(pa, "latency_s", "tpot", "mean") < 1.1 * tpot_h);
    cJSON_Delete(h);
    cJSON_Delete(a);
    cJSON_Delete(pa);
}
END_TEST

START_TEST(per_pool_tp)
{
    const char *dir = tu_scratch_dir("disagg");
    char out[1024];
    snprintf(out, sizeof out, "%s/tp-4", dir);
    cJSON *b = run(out, DISAGG_ON, NULL);
    snprintf(out, sizeof out, "%s/tp-2", dir);
    cJSON *t = run(out, "deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"decode_tp\": 2}", NULL);
    balances(t);
    ck_assert_double_eq(tu_num(b, "disaggregation", "decode_instances", NULL), 3);
    ck_assert_double_eq(tu_num(t, "disaggregation", "decode_instances", NULL), 6);
    /* G1 over all instances: 4 + 6 x 2 = 16 GPUs either way, the same per-GPU budget (one model's weights
     * per instance: TP 2 instances keep a smaller share of their HBM for KV). */
    static double cap_b[8], cap_t[8];
    ck_assert_uint_eq(tu_h5_column(out, "/tiers", "capacity_blocks", cap_t, 8), 5);
    snprintf(out, sizeof out, "%s/tp-4", dir);
    ck_assert_uint_eq(tu_h5_column(out, "/tiers", "capacity_blocks", cap_b, 8), 5);
    ck_assert_msg(cap_t[0] < cap_b[0] && cap_t[0] > 0.8 * cap_b[0], "G1 blocks %g (TP 2 decode) vs %g", cap_t[0],
                  cap_b[0]);
    ck_assert(tu_num(t, "latency_s", "tpot", "mean") != tu_num(b, "latency_s", "tpot", "mean"));
    cJSON_Delete(b);
    cJSON_Delete(t);
    const char *scen = tu_fixture("scenarios/mooncake-500.json");
    static const struct {
        const char *set, *extra, *frag;
    } bad[] = {
        {"deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"decode_hardware\": \"no-such\"}", NULL,
         "deployment.disagg.decode_hardware: unknown hardware preset \"no-such\""},
        {"deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"prefill_tp\": 3}", NULL,
         "deployment.disagg.prefill_tp"},
        {"deployment.disagg.decode_tp=2", NULL,
         "deployment.disagg.decode_tp: disaggregation is off (deployment.disagg.enabled is false)"},
        {"deployment.disagg.prefill_hardware=dgx-a100", NULL,
         "deployment.disagg.prefill_hardware: disaggregation is off"},
        {"deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"decode_tp\": 16}", NULL,
         "deployment.disagg.decode_tp"},
        {"deployment.disagg.first_token=prefill", NULL,
         "deployment.disagg.first_token: disaggregation is off (deployment.disagg.enabled is false)"},
        {"deployment.disagg.conditional=true", NULL, "deployment.disagg.conditional: disaggregation is off"},
        {"deployment.disagg={\"enabled\": true, \"prefill_instances\": 1, \"decode_tp\": 2}",
         "deployment.placement=spread", "deployment.placement"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char *err = NULL;
        int rc = tu_run_kvtwin(NULL, &err, "run", scen, "--out", dir, "--quiet", "--set", base_sets[0], "--set",
                               base_sets[1], "--set", bad[k].set, "--set",
                               bad[k].extra ? bad[k].extra : "sim.drain=true", NULL);
        ck_assert_int_eq(rc, 2);
        ck_assert_msg(err && strstr(err, bad[k].frag), "case %zu: %s", k, err);
        ck_assert_msg(!strchr(err, '\n') || strchr(err, '\n') == err + strlen(err) - 1, "one line: %s", err);
        free(err);
    }
    /* A study variant switching off a disaggregated base writes enabled: false; the base's other keys, the
     * per-pool ones included, are then accepted and change nothing: the co-located run's figures. */
    char off[1100], plain[1100];
    snprintf(off, sizeof off, "%s/switched-off", dir);
    snprintf(plain, sizeof plain, "%s/co-located", dir);
    cJSON *o = run(off,
                   "deployment.disagg={\"enabled\": false, \"prefill_instances\": 1, \"decode_tp\": 2, "
                   "\"prefill_hardware\": \"dgx-a100\", \"first_token\": \"prefill\"}",
                   NULL);
    cJSON *c = run(plain, NULL, NULL);
    ck_assert_double_eq(tu_num(o, "throughput", "output_tokens_per_s", NULL),
                        tu_num(c, "throughput", "output_tokens_per_s", NULL));
    ck_assert_double_eq(tu_num(o, "latency_s", "ttft", "mean"), tu_num(c, "latency_s", "ttft", "mean"));
    ck_assert_double_eq(tu_num(o, "latency_s", "tpot", "mean"), tu_num(c, "latency_s", "tpot", "mean"));
    cJSON_Delete(o);
    cJSON_Delete(c);
}
END_TEST

static Suite *disagg_suite(void)
{
    Suite *s = suite_create("disagg");
    TCase *tc = tcase_create("disagg");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, one_transfer_per_request_and_bytes_add_up);
    tcase_add_test(tc, ttft_includes_the_transfer);
    tcase_add_test(tc, first_token_from_the_prefill_instance);
    tcase_add_test(tc, conditional_prefills_some_locally);
    tcase_add_test(tc, per_pool_batching);
    tcase_add_test(tc, planner_converges_on_a_load_step);
    tcase_add_test(tc, placement_keeps_handoffs_on_nvlink);
    tcase_add_test(tc, pools_must_leave_a_decode_instance);
    tcase_add_test(tc, per_pool_hardware);
    tcase_add_test(tc, per_pool_tp);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(disagg_suite());
}
