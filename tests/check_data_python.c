/* The Python snippet of docs/data.md, run with Debian's python3-h5py and python3-pandas on a fresh run: it
 * must load every table with pandas.DataFrame(f[...][:]) and print the summary's TTFT p99. Skipped (exit 77)
 * without those packages, unless KVTWIN_TEST_SERVICES=1 (scripts/test.sh, CI) makes that a failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "testutil.h"

#define PY "/usr/bin/python3"

START_TEST(docs_snippet_loads_run_h5)
{
    /* the snippet: the first ```python block of docs/data.md */
    char *doc = tu_read_file(tu_source("docs/data.md"), NULL);
    ck_assert_ptr_nonnull(doc);
    char *a = strstr(doc, "```python\n");
    ck_assert_ptr_nonnull(a);
    a += strlen("```python\n");
    char *b = strstr(a, "```");
    ck_assert_ptr_nonnull(b);
    *b = '\0';
    const char *dir = tu_scratch_dir("py");
    const char *py = tu_write_file(dir, "snippet.py", a);
    free(doc);
    char out[1100];
    snprintf(out, sizeof out, "%s/r", dir);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/tiny-synthetic.json"), "--out", out, "--quiet",
                           "--set", "sim.warmup_s=20", NULL);
    ck_assert_msg(rc == 0, "run failed: %s", err);
    free(err);
    char *text = NULL;
    rc = tu_sh(&text, PY " %s %s/run.h5", py, out);
    ck_assert_msg(rc == 0, "the snippet failed (%d):\n%s", rc, text);
    /* it agrees with summary.json */
    char p[1200];
    snprintf(p, sizeof p, "%s/summary.json", out);
    char *sum = tu_read_file(p, NULL);
    cJSON *j = cJSON_Parse(sum);
    double p99 =
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "latency_s"), "ttft"), "p99")->valuedouble;
    double in_window = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "requests"), "in_window")->valuedouble;
    char want[128];
    snprintf(want, sizeof want, "p99 %.3f s", p99);
    ck_assert_msg(strstr(text, want), "the snippet's TTFT p99 differs from summary.json's (%s):\n%s", want, text);
    snprintf(want, sizeof want, "%.0f completed in the window", in_window);
    ck_assert_msg(strstr(text, want), "the snippet's window count differs (%s):\n%s", want, text);
    ck_assert_ptr_nonnull(strstr(text, "G3.5"));
    ck_assert_ptr_nonnull(strstr(text, "hit_tokens_g35"));
    cJSON_Delete(j);
    free(sum);
    free(text);
}
END_TEST

int main(void)
{
    tu_require("Python 3 with h5py and pandas", PY " -c 'import h5py, pandas'",
               "install Debian's python3-h5py and python3-pandas");
    Suite *s = suite_create("data_python");
    TCase *tc = tcase_create("data_python");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, docs_snippet_loads_run_h5);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
