/* kvtwin report (issue 14, item 6): the HTML page and its Markdown twin from a study folder and from one run's
 * folder. The page is self-contained (no script, nothing loaded from elsewhere, plots inline as SVG); the
 * cost breakdown adds up to the summary's $/hour; every price carries its source and confidence; the
 * assumptions are listed and marked. check_browser.c opens the page in headless Chromium. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "testutil.h"

static const char *tiny_study(void)
{
    static char sd[1100];
    const char *dir = tu_scratch_dir("report");
    char text[4096];
    snprintf(text, sizeof text,
             "{\"name\": \"rep\", \"description\": \"two G1 sizes <and> an ampersand &\", \"scenario\": \"%s\", "
             "\"baseline\": \"small\", \"replicates\": 2, \"variants\": [{\"name\": \"small\", \"set\": "
             "{\"kv.g1.capacity_bytes\": 8e9}}, {\"name\": \"big\", \"label\": \"big G1\", \"set\": "
             "{\"kv.g1.capacity_bytes\": 2e10, \"hardware.gpu.price_usd\": 30000}}]}",
             tu_fixture("scenarios/tiny-synthetic.json"));
    const char *file = tu_write_file(dir, "study.json", text);
    snprintf(sd, sizeof sd, "%s/out", dir);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "study", file, "--out", sd, "--quiet", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    return sd;
}

static char *read_in(const char *dir, const char *name)
{
    char p[1300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *t = tu_read_file(p, NULL);
    ck_assert_msg(t != NULL, "missing %s", p);
    return t;
}

START_TEST(study_report_html_and_markdown)
{
    const char *sd = tiny_study();
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "report", sd, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(out, "report.html"));
    free(out);
    free(err);
    char *html = read_in(sd, "report.html"), *md = read_in(sd, "report.md");
    /* self-contained: no script, nothing fetched (the only href is the empty data: icon) */
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "src=\""));
    ck_assert_ptr_null(strstr(html, "http://www.w3.org/1999/xlink\" href"));
    ck_assert_ptr_null(strstr(html, "href=\"http"));
    ck_assert_ptr_nonnull(strstr(html, "<meta charset=\"utf-8\">"));
    ck_assert_ptr_nonnull(strstr(html, "<svg")); /* the plots, inline */
    ck_assert_ptr_null(strstr(html, "<?xml"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;and&gt; an ampersand &amp;")); /* escaped */
    /* the sections, in both */
    const char *sections[] = {"Performance and the study's ratios", "Cost of ownership per configuration",
                              "Unit prices and their sources", "Time to first token and throughput", "Assumptions"};
    for (int i = 0; i < 5; i++) {
        ck_assert_msg(strstr(html, sections[i]) != NULL, "html lacks %s", sections[i]);
        char h[128];
        snprintf(h, sizeof h, "## %s", sections[i]);
        ck_assert_msg(strstr(md, h) != NULL, "md lacks %s", sections[i]);
    }
    const char *items[] = {"GPUs",
                           "nodes (without GPUs)",
                           "fabric (switches, optics)",
                           "depreciation (years)",
                           "maintenance per hour",
                           "facility per hour",
                           "energy per hour",
                           "per GPU-hour",
                           "per million output tokens",
                           "tokens/J (IT)",
                           "PUE",
                           "big / small",
                           "± "};
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        ck_assert_msg(strstr(md, items[i]) != NULL, "md lacks %s", items[i]);
    /* sources and confidence of the prices; the study's own price is flagged */
    ck_assert_ptr_nonnull(
        strstr(md, "| GPU | $25,000 | all | $25k [FETCHLOGIC][FP4DEV] | estimate; value set by the study |"));
    ck_assert_ptr_nonnull(strstr(md, "Prices as of 2026-05"));
    ck_assert_ptr_nonnull(strstr(md, "**assumption (price):** node without GPUs"));
    ck_assert_ptr_nonnull(strstr(html, "class=\"assumption\""));
    ck_assert_ptr_nonnull(strstr(md, "![TTFT distributions"));
    char p[1300];
    snprintf(p, sizeof p, "%s/study.svg", sd);
    ck_assert(tu_file_exists(p));
    /* the total per hour is the summary's (mean over the two seeds), to the cent */
    cJSON *j = NULL;
    char *sj = read_in(sd, "study.json");
    j = cJSON_Parse(sj);
    free(sj);
    double usd_h = 0;
    for (int seed = 7; seed <= 8; seed++) {
        char rel[64];
        snprintf(rel, sizeof rel, "small-seed%d/summary.json", seed);
        char *t = read_in(sd, rel);
        cJSON *s = cJSON_Parse(t);
        usd_h += cJSON_GetObjectItem(cJSON_GetObjectItem(s, "cost"), "usd_per_hour")->valuedouble / 2;
        cJSON_Delete(s);
        free(t);
    }
    cJSON_Delete(j);
    char want[64];
    snprintf(want, sizeof want, "| total per hour | $%.2f |", usd_h);
    ck_assert_msg(strstr(md, want) != NULL, "md lacks \"%s\"", want);
    free(html);
    free(md);
}
END_TEST

START_TEST(run_report_and_errors)
{
    const char *dir = tu_scratch_dir("report-run");
    char run[1100], out_dir[1100];
    snprintf(run, sizeof run, "%s/r", dir);
    snprintf(out_dir, sizeof out_dir, "%s/rep", dir);
    char *err = NULL;
    int rc =
        tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/tiny-synthetic.json"), "--out", run, "--quiet", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    rc = tu_run_kvtwin(NULL, &err, "report", run, "--out", out_dir, "--quiet", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    char *md = read_in(out_dir, "report.md");
    ck_assert_ptr_nonnull(strstr(md, "# TCO report: r"));
    ck_assert_ptr_nonnull(strstr(md, "| capex total | $2,158,800 |"));
    ck_assert_ptr_null(strstr(md, "ICMS BlueField-4 DPU")); /* no ICMS in this pod: not listed */
    free(md);
    rc = tu_run_kvtwin(NULL, &err, "report", dir, NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(err, "neither a study folder"));
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, study_report_html_and_markdown);
    tcase_add_test(tc, run_report_and_errors);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
