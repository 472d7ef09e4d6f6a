/* Config loading: JSON binding, error locations (file:line:column and JSON path), presets and --set. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/jsonbind.h"
#include "sim/config/config.h"
#include "testutil.h"

typedef struct demo {
    double size_bytes;
    uint32_t count;
    bool on;
    char name[16];
    int mode;
} demo_t;

static const char *const demo_modes[] = {"fast", "slow", NULL};
static const jb_field_t demo_fields[] = {
    JB_DBL_POS(demo_t, size_bytes, 1e18, "bytes", "a size"),
    JB_UINTF(demo_t, count, 1, 100, "count", "a count"),
    JB_BOOLF(demo_t, on, "a switch"),
    JB_STR(demo_t, name, "a name"),
    JB_CHOICEF(demo_t, mode, demo_modes, "a mode"),
    JB_END,
};
static const jb_spec_t demo_spec = {"demo", demo_fields, NULL};

START_TEST(binds_good_values)
{
    cJSON *j = cJSON_Parse("{\"size_bytes\": 2.5e9, \"count\": 7, \"on\": true, \"name\": \"x\", \"mode\": \"slow\"}");
    demo_t d = {0};
    jb_error_t e;
    ck_assert_int_eq(jb_bind(&demo_spec, j, &d, "", &e), 0);
    ck_assert_double_eq(d.size_bytes, 2.5e9);
    ck_assert_uint_eq(d.count, 7);
    ck_assert(d.on);
    ck_assert_str_eq(d.name, "x");
    ck_assert_int_eq(d.mode, 1);
    cJSON *back = jb_to_json(&demo_spec, &d);
    ck_assert_str_eq(cJSON_GetObjectItem(back, "mode")->valuestring, "slow");
    cJSON_Delete(back);
    cJSON_Delete(j);
}
END_TEST

static void expect_bind_error(const char *json, const char *path, const char *fragment)
{
    cJSON *j = cJSON_Parse(json);
    ck_assert_ptr_nonnull(j);
    demo_t d = {0};
    jb_error_t e;
    ck_assert_int_eq(jb_bind(&demo_spec, j, &d, "top", &e), -1);
    ck_assert_str_eq(e.path, path);
    ck_assert_msg(strstr(e.msg, fragment) != NULL, "message \"%s\" lacks \"%s\"", e.msg, fragment);
    cJSON_Delete(j);
}

START_TEST(rejects_bad_values)
{
    expect_bind_error("{\"bogus\": 1}", "top.bogus", "valid keys: size_bytes, count");
    expect_bind_error("{\"size_bytes\": 0}", "top.size_bytes", "> 0");
    expect_bind_error("{\"size_bytes\": -5}", "top.size_bytes", "> 0");
    expect_bind_error("{\"size_bytes\": \"big\"}", "top.size_bytes", "got a string");
    expect_bind_error("{\"count\": 2.5}", "top.count", "integer");
    expect_bind_error("{\"count\": 1e400}", "top.count", "finite");
    expect_bind_error("{\"count\": 0}", "top.count", ">= 1");
    expect_bind_error("{\"on\": 1}", "top.on", "true or false");
    expect_bind_error("{\"mode\": \"medium\"}", "top.mode", "fast, slow");
    expect_bind_error("{\"name\": \"a-very-long-name-indeed\"}", "top.name", "at most 15");
}
END_TEST

START_TEST(locates_errors_in_files)
{
    const char *dir = tu_scratch_dir("config");
    const char *path = tu_write_file(dir, "s.json", "{\n  \"a\": {\n    \"b\": [1, {\"c\": -3}]\n  }\n}\n");
    cfg_doc_t d;
    char err[512];
    ck_assert_int_eq(cfg_doc_load(&d, path, err, sizeof err), 0);
    char msg[1024];
    cfg_doc_error(&d, "a.b[1].c", "expected a value > 0", msg, sizeof msg);
    ck_assert_msg(strstr(msg, "s.json:3:20: a.b[1].c: expected a value > 0") != NULL, "got %s", msg);
    /* A missing key is reported where its parent object starts. */
    cfg_doc_error(&d, "a.zzz", "missing required key", msg, sizeof msg);
    ck_assert_msg(strstr(msg, "s.json:2:8: a.zzz") != NULL, "got %s", msg);
    /* --set values are named by their argument. */
    ck_assert_int_eq(cfg_doc_set(&d, "a.b=5", err, sizeof err), 0);
    cfg_doc_error(&d, "a.b", "expected an array", msg, sizeof msg);
    ck_assert_str_eq(msg, "--set a.b=5: a.b: expected an array");
    cfg_doc_free(&d);
}
END_TEST

START_TEST(reports_malformed_json_position)
{
    const char *dir = tu_scratch_dir("config");
    const char *path = tu_write_file(dir, "bad.json", "{\n  \"a\": 1,,\n}\n");
    char *text;
    cJSON *root;
    char err[512];
    ck_assert_int_eq(cfg_read_json_file(path, &text, &root, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "bad.json:2:") != NULL && strstr(err, "malformed JSON"), "got %s", err);
    ck_assert_int_eq(cfg_read_json_file("/nonexistent/x.json", &text, &root, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "cannot read") != NULL, "got %s", err);
}
END_TEST

START_TEST(set_creates_and_replaces)
{
    cfg_doc_t d;
    cfg_doc_init_from(&d, cJSON_Parse("{\"x\": {\"y\": 1}}"), "inline", ".");
    char err[256];
    ck_assert_int_eq(cfg_doc_set(&d, "x.y=2", err, sizeof err), 0);
    ck_assert_int_eq(cfg_doc_set(&d, "x.z.w=\"s\"", err, sizeof err), 0);
    ck_assert_int_eq(cfg_doc_set(&d, "name=plain-text", err, sizeof err), 0);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(d.root, "x"), "y")->valueint, 2);
    ck_assert_str_eq(cJSON_GetObjectItem(d.root, "name")->valuestring, "plain-text");
    ck_assert_int_eq(cfg_doc_set(&d, "novalue", err, sizeof err), -1);
    ck_assert_int_eq(cfg_doc_set(&d, "x.y.q=1", err, sizeof err), -1);
    cfg_doc_free(&d);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, binds_good_values);
    tcase_add_test(tc, rejects_bad_values);
    tcase_add_test(tc, locates_errors_in_files);
    tcase_add_test(tc, reports_malformed_json_position);
    tcase_add_test(tc, set_creates_and_replaces);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(config_suite());
}
