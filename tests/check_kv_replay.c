/* Cache-only replay (sim/kv/replay.h) on hand-made traces: hit tokens clamped to the input, per-tier
 * attribution with the clamp on the last hit block, request averages, requests larger than G1, the oracle
 * requirement of offline policies; and the CLI's bad-input paths (unknown policy or parameter: exit 2 with
 * the valid names; `kvtwin policies` lists every policy). The Mooncake figures are in docs/validation.md. */
#include <stdlib.h>
#include <string.h>

#include "sim/kv/policy.h"
#include "sim/kv/replay.h"
#include "testutil.h"

static kv_cfg_t cfg1(const char *policy, uint64_t g1, uint64_t g2)
{
    kv_cfg_t c;
    memset(&c, 0, sizeof c);
    c.tier[KV_G1].enabled = true;
    c.tier[KV_G1].capacity_blocks = g1;
    strcpy(c.tier[KV_G1].policy, policy);
    if (g2) {
        c.tier[KV_G2].enabled = true;
        c.tier[KV_G2].capacity_blocks = g2;
        c.tier[KV_G2].inclusive = true;
        strcpy(c.tier[KV_G2].policy, policy);
    }
    return c;
}

START_TEST(clamps_and_attributes)
{
    kv_trace_t t;
    kv_trace_init(&t);
    uint64_t a[] = {1, 2, 3}, b[] = {1, 2, 3, 4}, c[] = {9, 9};
    kv_trace_add(&t, a, 3, 30, 10, UINT64_MAX, 0);
    kv_trace_add(&t, b, 4, 25, 10, UINT64_MAX, 1); /* prefix 3 blocks = 30 tokens, clamped to 25 */
    kv_trace_add(&t, c, 2, 20, 10, UINT64_MAX, 2); /* a repeated id within one request finds no hit */
    kv_trace_finish(&t);
    ck_assert_uint_eq(kv_trace_distinct(&t), 5);
    kv_cfg_t cfg = cfg1("lru", 100, 0);
    kv_replay_result_t r;
    char err[256];
    ck_assert_int_eq(kv_replay_run(&t, &cfg, NULL, &r, err, sizeof err), 0);
    ck_assert_uint_eq(r.requests, 3);
    ck_assert_uint_eq(r.block_refs, 9);
    ck_assert_uint_eq(r.hit_blocks, 3);
    ck_assert_uint_eq(r.input_tokens, 75);
    ck_assert_uint_eq(r.hit_tokens, 25);
    ck_assert_uint_eq(r.hit_tokens_tier[KV_G1], 25);
    ck_assert_double_eq_tol(r.req_hit_sum, 1.0, 1e-12);
    kv_trace_free(&t);
}
END_TEST

/* G1 of 2 blocks over G2: the second request finds its first block in G2 (demoted) and the clamp of its
 * partial last block comes out of the tier that served that block. */
START_TEST(per_tier_split)
{
    kv_trace_t t;
    kv_trace_init(&t);
    uint64_t a[] = {1, 2}, b[] = {3, 4}, c[] = {1, 2, 5};
    kv_trace_add(&t, a, 2, 20, 10, UINT64_MAX, 0);
    kv_trace_add(&t, b, 2, 20, 10, UINT64_MAX, 1);
    kv_trace_add(&t, c, 3, 15, 10, UINT64_MAX, 2);
    kv_trace_finish(&t);
    kv_cfg_t cfg = cfg1("lru", 2, 10);
    kv_replay_result_t r;
    char err[256];
    ck_assert_int_eq(kv_replay_run(&t, &cfg, NULL, &r, err, sizeof err), 0);
    ck_assert_uint_eq(r.hit_tokens, 15);
    ck_assert_uint_eq(r.hit_tokens_tier[KV_G2], 15);
    ck_assert_uint_eq(r.hit_tokens_tier[KV_G1], 0);
    ck_assert_uint_eq(r.too_big, 1); /* c needs 3 blocks: G1 holds 2 */
    kv_trace_free(&t);
}
END_TEST

START_TEST(offline_needs_oracle)
{
    kv_trace_t t;
    kv_trace_init(&t);
    uint64_t a[] = {1, 2};
    kv_trace_add(&t, a, 2, 20, 10, UINT64_MAX, 0);
    kv_trace_add(&t, a, 2, 20, 10, UINT64_MAX, 1);
    kv_trace_finish(&t);
    kv_cfg_t cfg = cfg1("belady", 4, 0);
    kv_replay_result_t r;
    char err[256];
    ck_assert_int_eq(kv_replay_run(&t, &cfg, NULL, &r, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "oracle"), "%s", err);
    kv_trace_oracle(&t);
    ck_assert_int_eq(kv_replay_run(&t, &cfg, NULL, &r, err, sizeof err), 0);
    ck_assert_uint_eq(r.hit_tokens, 20);
    kv_trace_free(&t);
}
END_TEST

START_TEST(cli_bad_policy_and_listing)
{
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "cache", "no-such-trace.jsonl", "--policy", "lruu", "--capacity", "1e6", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(err, "unknown policy \"lruu\"") && strstr(err, "lru, fifo, lfu"), "%s", err);
    free(out);
    free(err);
    rc = tu_run_kvtwin(&out, &err, "cache", "x.jsonl", "--policy", "s3fifo", "--params", "small=0.2", "--capacity",
                       "1e6", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(err, "small") && strstr(err, "small_ratio"), "%s", err);
    free(out);
    free(err);
    rc = tu_run_kvtwin(&out, &err, "cache", "x.jsonl", "--policy", "lru", "--capacity", "1e6", "--tiers", "G2=*",
                       NULL);
    ck_assert_int_eq(rc, 2);
    free(out);
    free(err);
    rc = tu_run_kvtwin(&out, &err, "policies", NULL);
    ck_assert_int_eq(rc, 0);
    for (size_t i = 0; i < kv_policy_count(); i++)
        ck_assert_msg(strstr(out, kv_policy_at(i)->name), "kvtwin policies misses %s", kv_policy_at(i)->name);
    ck_assert(strstr(out, "move_to_main_threshold") && strstr(out, "selective"));
    free(out);
    free(err);
    rc = tu_run_kvtwin(&out, &err, "policies", "nope", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert(strstr(err, "valid policies"));
    free(out);
    free(err);
}
END_TEST

static Suite *replay_suite(void)
{
    Suite *s = suite_create("kv_replay");
    TCase *tc = tcase_create("replay");
    tcase_add_test(tc, clamps_and_attributes);
    tcase_add_test(tc, per_tier_split);
    tcase_add_test(tc, offline_needs_oracle);
    tcase_add_test(tc, cli_bad_policy_and_listing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(replay_suite());
}
