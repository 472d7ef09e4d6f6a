/* Data people can load (issue 14, item 7): run.h5's tables have only scalar columns (one per tier, no
 * arrays), UTF-8 strings and documented outcome codes; `kvtwin export` writes every table as CSV with the
 * same rows and columns. The Python snippet of docs/data.md is run by check_data_python.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hdf5.h>

#include "testutil.h"

static const char *tiny_run(void)
{
    static char out[1100];
    snprintf(out, sizeof out, "%s/r", tu_scratch_dir("data"));
    char *err = NULL;
    int rc =
        tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/tiny-synthetic.json"), "--out", out, "--quiet", NULL);
    ck_assert_msg(rc == 0, "run failed: %s", err);
    free(err);
    return out;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

START_TEST(tables_are_flat_and_utf8)
{
    char h5[1200];
    snprintf(h5, sizeof h5, "%s/run.h5", tiny_run());
    hid_t f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);
    const char *tables[] = {"requests", "timeseries", "tiers"};
    for (int i = 0; i < 3; i++) {
        hid_t ds = H5Dopen2(f, tables[i], H5P_DEFAULT);
        ck_assert(ds >= 0);
        hid_t t = H5Dget_type(ds);
        ck_assert(H5Tget_class(t) == H5T_COMPOUND);
        for (int m = 0; m < H5Tget_nmembers(t); m++) {
            H5T_class_t c = H5Tget_member_class(t, (unsigned)m);
            char *name = H5Tget_member_name(t, (unsigned)m);
            ck_assert_msg(c == H5T_INTEGER || c == H5T_FLOAT || c == H5T_STRING, "%s.%s is not a scalar column",
                          tables[i], name);
            if (c == H5T_STRING) {
                hid_t mt = H5Tget_member_type(t, (unsigned)m);
                ck_assert_msg(H5Tget_cset(mt) == H5T_CSET_UTF8, "%s.%s is not UTF-8", tables[i], name);
                H5Tclose(mt);
            }
            H5free_memory(name);
        }
        /* one column per tier */
        const char *tiered = i == 0 ? "hit_tokens" : i == 1 ? "used_blocks" : NULL;
        if (tiered) {
            const char *sfx[] = {"g1", "g2", "g3", "g35", "g4"};
            for (int k = 0; k < 5; k++) {
                char col[64];
                snprintf(col, sizeof col, "%s_%s", tiered, sfx[k]);
                ck_assert_msg(H5Tget_member_index(t, col) >= 0, "%s lacks %s", tables[i], col);
            }
        }
        H5Tclose(t);
        H5Dclose(ds);
    }
    /* the outcome codes travel with the table */
    hid_t ds = H5Dopen2(f, "requests", H5P_DEFAULT);
    hid_t a = H5Aopen(ds, "outcome_codes", H5P_DEFAULT);
    ck_assert(a >= 0);
    hid_t at = H5Aget_type(a);
    ck_assert(H5Tget_cset(at) == H5T_CSET_UTF8);
    char text[512] = {0};
    ck_assert(H5Aread(a, at, text) >= 0);
    ck_assert_ptr_nonnull(strstr(text, "0 = completed"));
    H5Tclose(at);
    H5Aclose(a);
    H5Dclose(ds);
    H5Fclose(f);
    /* and the docs list the same codes */
    char *doc = tu_read_file(tu_source("docs/data.md"), NULL);
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_nonnull(strstr(doc, "| 0 | completed"));
    ck_assert_ptr_nonnull(strstr(doc, "| 1 | rejected"));
    ck_assert_ptr_nonnull(strstr(doc, "| 2 | unfinished"));
    free(doc);
}
END_TEST

START_TEST(export_writes_every_table_as_csv)
{
    const char *run = tiny_run();
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "export", run, NULL);
    ck_assert_msg(rc == 0, "export failed: %s", err);
    ck_assert_ptr_nonnull(strstr(out, "requests.csv"));
    free(out);
    free(err);
    char p[1300];
    snprintf(p, sizeof p, "%s/summary.json", run);
    char *sum = tu_read_file(p, NULL);
    cJSON *j = cJSON_Parse(sum);
    int arrived = (int)cJSON_GetObjectItem(cJSON_GetObjectItem(j, "requests"), "arrived")->valuedouble;
    cJSON_Delete(j);
    free(sum);
    snprintf(p, sizeof p, "%s/csv/requests.csv", run);
    char *csv = tu_read_file(p, NULL);
    ck_assert_ptr_nonnull(csv);
    ck_assert_int_eq(count_lines(csv), arrived + 1); /* header + one row per request */
    ck_assert(strncmp(csv, "id,session,turn,instance,outcome,", 33) == 0);
    ck_assert_ptr_nonnull(strstr(csv, ",hit_tokens_g35,"));
    free(csv);
    snprintf(p, sizeof p, "%s/csv/tiers.csv", run);
    csv = tu_read_file(p, NULL);
    ck_assert_ptr_nonnull(csv);
    ck_assert_int_eq(count_lines(csv), 6);
    ck_assert_ptr_nonnull(strstr(csv, "\nG3.5,"));
    free(csv);
    snprintf(p, sizeof p, "%s/csv/timeseries.csv", run);
    ck_assert(tu_file_exists(p));
    /* bad input: one line, exit 2 */
    rc = tu_run_kvtwin(NULL, &err, "export", "/nonexistent/run", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/run"));
    free(err);
    snprintf(p, sizeof p, "%s/summary.json", run);
    rc = tu_run_kvtwin(NULL, &err, "export", p, NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(err, "HDF5"));
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("data");
    TCase *tc = tcase_create("data");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, tables_are_flat_and_utf8);
    tcase_add_test(tc, export_writes_every_table_as_csv);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
