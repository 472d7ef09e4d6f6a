/* The TCO report in a real browser: Debian's chromium, headless, loads report.html of a tiny study, logs no
 * console message (the page has no script, so any message is an error), and takes a screenshot
 * (tests-scratch/.../report.png). A control page with a script error shows the check can fail. Skipped (exit
 * 77) without chromium unless KVTWIN_TEST_SERVICES=1 (scripts/test.sh, CI). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

/* Loads a page; returns chromium's console lines (malloc'd, "" when none) and writes a screenshot. */
static char *load(const char *page, const char *png)
{
    char *log = NULL;
    int rc = tu_sh(&log,
                   "timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars "
                   "--enable-logging=stderr --v=0 --window-size=1280,2400 --screenshot='%s' 'file://%s' 2>&1",
                   png, page);
    ck_assert_msg(rc == 0, "chromium failed (%d):\n%s", rc, log);
    /* keep the console lines only */
    char *out = calloc(1, strlen(log) + 1);
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, ":CONSOLE")) {
            strcat(out, line);
            strcat(out, "\n");
        }
    free(log);
    return out;
}

START_TEST(report_opens_without_console_errors)
{
    const char *dir = tu_scratch_dir("browser");
    char text[4096];
    snprintf(
        text, sizeof text,
        "{\"name\": \"browser\", \"description\": \"a report to open\", \"scenario\": \"%s\", \"baseline\": \"a\", "
        "\"variants\": [{\"name\": \"a\"}, {\"name\": \"b\", \"set\": {\"kv.g1.capacity_bytes\": 8e9}}]}",
        tu_fixture("scenarios/tiny-synthetic.json"));
    const char *file = tu_write_file(dir, "study.json", text);
    char sd[1100];
    snprintf(sd, sizeof sd, "%s/out", dir);
    char *err = NULL;
    ck_assert_int_eq(tu_run_kvtwin(NULL, &err, "study", file, "--out", sd, "--quiet", NULL), 0);
    free(err);
    ck_assert_int_eq(tu_run_kvtwin(NULL, &err, "report", sd, "--quiet", NULL), 0);
    free(err);
    char page[1300], png[1300];
    snprintf(page, sizeof page, "%s/report.html", sd);
    snprintf(png, sizeof png, "%s/report.png", sd);
    char *console = load(page, png);
    ck_assert_msg(console[0] == '\0', "console messages:\n%s", console);
    free(console);
    struct stat st;
    ck_assert_int_eq(stat(png, &st), 0);
    ck_assert_msg(st.st_size > 20000, "the screenshot is only %lld bytes", (long long)st.st_size);
    printf("screenshot: %s\n", png);
    /* the control: a script error is seen */
    const char *bad = tu_write_file(dir, "bad.html",
                                    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>x</title></head><body>"
                                    "<script>undefinedFunction();</script></body></html>");
    snprintf(png, sizeof png, "%s/bad.png", dir);
    console = load(bad, png);
    ck_assert_msg(strstr(console, "undefinedFunction"), "the control's error was not seen:\n%s", console);
    free(console);
}
END_TEST

int main(void)
{
    tu_require("Chromium", "chromium --version", "install Debian's chromium");
    Suite *s = suite_create("browser");
    TCase *tc = tcase_create("browser");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, report_opens_without_console_errors);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
