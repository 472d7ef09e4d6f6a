/* Studies at scale (issue 14): grids (variants x cartesian and zipped axes), seeds as replicates with
 * intervals, hold-equal checks, the resumable study folder (runs by the hash of their resolved scenario,
 * interrupted runs redone), --collect, a failing run reported while the others go on, and the CSV and plot
 * outputs. Every key is tested on and off: a key that changes nothing would be a defect. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "testutil.h"

/* A study of the tiny scenario with the given extra keys (a JSON fragment, may be empty). */
static const char *study_file(const char *dir, const char *name, const char *body)
{
    char text[8192];
    snprintf(text, sizeof text, "{\"name\": \"%s\", \"scenario\": \"%s\", %s}", name,
             tu_fixture("scenarios/tiny-synthetic.json"), body);
    return tu_write_file(dir, "study.json", text);
}

static int study(char **out, char **err, const char *file, const char *dir, const char *extra)
{
    return tu_run_kvtwin(out, err, "study", file, "--out", dir, "--jobs", "2", extra ? extra : "--quiet", NULL);
}

static cJSON *read_json(const char *dir, const char *rel)
{
    char p[1400];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    char *t = tu_read_file(p, NULL);
    ck_assert_msg(t != NULL, "missing %s", p);
    cJSON *j = cJSON_Parse(t);
    free(t);
    ck_assert_ptr_nonnull(j);
    return j;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static const char *GRID =
    "\"baseline\": \"small\","
    "\"variants\": [{\"name\": \"small\", \"set\": {\"kv.g1.capacity_bytes\": 5e9}},"
    "               {\"name\": \"big\", \"label\": \"big G1\", \"set\": {\"kv.g1.capacity_bytes\": 2e10}}],"
    "\"axes\": [{\"name\": \"b\", \"path\": \"deployment.max_batch_seqs\", \"values\": [8, 32]},"
    "           {\"name\": \"z\", \"zip\": {\"sim.slo_ttft_s\": [1, 3], \"sim.slo_tpot_s\": [0.05, 0.2]},"
    "            \"labels\": [\"tight\", \"loose\"]}]";

START_TEST(grid_expands_and_checks)
{
    const char *dir = tu_scratch_dir("grid");
    char body[4096], *out = NULL, *err = NULL;
    /* 2 variants x 2 x 2 (zip) = 8 configurations; x 3 seeds = 24 runs */
    snprintf(body, sizeof body, "%s, \"seeds\": [1, 2, 3]", GRID);
    int rc = tu_run_kvtwin(&out, &err, "study", study_file(dir, "g", body), "--check", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(out, "8 configurations x 3 seeds = 24 runs"));
    ck_assert_ptr_nonnull(strstr(out, "small-b8-tight: small, b=8, z=tight"));
    ck_assert_ptr_nonnull(strstr(out, "big-b32-loose: big G1, b=32, z=loose"));
    free(out);
    free(err);
    /* without the seeds: one run per configuration; replicates: N consecutive seeds */
    rc = tu_run_kvtwin(&out, NULL, "study", study_file(dir, "g", GRID), "--check", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "8 configurations x 1 seeds = 8 runs"));
    free(out);
    snprintf(body, sizeof body, "%s, \"replicates\": 2", GRID);
    rc = tu_run_kvtwin(&out, NULL, "study", study_file(dir, "g", body), "--check", NULL);
    ck_assert_ptr_nonnull(strstr(out, "= 16 runs"));
    free(out);
    /* axes alone (no variants) */
    rc = tu_run_kvtwin(&out, NULL, "study",
                       study_file(dir, "g",
                                  "\"axes\": [{\"name\": \"b\", \"path\": \"deployment.max_batch_seqs\", "
                                  "\"values\": [4, 8, 16]}]"),
                       "--check", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "3 configurations"));
    ck_assert_ptr_nonnull(strstr(out, "  b16: b=16"));
    free(out);
    /* more than the old limit of 16 */
    rc = tu_run_kvtwin(&out, NULL, "study",
                       study_file(dir, "g",
                                  "\"axes\": [{\"name\": \"b\", \"path\": \"deployment.max_batch_seqs\", "
                                  "\"values\": [1,2,3,4,5,6,7,8,9,10]}, {\"name\": \"c\", \"path\": "
                                  "\"deployment.prefill_chunk_tokens\", \"values\": [256, 512, 1024]}]"),
                       "--check", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "30 configurations"));
    free(out);
}
END_TEST

START_TEST(grid_errors_name_the_key)
{
    const char *dir = tu_scratch_dir("grid-bad");
    struct {
        const char *body, *want;
    } cases[] = {
        {"\"axes\": [{\"name\": \"b\", \"path\": \"deployment.max_batch_seqs\", \"values\": []}]", "axes[0].values"},
        {"\"axes\": [{\"name\": \"b\", \"zip\": {\"a.b\": [1, 2], \"c.d\": [1]}}]", "differ in length"},
        {"\"axes\": [{\"name\": \"b\", \"path\": \"x\", \"values\": [1], \"zap\": 1}]", "axes[0].zap"},
        {"\"axes\": [{\"name\": \"b\", \"path\": \"deployment.max_batch_seqs\", \"values\": [1]}], \"seeds\": [1], "
         "\"replicates\": 2",
         "not both"},
        {"\"axes\": [{\"name\": \"b\", \"path\": \"deployment.max_batch_seqs\", \"values\": [1]}], \"seeds\": [1, 1]",
         "twice"},
        {"\"axes\": [{\"name\": \"b\", \"path\": \"deployment.max_batch_seqs\", \"values\": [0]}]", "configuration b0"},
        {"\"axes\": [{\"name\": \"b\", \"path\": \"deployment.max_batch_seqs\", \"values\": [1]}], \"hold_equal\": "
         "[\"watts\"]",
         "hold_equal[0]"},
        {"\"description\": \"no variants\"", "variants, axes or both"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL;
        int rc = tu_run_kvtwin(NULL, &err, "study", study_file(dir, "bad", cases[i].body), "--check", NULL);
        ck_assert_msg(rc == 2, "case %zu: exit %d", i, rc);
        ck_assert_msg(strstr(err, cases[i].want), "case %zu: %s", i, err);
        ck_assert_int_eq(count(err, "\n"), 1);
        free(err);
    }
}
END_TEST

START_TEST(hold_equal_is_checked)
{
    const char *dir = tu_scratch_dir("hold");
    const char *vars = "\"variants\": [{\"name\": \"two\"}, {\"name\": \"three\", \"set\": {\"hardware.nodes\": 3}}]";
    char body[2048], *err = NULL, *out = NULL;
    /* off: the GPU counts may differ */
    int rc = tu_run_kvtwin(NULL, NULL, "study", study_file(dir, "h", vars), "--check", NULL);
    ck_assert_int_eq(rc, 0);
    /* on: refused before anything runs, naming both */
    snprintf(body, sizeof body, "%s, \"hold_equal\": [\"gpus\"]", vars);
    rc = tu_run_kvtwin(NULL, &err, "study", study_file(dir, "h", body), "--check", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(err, "gpus is held equal, but configuration three has 24"));
    free(err);
    /* a tolerance lets capex differ by a little, not by more */
    snprintf(body, sizeof body, "%s, \"hold_equal\": [{\"quantity\": \"capex_usd\", \"tolerance\": 0.6}]", vars);
    rc = tu_run_kvtwin(NULL, &err, "study", study_file(dir, "h", body), "--check", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    snprintf(body, sizeof body, "%s, \"hold_equal\": [{\"quantity\": \"capex_usd\", \"tolerance\": 0.1}]", vars);
    rc = tu_run_kvtwin(NULL, &err, "study", study_file(dir, "h", body), "--check", NULL);
    ck_assert_int_eq(rc, 2);
    free(err);
    /* what is held shows in the table */
    snprintf(body, sizeof body,
             "\"variants\": [{\"name\": \"a\"}, {\"name\": \"b\", \"set\": {\"kv.g2.enabled\": false}}], "
             "\"hold_equal\": [\"gpus\", \"nodes\"]");
    const char *sd = tu_scratch_dir("hold-run");
    rc = tu_run_kvtwin(&out, &err, "study", study_file(dir, "h2", body), "--out", sd, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(out, "GPUs [held]"));
    ck_assert_ptr_nonnull(strstr(out, "held equal (checked before running): gpus (within 0.0 %) nodes"));
    free(out);
    free(err);
}
END_TEST

START_TEST(study_runs_resumes_and_collects)
{
    const char *dir = tu_scratch_dir("run");
    const char *sd = tu_scratch_dir("run-out");
    const char *file = study_file(dir, "r",
                                  "\"baseline\": \"b4\", \"axes\": [{\"name\": \"g1\", \"path\": "
                                  "\"kv.g1.capacity_bytes\", \"values\": [8e9, 2e10], "
                                  "\"labels\": [\"b4\", \"b32\"]}], "
                                  "\"replicates\": 2");
    char *out = NULL, *err = NULL;
    int rc = study(&out, &err, file, sd, "--quiet");
    ck_assert_msg(rc == 0, "%s", err);
    free(out);
    free(err);
    const char *runs[] = {"b4-seed7", "b4-seed8", "b32-seed7", "b32-seed8"};
    for (int i = 0; i < 4; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "%s/scenario.json", runs[i]);
        cJSON *sc = read_json(sd, rel);
        double want = i < 2 ? 8e9 : 2e10;
        ck_assert_double_eq(
            cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(sc, "kv"), "g1"), "capacity_bytes")
                ->valuedouble,
            want);
        ck_assert_int_eq(cJSON_GetObjectItem(sc, "seed")->valueint, 7 + i % 2);
        cJSON_Delete(sc);
    }
    /* replicates: a mean and an interval per metric; the axis changed the result */
    cJSON *j = read_json(sd, "study.json");
    const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "metrics"), 3); /* TTFT p50 */
    const cJSON *ci = cJSON_GetObjectItem(row, "ci95_half_width");
    ck_assert_ptr_nonnull(ci);
    ck_assert(cJSON_GetObjectItem(ci, "b4")->valuedouble > 0);
    const cJSON *vals = cJSON_GetObjectItem(row, "values");
    ck_assert(cJSON_GetObjectItem(vals, "b4")->valuedouble != cJSON_GetObjectItem(vals, "b32")->valuedouble);
    cJSON_Delete(j);
    char p[1400];
    snprintf(p, sizeof p, "%s/comparison.txt", sd);
    char *txt = tu_read_file(p, NULL);
    ck_assert_ptr_nonnull(strstr(txt, " ±"));
    ck_assert_ptr_nonnull(strstr(txt, "over 2 seeds"));
    free(txt);
    snprintf(p, sizeof p, "%s/comparison.csv", sd);
    char *csv = tu_read_file(p, NULL);
    ck_assert_msg(strncmp(csv, "metric,b4,b4 ci95,b32,b32 ci95,b32/b4\n", 38) == 0, "%.80s", csv);
    ck_assert_ptr_nonnull(strstr(csv, "\n\"TTFT p99 (s)\","));
    free(csv);
    snprintf(p, sizeof p, "%s/study.png", sd);
    ck_assert(tu_file_exists(p));
    snprintf(p, sizeof p, "%s/plots.gp", sd);
    char *gp = tu_read_file(p, NULL);
    ck_assert_ptr_nonnull(strstr(gp, "measured window"));
    ck_assert_ptr_nonnull(strstr(gp, "set key outside below"));
    ck_assert_int_eq(count(gp, "lc rgb '#1f77b4'"), 2); /* one colour per configuration, in both panels */
    ck_assert_int_eq(count(gp, "lc rgb '#ff7f0e'"), 2);
    free(gp);

    /* resume: nothing to redo */
    struct stat st0, st1;
    snprintf(p, sizeof p, "%s/b4-seed7/summary.json", sd);
    ck_assert_int_eq(stat(p, &st0), 0);
    rc = tu_run_kvtwin(&out, &err, "study", file, "--out", sd, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(err, "4 of 4 runs already complete") != NULL, "%s", err);
    ck_assert_ptr_null(strstr(err, "done ("));
    free(out);
    free(err);
    ck_assert_int_eq(stat(p, &st1), 0);
    ck_assert(st0.st_mtim.tv_sec == st1.st_mtim.tv_sec && st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec);
    /* an interrupted run (a temporary of a dead process) and a half-written folder are redone */
    char tmp[1400];
    snprintf(tmp, sizeof tmp, "%s/b32-seed8.tmp-999999", sd);
    mkdir(tmp, 0755);
    snprintf(tmp, sizeof tmp, "%s/b32-seed8/summary.json", sd);
    unlink(tmp);
    rc = tu_run_kvtwin(&out, &err, "study", file, "--out", sd, NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert_msg(strstr(err, "3 of 4 runs already complete") && strstr(err, "[1/1] b32-seed8 done"), "%s", err);
    free(out);
    free(err);
    snprintf(tmp, sizeof tmp, "%s/b32-seed8.tmp-999999", sd);
    ck_assert(!tu_file_exists(tmp));
    /* a changed scenario (another --set) changes every hash: all redone */
    rc = tu_run_kvtwin(&out, &err, "study", file, "--out", sd, "--set", "sim.slo_ttft_s=1.5", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_null(strstr(err, "already complete"));
    ck_assert_int_eq(count(err, " done ("), 4);
    free(out);
    free(err);
    /* --fresh redoes all */
    rc = tu_run_kvtwin(&out, &err, "study", file, "--out", sd, "--set", "sim.slo_ttft_s=1.5", "--fresh", NULL);
    ck_assert_int_eq(count(err, " done ("), 4);
    free(out);
    free(err);
    /* --collect from what is complete */
    snprintf(tmp, sizeof tmp, "%s/b4-seed8", sd);
    char cmd[1500];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s/comparison.txt'", tmp, sd);
    ck_assert_int_eq(system(cmd), 0);
    rc = tu_run_kvtwin(&out, &err, "study", "--collect", sd, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "collected 3 of 4 runs; 1 missing"));
    ck_assert_ptr_nonnull(strstr(out, "incomplete: 1 of 4 runs"));
    free(out);
    free(err);
    snprintf(p, sizeof p, "%s/comparison.txt", sd);
    ck_assert(tu_file_exists(p));
    rc = tu_run_kvtwin(NULL, &err, "study", "--collect", dir, NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(err, "not a study folder"));
    free(err);
}
END_TEST

START_TEST(failing_run_is_reported_and_others_go_on)
{
    const char *dir = tu_scratch_dir("fail");
    const char *sd = tu_scratch_dir("fail-out");
    const char *file =
        study_file(dir, "f",
                   "\"variants\": [{\"name\": \"a\"}, {\"name\": \"b\", \"set\": {\"kv.g1.capacity_bytes\": 1000}},"
                   "{\"name\": \"c\", \"set\": {\"deployment.max_batch_seqs\": 8}}]");
    /* b passes the study's validation but its run fails: G1 smaller than one block */
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "study", file, "--out", sd, "--jobs", "1", NULL);
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(err, "b FAILED") && strstr(err, "1 of 3 runs did not complete: b (exit code 2)"), "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "] a done"));
    ck_assert_ptr_nonnull(strstr(err, "] c done"));
    ck_assert_ptr_nonnull(strstr(out, "incomplete: 1 of 3"));
    free(out);
    free(err);
    char p[1400];
    snprintf(p, sizeof p, "%s/c/summary.json", sd);
    ck_assert(tu_file_exists(p));
}
END_TEST

START_TEST(legacy_study_files_still_work)
{
    /* the shipped studies keep their keys and validate */
    char *out = NULL;
    int rc = tu_run_kvtwin(&out, NULL, "study", tu_source("configs/studies/icms-claims.json"), "--check", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "9 configurations x 1 seeds"));
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("study");
    TCase *tc = tcase_create("study");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, grid_expands_and_checks);
    tcase_add_test(tc, grid_errors_name_the_key);
    tcase_add_test(tc, hold_equal_is_checked);
    tcase_add_test(tc, study_runs_resumes_and_collects);
    tcase_add_test(tc, failing_run_is_reported_and_others_go_on);
    tcase_add_test(tc, legacy_study_files_still_work);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
