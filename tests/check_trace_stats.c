/* kvtwin trace stats: the figures of ../shared/VALIDATION.md sections 1 and 2 on the real traces, hand-computed
 * figures on a fixture, and every bad-input case (exit code 2, one line naming FILE:LINE and what was
 * expected; --skip-bad counts instead). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cjson/cJSON.h>

#include "testutil.h"

static double jget(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    ck_assert_msg(cur && cJSON_IsNumber(cur), "no number at %s", path);
    return cur->valuedouble;
}

/* Runs trace stats --json on path; returns the stats object of the first input (caller deletes root). */
static cJSON *stats_json(const char *path, cJSON **root)
{
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "trace", "stats", "--json", path, NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    *root = cJSON_Parse(out);
    ck_assert_msg(*root != NULL, "not JSON: %.200s", out);
    free(out);
    free(err);
    cJSON *in = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(*root, "inputs"), 0);
    return cJSON_GetObjectItemCaseSensitive(in, "stats");
}

START_TEST(validation_mooncake)
{
    cJSON *root;
    cJSON *st = stats_json(tu_shared("traces/mooncake/conversation_trace.jsonl"), &root);
    ck_assert_double_eq(jget(st, "requests"), 12031);
    ck_assert_double_eq(jget(st, "infinite_cache_hit.all.block_refs"), 288500);
    ck_assert_double_eq(jget(st, "distinct_blocks"), 182790);
    ck_assert_double_eq_tol(jget(st, "infinite_cache_hit.all.block_level"), 0.3664, 0.001);
    ck_assert_double_eq_tol(jget(st, "infinite_cache_hit.all.token_weighted"), 0.3736, 0.001);
    ck_assert_double_eq_tol(jget(st, "infinite_cache_hit.all.request_averaged"), 0.409, 0.005);
    ck_assert_double_eq(jget(st, "inconsistent_block_ids"), 0);
    /* One hour of arrivals. */
    ck_assert_double_eq_tol(jget(st, "arrivals.span_s"), 3540, 3);
    cJSON_Delete(root);
}
END_TEST

START_TEST(validation_agentic_sessions)
{
    cJSON *root;
    cJSON *st = stats_json(tu_shared("traces/kv-cache-tester"), &root);
    ck_assert_double_eq(jget(st, "main_requests"), 6614);
    ck_assert_double_eq(jget(st, "subagents"), 17);
    ck_assert_double_eq(jget(st, "subagent_requests"), 219);
    ck_assert_double_eq(jget(st, "sessions"), 92);
    const char *pc = "infinite_cache_hit.per_conversation_pct";
    char k[128];
    const struct {
        const char *key;
        double want;
    } pcts[] = {{"min", 72.2}, {"p25", 92.4}, {"p50", 95.6}, {"p75", 97.1}, {"mean", 93.2}};
    for (int i = 0; i < 5; i++) {
        snprintf(k, sizeof k, "%s.%s", pc, pcts[i].key);
        ck_assert_msg(fabs(jget(st, k) - pcts[i].want) <= 0.2, "%s = %g, expected %g", k, jget(st, k), pcts[i].want);
    }
    ck_assert_double_eq_tol(jget(st, "infinite_cache_hit.main_agents.token_weighted"), 0.9612, 0.001);
    ck_assert_double_eq_tol(jget(st, "think_s.recorded.p50"), 9, 0.5);
    ck_assert_double_eq_tol(jget(st, "think_s.recorded.p90"), 153.5, 0.5);
    ck_assert_double_eq(jget(st, "gap_check.within_1s"), jget(st, "gap_check.pairs"));
    ck_assert(jget(st, "gap_check.pairs") > 6000);
    cJSON_Delete(root);
}
END_TEST

/* The kv-cache-tester fixture, by hand: main hits 0, 3, 4, 5 blocks of 4 tokens. */
START_TEST(fixture_figures)
{
    cJSON *root;
    cJSON *st = stats_json(tu_fixture("workloads/kvtester_small.json"), &root);
    ck_assert_double_eq(jget(st, "main_requests"), 4);
    ck_assert_double_eq(jget(st, "subagent_requests"), 3);
    ck_assert_double_eq(jget(st, "forks"), 1);
    ck_assert_double_eq_tol(jget(st, "infinite_cache_hit.main_agents.token_weighted"), 48.0 / 68.0, 1e-12);
    ck_assert_double_eq_tol(jget(st, "infinite_cache_hit.main_agents.request_averaged"),
                            (0 + 12.0 / 14 + 16.0 / 20 + 20.0 / 24) / 4, 1e-12);
    ck_assert_double_eq_tol(jget(st, "infinite_cache_hit.main_agents.block_level"), 12.0 / 18, 1e-12);
    ck_assert_double_eq_tol(jget(st, "think_s.recorded.p50"), 10, 1e-12); /* 2, 10, 14 */
    ck_assert_double_eq(jget(st, "gap_check.pairs"), 3);
    ck_assert_double_eq(jget(st, "gap_check.within_1s"), 3);
    ck_assert_double_eq(jget(st, "turns_per_session.mean"), 4);
    ck_assert_double_eq(jget(st, "input_tokens.max"), 24);
    cJSON_Delete(root);

    /* Mooncake fixture: blocks 0,1 / 0,2 / 0,1,3 / 0 / 0,1,3 / 4 -> hits 0,1,2,1,3,0 of 512-token blocks. */
    st = stats_json(tu_fixture("workloads/mooncake_small.jsonl"), &root);
    ck_assert_double_eq(jget(st, "distinct_blocks"), 5);
    ck_assert_double_eq_tol(jget(st, "infinite_cache_hit.all.block_level"), 7.0 / 12, 1e-12);
    double hit = 0 + 512 + 1024 + 512 + 1500 + 0, in = 1000 + 600 + 1100 + 512 + 1500 + 1;
    ck_assert_double_eq_tol(jget(st, "infinite_cache_hit.all.token_weighted"), hit / in, 1e-12);
    ck_assert_double_eq_tol(jget(st, "arrivals.span_s"), 6, 1e-9);
    cJSON_Delete(root);
}
END_TEST

/* Expects exit 2 and a single stderr line starting with "kvtwin: FILE:LINE" and holding fragment. */
static void expect_bad(const char *path, int line, const char *fragment, const char *opt)
{
    char *out = NULL, *err = NULL;
    int rc = opt ? tu_run_kvtwin(&out, &err, "trace", "stats", opt, path, NULL)
                 : tu_run_kvtwin(&out, &err, "trace", "stats", path, NULL);
    ck_assert_msg(rc == 2, "%s: exit %d, stderr %s", path, rc, err);
    char want[1200];
    snprintf(want, sizeof want, "kvtwin: %s:%d:", path, line);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "stderr \"%s\" does not start with \"%s\"", err, want);
    ck_assert_msg(strstr(err, fragment) != NULL, "stderr \"%s\" lacks \"%s\"", err, fragment);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "more than one line: %s", err);
    free(out);
    free(err);
}

static const char mc_good[] = "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1]}\n";

START_TEST(bad_input_mooncake)
{
    const char *d = tu_scratch_dir("bad-mc");
    char text[2048];
    snprintf(text, sizeof text,
             "%s{\"timestamp\": 1000, \"input_length\": 10 \"output_length\": 1, \"hash_ids\": [0]}\n", mc_good);
    expect_bad(tu_write_file(d, "malformed.jsonl", text), 2, "expected ',' or '}'", NULL);
    snprintf(text, sizeof text, "%s%s{\"timestamp\": 1000, \"input_length\": 10, \"output_length\": 1}\n", mc_good,
             mc_good);
    expect_bad(tu_write_file(d, "missing.jsonl", text), 3, "missing \"hash_ids\"", NULL);
    snprintf(text, sizeof text,
             "%s{\"timestamp\": 1000, \"input_length\": -10, \"output_length\": 1, \"hash_ids\": [0]}\n", mc_good);
    expect_bad(tu_write_file(d, "negative.jsonl", text), 2, "input_length (a non-negative integer)", NULL);
    snprintf(text, sizeof text,
             "{\"timestamp\": 6000, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [0]}\n%s", mc_good);
    const char *back = tu_write_file(d, "backwards.jsonl", text);
    expect_bad(back, 2, "goes backwards", NULL);
    /* ... or a warning by option. */
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_run_kvtwin(&out, &err, "trace", "stats", "--allow-backwards-time", back, NULL), 0);
    ck_assert_ptr_nonnull(strstr(err, "1 timestamps went backwards"));
    ck_assert_ptr_nonnull(strstr(out, "requests                   2"));
    free(out);
    free(err);
    snprintf(text, sizeof text,
             "%s{\"timestamp\": 1000, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [0, 1e3x]}\n", mc_good);
    expect_bad(tu_write_file(d, "number.jsonl", text), 2, "expected ',' or ']'", NULL);
    snprintf(text, sizeof text, "%s[1, 2]\n", mc_good);
    expect_bad(tu_write_file(d, "array.jsonl", text), 2, "expected a JSON object", "--format=mooncake");
}
END_TEST

START_TEST(bad_input_skip_and_inconsistent_ids)
{
    const char *d = tu_scratch_dir("skip");
    char text[2048];
    snprintf(text, sizeof text, "%sgarbage\n%s{\"timestamp\": 5, \"input_length\": -1}\n%s", mc_good, mc_good, mc_good);
    const char *p = tu_write_file(d, "t.jsonl", text);
    expect_bad(p, 2, "malformed JSON", "--format=mooncake");
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_run_kvtwin(&out, &err, "trace", "stats", "--format", "mooncake", "--skip-bad", p, NULL), 0);
    ck_assert_msg(strstr(err, "skipped 2 bad records; first: ") && strstr(err, "t.jsonl:2:"), "%s", err);
    ck_assert_ptr_nonnull(strstr(out, "requests                   3"));
    free(out);
    free(err);
    /* Ids inconsistent with the input: accepted, counted, the first one named (hits clamped to the input). */
    snprintf(text, sizeof text,
             "%s{\"timestamp\": 5, \"input_length\": 100, \"output_length\": 1, \"hash_ids\": [0, 1, 2]}\n", mc_good);
    p = tu_write_file(d, "ids.jsonl", text);
    ck_assert_int_eq(tu_run_kvtwin(&out, &err, "trace", "stats", p, NULL), 0);
    ck_assert_msg(strstr(out, "inconsistent block ids     1 requests; first: ") &&
                      strstr(out, "ids.jsonl:2: 3 block ids for "
                                  "100 input tokens"),
                  "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "token-weighted 0.1429")); /* (0 + min(2 x 512, 100)) / 700 */
    free(out);
    free(err);
}
END_TEST

START_TEST(bad_input_corrupt_gzip)
{
    const char *d = tu_scratch_dir("gz");
    char path[1024];
    snprintf(path, sizeof path, "%s/t.jsonl.gz", d);
    gzFile gz = gzopen(path, "wb");
    for (int i = 0; i < 2000; i++)
        gzprintf(gz, "{\"timestamp\": %d, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, %d]}\n", i,
                 i + 1);
    gzclose(gz);
    size_t len;
    char *bytes = tu_read_file(path, &len);
    /* Truncated: the stream ends early. */
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, len / 2, f);
    fclose(f);
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_run_kvtwin(&out, &err, "trace", "stats", path, NULL), 2);
    ck_assert_msg(strstr(err, "corrupt gzip data") && strstr(err, "t.jsonl.gz:"), "%s", err);
    free(out);
    free(err);
    /* Damaged in the middle. */
    for (size_t i = len / 3; i < len / 3 + 64; i++)
        bytes[i] ^= 0x5A;
    f = fopen(path, "wb");
    fwrite(bytes, 1, len, f);
    fclose(f);
    ck_assert_int_eq(tu_run_kvtwin(&out, &err, "trace", "stats", path, NULL), 2);
    ck_assert_msg(strstr(err, "corrupt gzip data"), "%s", err);
    free(out);
    free(err);
    free(bytes);
}
END_TEST

START_TEST(bad_input_other_formats)
{
    const char *d = tu_scratch_dir("bad-other");
    /* kv-cache-tester: a request without "in", in a pretty-printed file (line 4). */
    expect_bad(
        tu_write_file(
            d, "a.json",
            "{\n  \"block_size\": 4,\n  \"requests\": [\n    {\"t\": 0, \"out\": 1, \"hash_ids\": [1]}\n  ]\n}\n"),
        4, "requests[0]: missing \"in\"", NULL);
    expect_bad(tu_write_file(d, "b.json",
                             "{\"block_size\": 4, \"requests\": [{\"t\": 5, \"in\": 4, \"out\": 1, \"hash_ids\": [1]}, "
                             "{\"t\": 2, \"in\": 4, \"out\": 1, \"hash_ids\": [1]}]}\n"),
               1, "goes backwards", NULL);
    expect_bad(tu_write_file(d, "c.json", "{\"block_size\": 4, \"requests\": [{\"t\": 0, \"in\": -4}]}"), 1,
               "in (a non-negative integer)", NULL);
    expect_bad(tu_write_file(d, "d.json", "{\"block_size\": 4, \"requests\": [{\"t\": 0, \"in\": 4, "), 1,
               "malformed JSON", "--format=kvtester");
    /* Azure. */
    expect_bad(tu_write_file(d, "e.csv",
                             "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.5,10,1\n"
                             "2023-11-16 18:15:47.5,-3,1\n"),
               3, "ContextTokens \"-3\"", NULL);
    expect_bad(tu_write_file(d, "f.csv",
                             "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.5,10,1\n"
                             "2023-11-16 18:15:45.5,3,1\n"),
               3, "goes backwards", NULL);
    expect_bad(tu_write_file(d, "g.csv", "TIMESTAMP,Context,GeneratedTokens\n1,2,3\n"), 1,
               "missing column \"ContextTokens\"", "--format=azure");
    expect_bad(tu_write_file(d, "h.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,1,1\n"), 2,
               "TIMESTAMP \"yesterday\"", NULL);
    /* Native. */
    expect_bad(tu_write_file(d, "i.jsonl",
                             "{\"session\": 1, \"turn\": 0, \"arrival_s\": 0, \"input_tokens\": 5, "
                             "\"output_tokens\": 1}\n{\"session\": 1, \"turn\": 2, \"input_tokens\": 5, "
                             "\"output_tokens\": 1}\n"),
               2, "expected turn 1", NULL);
    expect_bad(tu_write_file(d, "j.jsonl",
                             "{\"session\": 1, \"turn\": 0, \"arrival_s\": 0, \"input_tokens\": 5, "
                             "\"output_tokens\": 1, \"colour\": 3}\n"),
               1, "unknown key \"colour\"", "--format=native");
    expect_bad(tu_write_file(d, "k.jsonl", "{\"session\": 1, \"turn\": 0, \"arrival_s\": 0, \"input_tokens\": 5}\n"), 1,
               "missing \"output_tokens\"", "--format=native");
    expect_bad(tu_write_file(d, "l.jsonl",
                             "{\"session\": 1, \"turn\": 0, \"arrival_s\": 0, \"input_tokens\": 5, "
                             "\"output_tokens\": 1, \"prefix\": [{\"stream\": 0, \"tokens\": 9}]}\n"),
               1, "more than input_tokens", "--format=native");
    expect_bad(tu_write_file(d, "m.jsonl",
                             "{\"session\": 2, \"parent\": 1, \"parent_turn\": 0, \"turn\": 0, "
                             "\"input_tokens\": 5, \"output_tokens\": 1}\n"),
               1, "sub-agent of session 1", "--format=native");
    /* Not found. */
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_run_kvtwin(&out, &err, "trace", "stats", "/nonexistent/trace.jsonl", NULL), 2);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/trace.jsonl: cannot open"));
    free(out);
    free(err);
}
END_TEST

START_TEST(check_and_formats_commands)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_run_kvtwin(&out, &err, "trace", "formats", NULL), 0);
    ck_assert_msg(strstr(out, "mooncake") && strstr(out, "kvtester") && strstr(out, "azure") && strstr(out, "native") &&
                      strstr(out, "synthetic"),
                  "%s", out);
    free(out);
    free(err);
    ck_assert_int_eq(
        tu_run_kvtwin(&out, &err, "trace", "check", "--closed", tu_fixture("workloads/two_sessions.jsonl"), NULL), 0);
    ck_assert_msg(strstr(out, ": 8 requests, 2 sessions,") != NULL, "%s", out);
    free(out);
    free(err);
    ck_assert_int_eq(tu_run_kvtwin(&out, &err, "trace", "check", tu_fixture("workloads/mooncake_small.jsonl"), NULL),
                     0);
    ck_assert_msg(strstr(out, ": 6 requests, 0 sessions, 4713 input tokens, last arrival 6.000 s") != NULL, "%s", out);
    free(out);
    free(err);
    const char *d = tu_scratch_dir("check");
    const char *p = tu_write_file(
        d, "b.jsonl", "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [1]}\n{\n");
    ck_assert_int_eq(tu_run_kvtwin(&out, &err, "trace", "check", p, NULL), 2);
    ck_assert_msg(strstr(err, "b.jsonl:2:") != NULL, "%s", err);
    free(out);
    free(err);
    ck_assert_int_eq(tu_run_kvtwin(&out, &err, "trace", "bogus", NULL), 2);
    free(out);
    free(err);
}
END_TEST

/* --reuse: a hand-made trace (1 2, 1 3, 2: the second 1 has distance 1, the second 2 distance 2), and on the
 * Mooncake trace the reuses of distance below C, for C = 1, 2, 4, ..., are the hits of an LRU cache of C
 * blocks counting every block on its own (kvtwin cache --count blocks): the two commands share no code. */
START_TEST(reuse_analysis)
{
    const char *dir = tu_scratch_dir("reuse");
    const char *path =
        tu_write_file(dir, "t.jsonl",
                      "{\"timestamp\": 0, \"input_length\": 20, \"output_length\": 1, \"hash_ids\": [1, 2]}\n"
                      "{\"timestamp\": 3000, \"input_length\": 20, \"output_length\": 1, \"hash_ids\": [1, 3]}\n"
                      "{\"timestamp\": 6000, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [2]}\n");
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "trace", "stats", "--reuse", "--json", "--reuse-out", dir, path, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    cJSON *j = cJSON_Parse(out);
    const cJSON *ru = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "inputs"), 0), "reuse");
    ck_assert(ru != NULL);
    ck_assert_double_eq(cJSON_GetObjectItem(ru, "reuses")->valuedouble, 2);
    ck_assert_double_eq(cJSON_GetObjectItem(ru, "first_refs")->valuedouble, 3);
    const cJSON *h = cJSON_GetObjectItem(cJSON_GetObjectItem(ru, "reuse_distance_blocks"), "histogram");
    ck_assert_int_eq(cJSON_GetArraySize(h), 2);
    ck_assert_double_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(h, 0), "from")->valuedouble, 1);
    ck_assert_double_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(h, 1), "from")->valuedouble, 2);
    char f[1024];
    snprintf(f, sizeof f, "%s/popularity.dat", dir);
    ck_assert(tu_file_exists(f));
    cJSON_Delete(j);
    free(out);
    free(err);
    rc = tu_run_kvtwin(&out, &err, "trace", "stats", "--window-s", "5", path, NULL);
    ck_assert_int_eq(rc, 2);
    free(out);
    free(err);

    const char *mc = tu_shared("traces/mooncake/conversation_trace.jsonl");
    rc = tu_run_kvtwin(&out, &err, "trace", "stats", "--reuse", "--json", mc, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    j = cJSON_Parse(out);
    free(out);
    free(err);
    ru = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "inputs"), 0), "reuse");
    h = cJSON_GetObjectItem(cJSON_GetObjectItem(ru, "reuse_distance_blocks"), "histogram");
    rc =
        tu_run_kvtwin(&out, &err, "cache", mc, "--policy", "lru", "--count", "blocks", "--format", "json", "--capacity",
                      "1b,2b,4b,8b,16b,32b,64b,128b,256b,512b,1024b,2048b,4096b,8192b,16384b,32768b", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    cJSON *rows = cJSON_Parse(out);
    for (int k = 0; k < cJSON_GetArraySize(rows); k++) {
        const cJSON *row = cJSON_GetArrayItem(rows, k);
        double cap = cJSON_GetObjectItem(row, "capacity_blocks")->valuedouble, below = 0;
        const cJSON *b;
        cJSON_ArrayForEach(b, h)
        {
            if (cJSON_GetObjectItem(b, "to")->valuedouble <= cap)
                below += cJSON_GetObjectItem(b, "reuses")->valuedouble;
        }
        double hits = cJSON_GetObjectItem(row, "hit_blocks")->valuedouble;
        ck_assert_msg(below == hits, "C = %.0f: %.0f reuses below, %.0f hits", cap, below, hits);
    }
    cJSON_Delete(rows);
    cJSON_Delete(j);
    free(out);
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace_stats");
    TCase *tc = tcase_create("trace_stats");
    tcase_add_test(tc, validation_mooncake);
    tcase_add_test(tc, validation_agentic_sessions);
    tcase_add_test(tc, fixture_figures);
    tcase_add_test(tc, bad_input_mooncake);
    tcase_add_test(tc, bad_input_skip_and_inconsistent_ids);
    tcase_add_test(tc, bad_input_corrupt_gzip);
    tcase_add_test(tc, bad_input_other_formats);
    tcase_add_test(tc, check_and_formats_commands);
    tcase_add_test(tc, reuse_analysis);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
