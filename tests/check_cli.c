/* The command line and bad input: every error is one line naming the file (and line, column, JSON path)
 * with exit code 2, and leaves no results behind. */
#define _POSIX_C_SOURCE 200809L /* setenv, strdup */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Lines of kvtwin's own output: under AddressSanitizer, SimGrid's stack switching makes the runtime warn
 * on stderr ("==PID==WARNING: ASan is ignoring requested __asan_handle_no_return" and two more lines). */
static int count_lines(const char *s)
{
    int n = 0;
    bool skip_next = false;
    while (*s) {
        const char *end = strchr(s, '\n');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        bool sanitizer = strncmp(s, "==", 2) == 0 ||
                         (skip_next && (strncmp(s, "False positive", 14) == 0 || strncmp(s, "For details", 11) == 0));
        skip_next = sanitizer;
        if (!sanitizer && len > 0)
            n++;
        if (!end)
            break;
        s = end + 1;
    }
    return n;
}

/* Runs `kvtwin run SCENARIO [extra --set]` into a fresh folder and expects exit code 2, one stderr line
 * containing every fragment, and no results folder. */
static void expect_input_error(const char *scenario, const char *set, const char *frag1, const char *frag2)
{
    const char *dir = tu_scratch_dir("cli");
    char out[1024];
    snprintf(out, sizeof out, "%s/results", dir);
    char *err = NULL;
    int rc = set ? tu_run_kvtwin(NULL, &err, "run", scenario, "--set", set, "--out", out, "--quiet", NULL)
                 : tu_run_kvtwin(NULL, &err, "run", scenario, "--out", out, "--quiet", NULL);
    ck_assert_msg(rc == 2, "exit code %d, stderr: %s", rc, err);
    ck_assert_msg(count_lines(err) == 1, "expected one line, got: %s", err);
    ck_assert_msg(strstr(err, frag1) != NULL, "\"%s\" not in: %s", frag1, err);
    ck_assert_msg(!frag2 || strstr(err, frag2) != NULL, "\"%s\" not in: %s", frag2, err);
    ck_assert_int_eq(tu_dir_entries(dir), 0);
    free(err);
}

START_TEST(missing_file)
{
    expect_input_error("/nonexistent/scenario.json", NULL, "/nonexistent/scenario.json", "cannot read");
}
END_TEST

START_TEST(malformed_json)
{
    const char *dir = tu_scratch_dir("cli-in");
    const char *p = tu_write_file(dir, "bad.json", "{\n  \"name\": \"x\",\n  \"seed\": 1,,\n}\n");
    expect_input_error(p, NULL, "bad.json:3:", "malformed JSON");
}
END_TEST

START_TEST(unknown_preset)
{
    const char *dir = tu_scratch_dir("cli-in");
    const char *p =
        tu_write_file(dir, "s.json", "{\n  \"hardware\": \"no-such-pod\",\n  \"model\": \"llama-3.1-8b\"\n}\n");
    expect_input_error(p, NULL, "s.json:2:", "unknown hardware preset \"no-such-pod\"");
    expect_input_error(p, NULL, "hardware.preset", "dgx-h100");
}
END_TEST

START_TEST(unknown_policy)
{
    const char *dir = tu_scratch_dir("cli-in");
    const char *p = tu_write_file(dir, "s.json",
                                  "{\n  \"hardware\": \"dgx-h100\",\n  \"model\": \"llama-3.1-8b\",\n"
                                  "  \"kv\": {\"g2\": {\"policy\": \"mru-ish\"}}\n}\n");
    expect_input_error(p, NULL, "s.json:4:", "kv.g2.policy");
    expect_input_error(p, NULL, "lru", "mru-ish");
    /* Prestage policies: an unknown name or parameter lists the valid ones; one that needs the future (the
     * next turn's arrival) is refused on a workload of independent requests, before anything runs. */
    const char *moon = tu_fixture("scenarios/mooncake-500.json");
    expect_input_error(moon, "kv.prefetch=nope", "kv.prefetch", "next-turn, ttl-pin, subagent, oracle");
    expect_input_error(moon, "kv.prefetch=oracle", "kv.prefetch", "without sessions");
    p = tu_write_file(dir, "p.json",
                      "{\n  \"hardware\": \"dgx-h100\",\n  \"model\": \"llama-3.1-8b\",\n"
                      "  \"kv\": {\"prefetch\": \"next-turn\", \"prefetch_params\": {\"tierx\": \"g2\"}}\n}\n");
    expect_input_error(p, NULL, "kv.prefetch_params.tierx", "quantile");
}
END_TEST

START_TEST(unknown_key_and_wrong_type)
{
    const char *dir = tu_scratch_dir("cli-in");
    const char *p = tu_write_file(dir, "s.json",
                                  "{\n  \"hardware\": \"dgx-h100\",\n  \"model\": \"llama-3.1-8b\",\n"
                                  "  \"deployment\": {\"tp\": 2, \"max_batch_sqs\": 4}\n}\n");
    expect_input_error(p, NULL, "s.json:4:", "deployment.max_batch_sqs");
    p = tu_write_file(dir, "t.json",
                      "{\n  \"hardware\": \"dgx-h100\",\n  \"model\": \"llama-3.1-8b\",\n"
                      "  \"deployment\": {\"tp\": \"two\"}\n}\n");
    expect_input_error(p, NULL, "t.json:4:", "deployment.tp");
    /* The generator's settings next to a trace would change nothing: named, in the file and from --set. */
    p = tu_write_file(dir, "u.json",
                      "{\n  \"hardware\": \"dgx-h100\",\n  \"model\": \"llama-3.1-8b\",\n"
                      "  \"workload\": {\"path\": \"x.jsonl\", \"synth\": {\"turns_mean\": 3}}\n}\n");
    expect_input_error(p, NULL, "workload.synth.turns_mean", "the workload is a trace");
    expect_input_error(tu_fixture("scenarios/prefill-first.json"), "workload.synth.session_rate_per_s=2",
                       "workload.synth.session_rate_per_s", "the workload is a trace");
}
END_TEST

START_TEST(zero_or_negative_capacity)
{
    const char *scen = tu_fixture("scenarios/tiny-synthetic.json");
    expect_input_error(scen, "kv.g2.capacity_bytes=-5", "kv.g2.capacity_bytes", ">= 0");
    expect_input_error(scen, "hardware.gpu.hbm_capacity_bytes=0", "hardware.gpu.hbm_capacity_bytes", NULL);
    expect_input_error(scen, "kv.g2.capacity_bytes=1000", "kv.g2.capacity_bytes", "not one");
    expect_input_error(scen, "hardware.nodes=-1", "hardware.nodes", NULL);
}
END_TEST

START_TEST(malformed_trace_line)
{
    const char *dir = tu_scratch_dir("cli-in");
    char text[2048];
    snprintf(text, sizeof text,
             "{\"hardware\": {\"preset\": \"dgx-h100\", \"nodes\": 1}, \"model\": \"llama-3.1-8b\",\n"
             " \"deployment\": {\"tp\": 1},\n"
             " \"workload\": {\"format\": \"mooncake\", \"path\": \"%s\", \"replay\": \"open\"}}\n",
             tu_fixture("traces/mooncake-bad-line3.jsonl"));
    const char *p = tu_write_file(dir, "s.json", text);
    expect_input_error(p, NULL, "mooncake-bad-line3.jsonl:3", NULL);
}
END_TEST

START_TEST(bad_command_lines)
{
    char *err = NULL, *out = NULL;
    ck_assert_int_eq(tu_run_kvtwin(NULL, &err, "frobnicate", NULL), 2);
    ck_assert_int_eq(count_lines(err), 1);
    free(err);
    ck_assert_int_eq(tu_run_kvtwin(NULL, &err, "run", NULL), 2);
    free(err);
    ck_assert_int_eq(tu_run_kvtwin(NULL, &err, "run", "x.json", "--bogus", NULL), 2);
    free(err);
    ck_assert_int_eq(tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/tiny-synthetic.json"), "--set", "novalue",
                                   "--quiet", NULL),
                     2);
    ck_assert_msg(strstr(err, "PATH=VALUE") != NULL, "%s", err);
    free(err);
    ck_assert_int_eq(tu_run_kvtwin(NULL, &err, "run", "x.json", "--seed", "-3", NULL), 2);
    free(err);
    /* Help and version succeed and print to stdout. */
    ck_assert_int_eq(tu_run_kvtwin(&out, NULL, "--version", NULL), 0);
    ck_assert_msg(strstr(out, "kvtwin") && strstr(out, "SimGrid"), "%s", out);
    free(out);
    /* kvtwin restarts itself with huge pages for its heap (main.c), unless GLIBC_TUNABLES says otherwise. */
    const char *tunables = getenv("GLIBC_TUNABLES");
    char *saved = tunables ? strdup(tunables) : NULL;
#if !defined(__SANITIZE_ADDRESS__)
    unsetenv("GLIBC_TUNABLES");
    ck_assert_int_eq(tu_run_kvtwin(&out, NULL, "--version", NULL), 0);
    ck_assert_msg(strstr(out, "heap: GLIBC_TUNABLES=glibc.malloc.hugetlb=1\n"), "%s", out);
    free(out);
#endif
    setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0", 1);
    ck_assert_int_eq(tu_run_kvtwin(&out, NULL, "--version", NULL), 0);
    ck_assert_msg(strstr(out, "heap: GLIBC_TUNABLES=glibc.malloc.hugetlb=0\n"), "%s", out);
    free(out);
    if (saved)
        setenv("GLIBC_TUNABLES", saved, 1);
    else
        unsetenv("GLIBC_TUNABLES");
    free(saved);
    const char *cmds[] = {"run", "study", "cache", "policies", "hw", "model-time", "fit", "gen", "trace"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        ck_assert_int_eq(tu_run_kvtwin(&out, NULL, cmds[i], "--help", NULL), 0);
        ck_assert_msg(strstr(out, "usage") != NULL, "%s --help: %s", cmds[i], out);
        free(out);
        ck_assert_int_eq(tu_run_kvtwin(&out, NULL, "help", cmds[i], NULL), 0);
        free(out);
    }
    ck_assert_int_eq(tu_run_kvtwin(&out, NULL, "help", NULL), 0);
    free(out);
}
END_TEST

/* Every scenario and study shipped in configs/ loads and validates (a user's starting points must work).
 * A scenario is checked through a one-variant study built on it; a study directly. */
START_TEST(shipped_configs_validate)
{
    const char *dirs[] = {"configs/scenarios", "configs/studies"};
    for (int k = 0; k < 2; k++) {
        DIR *d = opendir(tu_source(dirs[k]));
        ck_assert_ptr_nonnull(d);
        int n = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t len = strlen(e->d_name);
            if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
                continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dirs[k], e->d_name);
            const char *study = tu_source(path);
            if (k == 0) {
                char text[1400];
                snprintf(text, sizeof text,
                         "{\"name\": \"check\", \"scenario\": \"%s\", \"variants\": [{\"name\": \"v\"}]}",
                         tu_source(path));
                study = tu_write_file(tu_scratch_dir("cfg"), "s.json", text);
            }
            char *err = NULL, *out = NULL;
            int rc = tu_run_kvtwin(&out, &err, "study", study, "--check", NULL);
            ck_assert_msg(rc == 0, "%s: %s", path, err);
            free(out);
            free(err);
            n++;
        }
        closedir(d);
        ck_assert_int_gt(n, 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("bad-input");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, malformed_json);
    tcase_add_test(tc, unknown_preset);
    tcase_add_test(tc, unknown_policy);
    tcase_add_test(tc, unknown_key_and_wrong_type);
    tcase_add_test(tc, zero_or_negative_capacity);
    tcase_add_test(tc, malformed_trace_line);
    tcase_add_test(tc, bad_command_lines);
    tcase_add_test(tc, shipped_configs_validate);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
