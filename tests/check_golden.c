/* Golden outputs: the figures of a few small cache-only replays and timed runs, kept in tests/golden/NAME.json,
 * must come out again. A refactor that shifts a hit count or a throughput fails here even when every invariant
 * holds. Figures are every number, string and boolean of the command's JSON output (summary.json for runs), by
 * path, except what is not a result: versions, wall-clock times, metadata footprints and the resolved scenario.
 *
 * Numbers match when |a - b| <= 1e-9 max(|a|, |b|) + 1e-12: the run is deterministic, so the tolerance only
 * absorbs the last bits that a compiler or library may print differently. A figure that appears or disappears
 * fails as well: new metrics go in through scripts/update-golden.sh like moved ones.
 *
 * With KVTWIN_GOLDEN_UPDATE=1 in the environment the suite rewrites the golden files instead of comparing
 * (scripts/update-golden.sh does this and prints the diff).
 *
 * Also here: fast-forwarded decode against one event per decode step (sim.fast_forward=false) on the same
 * scenarios, equal within 1e-6 relative. The two paths sum step times in a different order, nothing else. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "testutil.h"

#define GOLDEN_REL_TOL 1e-9
#define GOLDEN_ABS_TOL 1e-12
#define FF_REL_TOL 1e-6
#define FF_ABS_TOL 1e-9

static cJSON *golden_cases;

static const char *golden_dir(void)
{
    return KVTWIN_SOURCE_DIR "/tests/golden";
}

static cJSON *parse_file(const char *path)
{
    char *text = tu_read_file(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    cJSON *j = cJSON_Parse(text);
    ck_assert_msg(j != NULL, "%s is not JSON", path);
    free(text);
    return j;
}

static bool golden_skipped_key(const char *k)
{
    static const char *const skip[] = {"kvtwin_version",           "simgrid_version", "scenario", "wall_s",
                                       "metadata_bytes_per_block", "oracle_s",        NULL};
    for (int i = 0; skip[i]; i++)
        if (strcmp(k, skip[i]) == 0)
            return true;
    return false;
}

/* Every leaf of j under prefix into the flat object out, keyed by its dotted path (array items by index). */
static void flatten(const cJSON *j, const char *prefix, cJSON *out)
{
    if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
        int i = 0;
        for (const cJSON *c = j->child; c; c = c->next, i++) {
            if (cJSON_IsObject(j) && golden_skipped_key(c->string))
                continue;
            char path[512];
            if (cJSON_IsObject(j))
                snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", c->string);
            else
                snprintf(path, sizeof path, "%s%s%d", prefix, prefix[0] ? "." : "", i);
            flatten(c, path, out);
        }
        return;
    }
    ck_assert_msg(!cJSON_GetObjectItemCaseSensitive(out, prefix), "duplicate figure %s", prefix);
    cJSON_AddItemToObject(out, prefix, cJSON_Duplicate(j, false));
}

/* Replaces @fixture/, @golden/ and @shared/ at the start of an argument by the folder they name. */
static const char *expand(const char *arg, char *buf, size_t len)
{
    static const struct {
        const char *tag;
        const char *dir;
    } roots[] = {{"@fixture/", KVTWIN_FIXTURE_DIR},
                 {"@golden/", KVTWIN_SOURCE_DIR "/tests/golden"},
                 {"@shared/", KVTWIN_SHARED_DIR}};
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        size_t n = strlen(roots[i].tag);
        if (strncmp(arg, roots[i].tag, n) == 0) {
            snprintf(buf, len, "%s/%s", roots[i].dir, arg + n);
            return buf;
        }
    }
    return arg;
}

/* Runs one case (plus extra --set assignments for runs) and returns its figures, flattened. */
static cJSON *run_case(const cJSON *c, const char *const *sets, int nsets)
{
    const char *cmd = cJSON_GetObjectItemCaseSensitive(c, "command")->valuestring;
    const char *name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
    const char *args[64];
    char bufs[32][1024];
    int n = 0, nb = 0;
    args[n++] = cmd;
    char *out = NULL, *err = NULL;
    cJSON *figures;
    if (strcmp(cmd, "cache") == 0) {
        const cJSON *a;
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(c, "args"))
        {
            ck_assert(n < 60 && nb < 32);
            args[n++] = expand(a->valuestring, bufs[nb], sizeof bufs[nb]);
            nb++;
        }
        int rc = tu_run_kvtwin_argv(&out, &err, n, args);
        ck_assert_msg(rc == 0, "%s: kvtwin cache exited %d: %s", name, rc, err);
        figures = cJSON_Parse(out);
        ck_assert_msg(figures != NULL, "%s: output is not JSON", name);
    } else {
        ck_assert_str_eq(cmd, "run");
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/out", tu_scratch_dir(name));
        args[n++] = expand(cJSON_GetObjectItemCaseSensitive(c, "scenario")->valuestring, bufs[0], sizeof bufs[0]);
        args[n++] = "--out";
        args[n++] = dir;
        args[n++] = "--quiet";
        for (int i = 0; i < nsets; i++) {
            args[n++] = "--set";
            args[n++] = sets[i];
        }
        int rc = tu_run_kvtwin_argv(&out, &err, n, args);
        ck_assert_msg(rc == 0, "%s: kvtwin run exited %d: %s", name, rc, err);
        char path[1100];
        snprintf(path, sizeof path, "%s/summary.json", dir);
        figures = parse_file(path);
    }
    free(out);
    free(err);
    cJSON *flat = cJSON_CreateObject();
    flatten(figures, "", flat);
    cJSON_Delete(figures);
    return flat;
}

static bool close_enough(double a, double b, double rel, double abs_tol)
{
    return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + abs_tol;
}

/* Fails naming every figure of `got` that differs from `want` (up to 20 of them). */
static void compare(const char *name, const cJSON *want, const cJSON *got, double rel, double abs_tol)
{
    char report[4096] = "";
    size_t used = 0;
    int bad = 0;
#define REPORT(...)                                                                                                    \
    do {                                                                                                               \
        if (++bad <= 20 && used < sizeof report)                                                                       \
            used += (size_t)snprintf(report + used, sizeof report - used, __VA_ARGS__);                                \
    } while (0)
    for (const cJSON *w = want->child; w; w = w->next) {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(got, w->string);
        if (!g) {
            REPORT("\n  %s: missing (golden %g)", w->string, cJSON_IsNumber(w) ? w->valuedouble : 0.0);
        } else if (cJSON_IsNumber(w) && cJSON_IsNumber(g)) {
            if (!close_enough(w->valuedouble, g->valuedouble, rel, abs_tol))
                REPORT("\n  %s: %.17g, golden %.17g", w->string, g->valuedouble, w->valuedouble);
        } else if (!cJSON_Compare(w, g, true)) {
            char *gs = cJSON_PrintUnformatted(g), *ws = cJSON_PrintUnformatted(w);
            REPORT("\n  %s: %s, golden %s", w->string, gs, ws);
            free(gs);
            free(ws);
        }
    }
    for (const cJSON *g = got->child; g; g = g->next)
        if (!cJSON_GetObjectItemCaseSensitive(want, g->string))
            REPORT("\n  %s: new figure, not in the golden file", g->string);
#undef REPORT
    ck_assert_msg(bad == 0,
                  "%s: %d figure(s) differ (scripts/update-golden.sh rewrites them, with a reason in the "
                  "commit):%s",
                  name, bad, report);
}

static const cJSON *case_at(int i)
{
    const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(golden_cases, "cases"), i);
    ck_assert_ptr_nonnull(c);
    return c;
}

START_TEST(golden_figures)
{
    const cJSON *c = case_at(_i);
    const char *name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.json", golden_dir(), name);
    cJSON *got = run_case(c, NULL, 0);
    const char *update = getenv("KVTWIN_GOLDEN_UPDATE");
    if (update && strcmp(update, "1") == 0) {
        char *text = cJSON_Print(got);
        FILE *f = fopen(path, "w");
        ck_assert_msg(f != NULL, "cannot write %s", path);
        fprintf(f, "%s\n", text);
        ck_assert_int_eq(fclose(f), 0);
        free(text);
    } else {
        ck_assert_msg(tu_file_exists(path), "%s: no golden file %s (run scripts/update-golden.sh)", name, path);
        cJSON *want = parse_file(path);
        compare(name, want, got, GOLDEN_REL_TOL, GOLDEN_ABS_TOL);
        cJSON_Delete(want);
    }
    cJSON_Delete(got);
}
END_TEST

/* A golden file for every case and a case for every golden file: none is silently left out. */
START_TEST(every_golden_file_has_a_case)
{
    const char *update = getenv("KVTWIN_GOLDEN_UPDATE");
    if (update && strcmp(update, "1") == 0)
        return;
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(golden_cases, "cases"));
    ck_assert_int_ge(n, 6);
    int files = tu_dir_entries(golden_dir());
    /* cases.json, README.md and scenarios/ besides the NAME.json files */
    ck_assert_int_eq(files, n + 3);
}
END_TEST

/* Fast-forwarded decode equals step-by-step decode: every figure of the timed golden runs. */
START_TEST(fast_forward_equals_step_by_step)
{
    const cJSON *c = case_at(_i);
    if (strcmp(cJSON_GetObjectItemCaseSensitive(c, "command")->valuestring, "run") != 0)
        return;
    const char *step[] = {"sim.fast_forward=false"};
    const char *ff[] = {"sim.fast_forward=true"};
    cJSON *a = run_case(c, ff, 1);
    cJSON *b = run_case(c, step, 1);
    compare(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring, a, b, FF_REL_TOL, FF_ABS_TOL);
    cJSON_Delete(a);
    cJSON_Delete(b);
}
END_TEST

int main(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/cases.json", golden_dir());
    char *text = tu_read_file(path, NULL);
    golden_cases = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!golden_cases) {
        fprintf(stderr, "check_golden: cannot load %s\n", path);
        return 1;
    }
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(golden_cases, "cases"));
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("figures");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, golden_figures, 0, n);
    tcase_add_test(tc, every_golden_file_has_a_case);
    suite_add_tcase(s, tc);
    TCase *eq = tcase_create("fast_forward");
    tcase_set_timeout(eq, 600);
    tcase_add_loop_test(eq, fast_forward_equals_step_by_step, 0, n);
    suite_add_tcase(s, eq);
    int rc = tu_run_suite(s);
    cJSON_Delete(golden_cases);
    return rc;
}
