/* Session lifecycle and KV movement policies in the timed pod (issue 10): selective write-back acting on
 * session ends, the prestage policies on a hand-built two-session trace whose effect is known, and Belady in
 * a timed run against the cache-only replay. Each case runs the kvtwin binary on a short scenario. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "testutil.h"

static const cJSON *at(const cJSON *j, const char *a, const char *b, const char *c)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b)
        x = x ? cJSON_GetObjectItemCaseSensitive(x, b) : NULL;
    if (c)
        x = x ? cJSON_GetObjectItemCaseSensitive(x, c) : NULL;
    ck_assert_msg(x && cJSON_IsNumber(x), "summary lacks %s.%s.%s", a, b ? b : "", c ? c : "");
    return x;
}

static double num(const cJSON *j, const char *a, const char *b, const char *c)
{
    return at(j, a, b, c)->valuedouble;
}

/* Runs scenario with up to four --set overrides (NULL ends them) and returns the parsed summary. */
static cJSON *run_sets(const char *scenario, const char *const *sets)
{
    const char *out = tu_scratch_dir("prestage-run");
    const char *args[32];
    int n = 0;
    args[n++] = "run";
    args[n++] = scenario;
    args[n++] = "--out";
    args[n++] = out;
    args[n++] = "--quiet";
    for (int i = 0; sets && sets[i] && n < 30; i++) {
        args[n++] = "--set";
        args[n++] = sets[i];
    }
    char *err = NULL;
    int rc = tu_run_kvtwin_argv(NULL, &err, n, args);
    ck_assert_msg(rc == 0, "kvtwin run %s failed (%d): %s", scenario, rc, err);
    free(err);
    char path[1024];
    snprintf(path, sizeof path, "%s/summary.json", out);
    char *text = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(j);
    return j;
}

/* A short slice of the shared agentic sessions (6 of the kv-cache-tester conversations, closed loop, 10
 * minutes) on one H100 node whose G1 and G2 are small enough that blocks go down to G3. */
static const char *agentic_slice(void)
{
    const char *dir = tu_scratch_dir("prestage-in");
    char text[2048];
    snprintf(text, sizeof text,
             "{\n  \"name\": \"agentic-slice\", \"seed\": 5,\n"
             "  \"hardware\": {\"preset\": \"dgx-h100\", \"nodes\": 1},\n  \"model\": \"llama-3.1-8b\",\n"
             "  \"deployment\": {\"tp\": 8, \"max_batch_seqs\": 32},\n"
             "  \"kv\": {\"g1\": {\"capacity_bytes\": 1e10}, \"g2\": {\"enabled\": true, \"capacity_bytes\": 8e9},\n"
             "         \"g3\": {\"enabled\": true}, \"write_policy\": \"write-back\"},\n"
             "  \"workload\": {\"format\": \"auto\", \"path\": \"%s\", \"replay\": \"closed\", \"max_sessions\": 6,\n"
             "               \"context_overflow\": \"truncate\"},\n"
             "  \"sim\": {\"sample_interval_s\": 10.0, \"duration_s\": 600}\n}\n",
             tu_shared("traces/kv-cache-tester"));
    return tu_write_file(dir, "slice.json", text);
}

/* Sessions end in timed runs now (the source says which turn is a session's last), so selective write-back
 * stops writing the blocks of finished sessions down: fewer bytes than plain write-back, same requests. */
START_TEST(selective_writes_less_than_write_back)
{
    const char *scen = agentic_slice();
    const char *wb[] = {"kv.write_policy=write-back", NULL};
    const char *sel[] = {"kv.write_policy=selective", NULL};
    cJSON *a = run_sets(scen, wb), *b = run_sets(scen, sel);
    double done_a = num(a, "requests", "completed", NULL), done_b = num(b, "requests", "completed", NULL);
    ck_assert_msg(done_a > 50 && done_a == done_b, "completed %g vs %g", done_a, done_b);
    double wa = num(a, "transfers", "writeback_bytes", NULL), wbytes = num(b, "transfers", "writeback_bytes", NULL);
    ck_assert_msg(wa > 0 && wbytes < 0.97 * wa, "selective wrote %g bytes, write-back %g", wbytes, wa);
    cJSON_Delete(a);
    cJSON_Delete(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("prestage");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_test(tc, selective_writes_less_than_write_back);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
