/* Peer KV (kv.peer_g2, sim/core/peer.h), end to end on a hand-built case: two DGX-H100 nodes (two domains),
 * one TP8 Llama-3.1-70B instance each, round-robin routing, write-through to G2. Request 1 computes a
 * 32,000-token document on instance 0 (node 0), whose G2 then holds it; request 2, 30 s later, carries the
 * same document and lands on instance 1 (node 1), whose own tiers hold none of it:
 *  - peer KV on: its document is loaded from node 0's G2 in one transfer (peer_kv.loads 1), the bytes are
 *    the document's KV (163,840 B per token in FP8) and equal what the transfer layer moved out of G2, the
 *    reused tokens are the document, and its TTFT is shorter than with the key off;
 *  - off: nothing is loaded from G2, the document is recomputed, and the summary has no peer_kv section;
 *  - on, but the nodes' ports throttled to 1 Gbit/s: loading loses to recomputing, so nothing is loaded;
 *  - every run passes the in-run conservation check (kvtwin exits non-zero otherwise) and its tokens add up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "testutil.h"

static const char trace[] =
    "{\"kvtwin_native\": 1, \"block_tokens\": 16}\n"
    "{\"session\": 1, \"turn\": 0, \"last\": true, \"arrival_s\": 0, \"input_tokens\": 32016, \"output_tokens\": 4, "
    "\"prefix\": [{\"stream\": \"doc\", \"tokens\": 32000}]}\n"
    "{\"session\": 2, \"turn\": 0, \"last\": true, \"arrival_s\": 30, \"input_tokens\": 32016, \"output_tokens\": 4, "
    "\"prefix\": [{\"stream\": \"doc\", \"tokens\": 32000}]}\n";

static const char scenario[] =
    "{\"name\": \"peer\", \"seed\": 1, \"hardware\": {\"preset\": \"dgx-h100\", \"nodes\": 2},"
    " \"model\": \"llama-3.1-70b\", \"deployment\": {\"tp\": 8, \"router\": \"round-robin\"},"
    " \"kv\": {\"g2\": {\"enabled\": true}, \"write_policy\": \"write-through\"},"
    " \"workload\": {\"format\": \"native\", \"path\": \"trace.jsonl\", \"replay\": \"open\"},"
    " \"sim\": {\"sample_interval_s\": 10, \"drain\": true}}";

static cJSON *run(const char *dir, const char *tag, const char *s1, const char *s2, const char *s3)
{
    const char *scen = tu_write_file(dir, "peer.json", scenario);
    tu_write_file(dir, "trace.jsonl", trace);
    char out[1100];
    snprintf(out, sizeof out, "%s/%s", dir, tag);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", scen, "--out", out, "--quiet", "--set", s1, "--set",
                           s2 ? s2 : "sim.drain=true", "--set", s3 ? s3 : "sim.drain=true", NULL);
    ck_assert_msg(rc == 0, "kvtwin run failed (%d): %s", rc, err);
    free(err);
    char path[1200];
    snprintf(path, sizeof path, "%s/summary.json", out);
    char *text = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(j);
    double in = tu_num(j, "tokens_completed_requests", "input", NULL);
    ck_assert_double_eq(in, 2 * 32016);
    ck_assert_double_eq_tol(in,
                            tu_num(j, "tokens_completed_requests", "reused", NULL) +
                                tu_num(j, "tokens_completed_requests", "computed", NULL),
                            1e-6);
    return j;
}

START_TEST(peer_g2_loaded_when_on_recomputed_when_off)
{
    const char *dir = tu_scratch_dir("peer");
    cJSON *on = run(dir, "on", "kv.peer_g2=true", NULL, NULL);
    double doc = 32000.0 * 163840.0;
    ck_assert_double_eq(tu_num(on, "peer_kv", "loads", NULL), 1);
    ck_assert_double_eq(tu_num(on, "peer_kv", "bytes", NULL), doc);
    ck_assert_double_eq(tu_num(on, "transfers", "load_bytes_by_source_tier", "G2"), doc);
    ck_assert_double_eq(tu_num(on, "tokens_completed_requests", "reused", NULL), 32000);
    cJSON *off = run(dir, "off", "kv.peer_g2=false", NULL, NULL);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(off, "peer_kv"));
    ck_assert_double_eq(tu_num(off, "transfers", "load_bytes_by_source_tier", "G2"), 0);
    ck_assert_double_eq(tu_num(off, "tokens_completed_requests", "reused", NULL), 0);
    /* The second request's TTFT is the maximum of the two (the first computes its document in both runs). */
    double t_on = tu_num(on, "latency_s", "ttft", "p50"), t_off = tu_num(off, "latency_s", "ttft", "p50");
    ck_assert_msg(t_on < t_off, "TTFT p50 with peer KV %g s, without %g s", t_on, t_off);
    cJSON_Delete(on);
    cJSON_Delete(off);
}
END_TEST

START_TEST(peer_route_weighed_against_recompute)
{
    const char *dir = tu_scratch_dir("peer-slow");
    /* The key on, the nodes' ports at 1 Gbit/s: the peer route loses to recomputing the document. */
    cJSON *j = run(dir, "slow", "kv.peer_g2=true", "hardware.node.nic_port_gbit_s=1", "hardware.node.dpu_gbit_s=1");
    ck_assert_double_eq(tu_num(j, "peer_kv", "loads", NULL), 0);
    ck_assert_double_eq(tu_num(j, "tokens_completed_requests", "reused", NULL), 0);
    cJSON_Delete(j);
}
END_TEST

static Suite *peer_suite(void)
{
    Suite *s = suite_create("peer");
    TCase *tc = tcase_create("peer");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, peer_g2_loaded_when_on_recomputed_when_off);
    tcase_add_test(tc, peer_route_weighed_against_recompute);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(peer_suite());
}
