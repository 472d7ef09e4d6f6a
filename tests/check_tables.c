/* The tier table (sim/kv/tier.h) and the metric table (sim/out/metric_table.h): consistent in themselves, and
 * the places they drive really follow them. Tiers: unique names and keys, the documented scopes, every
 * kv.<key> bound into kv.tier[id], the endpoint and energy columns matching the platform. Metrics: every row
 * in summary.json with its unit in the key and in run.h5 where it names a column, the stdout table and the
 * study table built from the rows, the hit attribution by tier of origin. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hdf5.h>

#include "sim/config/scenario.h"
#include "sim/core/pod.h"
#include "sim/kv/tier.h"
#include "sim/out/metric_table.h"
#include "sim/out/metrics.h"
#include "testutil.h"

/* ---- tiers -------------------------------------------------------------------------------------------- */

START_TEST(tier_names_unique)
{
    for (int a = 0; a < KV_NTIERS; a++) {
        ck_assert_ptr_nonnull(kv_tiers[a].name);
        ck_assert_ptr_nonnull(kv_tiers[a].key);
        ck_assert_ptr_nonnull(kv_tiers[a].label);
        ck_assert_ptr_nonnull(kv_tiers[a].help);
        ck_assert_int_eq(kv_tier_by_name(kv_tiers[a].name), a);
        ck_assert_str_eq(kv_tier_name(a), kv_tiers[a].name);
        /* The label starts with the name ("G3.5 (ICMS)"). */
        ck_assert(strncmp(kv_tiers[a].label, kv_tiers[a].name, strlen(kv_tiers[a].name)) == 0);
        for (int b = a + 1; b < KV_NTIERS; b++) {
            ck_assert_str_ne(kv_tiers[a].name, kv_tiers[b].name);
            ck_assert_str_ne(kv_tiers[a].key, kv_tiers[b].key);
            ck_assert_str_ne(kv_tiers[a].label, kv_tiers[b].label);
        }
    }
    ck_assert_str_eq(kv_tier_name(KV_NTIERS), "?");
    ck_assert_int_eq(kv_tier_by_name("G5"), -1);
}
END_TEST

START_TEST(tier_scopes_as_documented)
{
    /* DESIGN.md: G1 per instance, G2 and G3 per node (domain), G3.5 per pod, G4 shared storage. */
    static const struct {
        int tier;
        const char *name, *key;
        int scope;
    } want[] = {
        {KV_G1, "G1", "g1", KV_SCOPE_INSTANCE}, {KV_G2, "G2", "g2", KV_SCOPE_DOMAIN},
        {KV_G3, "G3", "g3", KV_SCOPE_DOMAIN},   {KV_G35, "G3.5", "g35", KV_SCOPE_POD},
        {KV_G4, "G4", "g4", KV_SCOPE_SHARED},
    };
    ck_assert_int_eq(KV_NTIERS, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const kv_tier_info_t *t = &kv_tiers[want[i].tier];
        ck_assert_str_eq(t->name, want[i].name);
        ck_assert_str_eq(t->key, want[i].key);
        ck_assert_int_eq(t->scope, want[i].scope);
    }
    /* Scopes only widen down the path, and G1 is the only per-instance tier (it holds the running KV). */
    for (int t = 1; t < KV_NTIERS; t++) {
        ck_assert_int_ge(kv_tiers[t].scope, kv_tiers[t - 1].scope);
        ck_assert_int_ne(kv_tiers[t].scope, KV_SCOPE_INSTANCE);
    }
    ck_assert_uint_eq(kv_scope_loc(KV_SCOPE_INSTANCE, 7, 3), 7);
    ck_assert_uint_eq(kv_scope_loc(KV_SCOPE_DOMAIN, 7, 3), 3);
    ck_assert_uint_eq(kv_scope_loc(KV_SCOPE_POD, 7, 3), 0);
    ck_assert_uint_eq(kv_scope_count(KV_SCOPE_DOMAIN, 8, 2), 2);
    ck_assert_uint_eq(kv_scope_count(KV_SCOPE_SHARED, 8, 2), 1);
}
END_TEST

static const jb_spec_t *kv_spec(void)
{
    const jb_field_t *kv = jb_find(&cfg_scenario_spec, "kv");
    ck_assert_ptr_nonnull(kv);
    ck_assert_ptr_nonnull(kv->sub);
    return kv->sub;
}

START_TEST(tier_keys_bound)
{
    /* Every kv.<key> binds into kv.tier[id], and the kv section has no other tier object. */
    const jb_spec_t *spec = kv_spec();
    for (int t = 0; t < KV_NTIERS; t++) {
        const jb_field_t *f = jb_find(spec, kv_tiers[t].key);
        ck_assert_msg(f != NULL, "kv.%s is not bound", kv_tiers[t].key);
        ck_assert_int_eq(f->kind, JB_OBJECT);
        ck_assert_uint_eq(f->offset, offsetof(sc_kv_t, tier) + (size_t)t * sizeof(sc_kv_tier_t));
        ck_assert_uint_eq(f->size, sizeof(sc_kv_tier_t));
        ck_assert_str_eq(f->help, kv_tiers[t].help);
    }
    int objects = 0;
    for (const jb_field_t *f = spec->fields; f->key; f++)
        objects += f->kind == JB_OBJECT;
    ck_assert_int_eq(objects, KV_NTIERS);

    /* A --set on each key lands in its tier, and the resolved scenario writes it back under the same key. */
    for (int t = 0; t < KV_NTIERS; t++) {
        char set[64];
        snprintf(set, sizeof set, "kv.%s.capacity_bytes=%d", kv_tiers[t].key, 1000000 * (t + 1));
        const char *sets[] = {set, "hardware.g4.present=true"};
        scenario_t *sc = calloc(1, sizeof *sc);
        char err[2048];
        ck_assert_msg(
            scenario_load(sc, tu_source("configs/scenarios/rubin-agentic.json"), sets, 2, -1, err, sizeof err) == 0,
            "%s", err);
        for (int u = 0; u < KV_NTIERS; u++)
            if (u != t)
                ck_assert(sc->kv.tier[u].capacity_bytes != 1000000.0 * (t + 1));
        ck_assert_double_eq(sc->kv.tier[t].capacity_bytes, 1000000.0 * (t + 1));
        cJSON *j = scenario_to_json(sc);
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "kv"), kv_tiers[t].key);
        x = cJSON_GetObjectItemCaseSensitive(x, "capacity_bytes");
        ck_assert(x && cJSON_IsNumber(x) && x->valuedouble == 1000000.0 * (t + 1));
        cJSON_Delete(j);
        scenario_free(sc);
        free(sc);
    }
}
END_TEST

START_TEST(tier_endpoints_and_energy)
{
    /* The endpoint column is where pod_tier_endpoint puts the tier, and a transfer out of a tier below G1
     * charges the energy column's class (G1's HBM energy is part of the GPUs' power). */
    static const struct {
        int kind, energy;
    } col[KV_NTIERS] = {
#define COLUMN(id, name, key, scope, endpoint, energy, label, help) [KV_##id] = {endpoint, energy},
        KV_TIER_TABLE(COLUMN)
#undef COLUMN
    };
    const char *sets[] = {"hardware.g4.present=true", "kv.g4.enabled=true", "kv.g3.enabled=true"};
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    ck_assert_msg(scenario_load(sc, tu_source("configs/scenarios/rubin-agentic.json"), sets, 3, -1, err, sizeof err) ==
                      0,
                  "%s", err);
    pod_t pod;
    memset(&pod, 0, sizeof pod);
    pod.sc = sc;
    ck_assert_msg(pf_build(&pod.pf, sc, err, sizeof err) == 0, "%s", err);
    uint32_t inst = pod.pf.n_inst - 1;
    pf_ep_t dst = {PF_INST, inst};
    ck_assert_int_eq(col[KV_G1].energy, EN_GPU);
    for (int t = 0; t < KV_NTIERS; t++) {
        uint32_t loc = pod_tier_loc(&pod, t, inst);
        pf_ep_t ep = pod_tier_endpoint(&pod, t, loc, 12345);
        ck_assert_int_eq(ep.kind, col[t].kind);
        ck_assert_uint_lt(ep.idx, pf_count(&pod.pf, ep.kind));
        if (t == KV_G1) {
            ck_assert_uint_eq(ep.idx, inst);
            continue;
        }
        ck_assert_msg(pf_has_route(&pod.pf, ep, dst), "no route from %s", kv_tier_name(t));
        pf_route_t r;
        pf_route(&pod.pf, ep, dst, &r);
        ck_assert_msg(r.j_per_byte[col[t].energy] > 0, "a load from %s charges nothing to %s", kv_tier_name(t),
                      en_class_name(col[t].energy));
    }
    pf_free(&pod.pf);
    scenario_free(sc);
    free(sc);
}
END_TEST

/* ---- metrics ------------------------------------------------------------------------------------------ */

START_TEST(metric_rows_consistent)
{
    /* Paths unique, study orders unique, one row per stdout position, every line printed by some row. */
    bool line_used[MT_LINES] = {false};
    for (size_t a = 0; a < mt_nrows; a++) {
        const mt_row_t *r = &mt_rows[a];
        ck_assert_ptr_nonnull(r->unit);
        ck_assert_msg(r->offset + mt_items(r) * sizeof(double) <= sizeof(mt_values_t), "%s", r->member);
        ck_assert_msg(r->study.order == 0 || r->study.label, "%s: a study row needs a label", r->path);
        ck_assert_msg(r->print.line == MT_L_NONE || (r->print.pre && r->print.post), "%s", r->path);
        line_used[r->print.line] = true;
        for (size_t b = a + 1; b < mt_nrows; b++) {
            const mt_row_t *s = &mt_rows[b];
            ck_assert_msg(strcmp(r->path, s->path) != 0, "two rows on %s", r->path);
            ck_assert_msg(r->study.order == 0 || r->study.order != s->study.order, "%s, %s: same study order", r->path,
                          s->path);
            ck_assert_msg(r->print.line == MT_L_NONE || r->print.line != s->print.line || r->print.pos != s->print.pos,
                          "%s, %s: same stdout position", r->path, s->path);
        }
    }
    for (int l = MT_L_NONE + 1; l < MT_LINES; l++)
        ck_assert_msg(line_used[l], "stdout line %d has no metric", l);
}
END_TEST

/* True if the key spells the unit: its '_'-separated words hold the unit's words in a row. */
static bool key_has_unit(const char *key, const char *unit)
{
    size_t n = strlen(unit);
    for (const char *p = key; (p = strstr(p, unit)) != NULL; p++) {
        bool starts = p == key || p[-1] == '_';
        bool ends = p[n] == '\0' || p[n] == '_';
        if (starts && ends)
            return true;
    }
    return false;
}

/* The summary's value at a row's item, or NULL. */
static const cJSON *summary_item(const cJSON *s, const mt_row_t *r, size_t i, bool *unit_seen)
{
    char path[256];
    snprintf(path, sizeof path, "%s", r->path);
    *unit_seen = !r->unit[0];
    const cJSON *x = s;
    for (char *k = path, *dot; x && k; k = dot ? dot + 1 : NULL) {
        dot = strchr(k, '.');
        if (dot)
            *dot = '\0';
        if (r->unit[0] && key_has_unit(k, r->unit))
            *unit_seen = true;
        x = cJSON_GetObjectItemCaseSensitive(x, k);
    }
    const char *key = mt_item_key(r, i);
    return key && x ? cJSON_GetObjectItemCaseSensitive(x, key) : x;
}

/* Numbers and nulls anywhere below j. */
static size_t count_numbers(const cJSON *j)
{
    if (cJSON_IsNumber(j) || cJSON_IsNull(j))
        return 1;
    size_t n = 0;
    for (const cJSON *c = j->child; c; c = c->next)
        n += count_numbers(c);
    return n;
}

/* Whether dataset ds of an open run.h5 has a compound member named col. */
static bool h5_has_column(hid_t f, const char *ds_name, const char *col)
{
    hid_t ds = H5Dopen2(f, ds_name, H5P_DEFAULT);
    if (ds < 0)
        return false;
    hid_t t = H5Dget_type(ds);
    bool found = H5Tget_class(t) == H5T_COMPOUND && H5Tget_member_index(t, col) >= 0;
    H5Tclose(t);
    H5Dclose(ds);
    return found;
}

START_TEST(metric_rows_in_outputs)
{
    const char *out = tu_scratch_dir("tables-run");
    char *err = NULL;
    int rc =
        tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/tiny-synthetic.json"), "--out", out, "--quiet", NULL);
    ck_assert_msg(rc == 0, "kvtwin run failed (%d): %s", rc, err);
    free(err);
    char path[1024];
    snprintf(path, sizeof path, "%s/summary.json", out);
    char *text = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    cJSON *s = cJSON_Parse(text);
    ck_assert_ptr_nonnull(s);
    free(text);
    snprintf(path, sizeof path, "%s/run.h5", out);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);

    size_t figures = 0;
    for (size_t r = 0; r < mt_nrows; r++) {
        const mt_row_t *row = &mt_rows[r];
        for (size_t i = 0; i < mt_items(row); i++) {
            char ipath[256];
            mt_item_path(row, i, ipath, sizeof ipath);
            bool unit_seen;
            const cJSON *x = summary_item(s, row, i, &unit_seen);
            ck_assert_msg(x && (cJSON_IsNumber(x) || cJSON_IsNull(x)), "summary.json lacks %s", ipath);
            ck_assert_msg(unit_seen, "%s: no key spells its unit \"%s\"", ipath, row->unit);
            figures++;
        }
        if (row->h5) {
            char ds[64];
            snprintf(ds, sizeof ds, "%s", row->h5);
            char *col = strchr(ds, '/');
            ck_assert_msg(col != NULL, "%s: h5 \"%s\" is not dataset/column", row->path, row->h5);
            *col++ = '\0';
            if (row->each == MT_EACH_TIERS) {
                /* one scalar column per tier (docs/data.md): NAME_g1 ... NAME_g4 */
                for (int k = 0; k < KV_NTIERS; k++) {
                    char tc[96];
                    snprintf(tc, sizeof tc, "%s_%s", col, kv_tiers[k].key);
                    ck_assert_msg(h5_has_column(f, ds, tc), "%s: run.h5 has no %s/%s", row->path, ds, tc);
                }
            } else {
                ck_assert_msg(h5_has_column(f, ds, col), "%s: run.h5 has no %s", row->path, row->h5);
            }
        }
    }
    H5Fclose(f);

    /* And summary.json holds nothing else: its numbers are the header's seed plus the table's figures. */
    cJSON_DeleteItemFromObjectCaseSensitive(s, "scenario");
    size_t leaves = count_numbers(s);
    ck_assert_uint_eq(leaves, figures + 1);
    cJSON_Delete(s);
}
END_TEST

/* A summary holding x at every item of row `only` and 0 everywhere else. */
static cJSON *summary_with(const mt_row_t *only, double x)
{
    mt_values_t v;
    memset(&v, 0, sizeof v);
    double *d = (double *)(void *)((char *)&v + only->offset);
    for (size_t i = 0; i < mt_items(only); i++)
        d[i] = x;
    cJSON *s = cJSON_CreateObject();
    mt_summary_add(s, &v);
    return s;
}

START_TEST(stdout_table_from_rows)
{
    /* Each printed row's value shows up on its own line, formatted as its row says, and moves nowhere else. */
    for (size_t r = 0; r < mt_nrows; r++) {
        const mt_row_t *row = &mt_rows[r];
        if (row->print.line == MT_L_NONE)
            continue;
        double x = 7777.25 * (row->div > 0 ? row->div : 1);
        cJSON *s = summary_with(row, x);
        char buf[4096];
        FILE *mem = fmemopen(buf, sizeof buf, "w");
        mt_print_lines(s, mem);
        fclose(mem);
        cJSON_Delete(s);
        char want[64];
        if (row->print.yes_no) /* a nonzero flag reads "yes" */
            snprintf(want, sizeof want, "yes");
        else
            snprintf(want, sizeof want, "%.*f", row->print.decimals, 7777.25);
        int line = 1;
        bool seen = false;
        for (char *p = buf, *nl; *p; p = nl + 1, line++) {
            nl = strchr(p, '\n');
            ck_assert_ptr_nonnull(nl);
            *nl = '\0';
            bool here = strstr(p, want) != NULL;
            ck_assert_msg(!here || line == row->print.line, "%s printed on line %d: %s", row->path, line, p);
            seen |= here;
        }
        ck_assert_int_eq(line, MT_LINES);
        ck_assert_msg(seen, "%s not printed", row->path);
    }
}
END_TEST

START_TEST(study_table_from_rows)
{
    /* The rows of the study table, in its order, all from the metric table. */
    static const char *const want[] = {
        "steady state (1 = yes)",
        "output tokens/s (TPS)",
        "output tokens/s per GPU",
        "total tokens/s",
        "TTFT p50 (s)",
        "TTFT p99 (s)",
        "TPOT p50 (s)",
        "hit rate, token-weighted",
        "  from G1 (HBM)",
        "  from G2 (DRAM)",
        "  from G3 (local NVMe)",
        "  from G3.5 (ICMS)",
        "  from G4 (storage)",
        "GPU busy",
        "GPU stalled on KV",
        "GPU idle",
        "compute utilisation (MFU)",
        "HBM bandwidth utilisation",
        "preemptions",
        "goodput (requests/s)",
        "tokens/J (IT)",
        "tokens/J (node boundary)",
        "average IT power (kW)",
        "$ per million output tokens",
    };
    mt_study_item_t items[64];
    size_t n = mt_study_items(items, 64);
    ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
    size_t in_table = 0;
    for (size_t r = 0; r < mt_nrows; r++)
        in_table += mt_rows[r].study.order ? mt_items(&mt_rows[r]) : 0;
    ck_assert_uint_eq(n, in_table);
    for (size_t i = 0; i < n; i++) {
        char label[128];
        mt_item_label(items[i].row, items[i].item, label, sizeof label);
        ck_assert_str_eq(label, want[i]);
    }
    /* Values come back through the row's div: average IT power in kW. */
    const mt_row_t *power = NULL;
    for (size_t r = 0; r < mt_nrows; r++)
        if (strcmp(mt_rows[r].path, "average_it_power_w") == 0)
            power = &mt_rows[r];
    ck_assert_ptr_nonnull(power);
    cJSON *s = summary_with(power, 123456.0);
    ck_assert_double_eq(mt_item_shown(s, power, 0), 123.456);
    cJSON_Delete(s);
}
END_TEST

START_TEST(summary_nan_is_null)
{
    mt_values_t v;
    memset(&v, 0, sizeof v);
    v.ttft_p50 = NAN;
    cJSON *s = cJSON_CreateObject();
    mt_summary_add(s, &v);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "latency_s"), "ttft"), "p50");
    ck_assert(x && cJSON_IsNull(x));
    /* Keys appear in table order: the window first, the cost last. */
    ck_assert_str_eq(s->child->string, "window");
    ck_assert_str_eq(cJSON_GetArrayItem(s, cJSON_GetArraySize(s) - 1)->string, "cost");
    cJSON_Delete(s);
}
END_TEST

START_TEST(hit_tokens_by_tier_of_origin)
{
    uint32_t out[KV_NTIERS];
    /* Two blocks from G1, one from G2, one from G3.5; 4 x 16 tokens all reused. */
    uint8_t tiers[] = {KV_G1, KV_G1, KV_G2, KV_G35};
    metrics_hit_tokens(tiers, 4, 16, 64, out);
    ck_assert_uint_eq(out[KV_G1], 32);
    ck_assert_uint_eq(out[KV_G2], 16);
    ck_assert_uint_eq(out[KV_G3], 0);
    ck_assert_uint_eq(out[KV_G35], 16);
    ck_assert_uint_eq(out[KV_G4], 0);
    /* The prompt is fully cached: its last token is computed, and is taken from the fastest tier first. */
    metrics_hit_tokens(tiers, 4, 16, 63, out);
    ck_assert_uint_eq(out[KV_G1], 31);
    ck_assert_uint_eq(out[KV_G35], 16);
    /* Only the last block's tier remains when the reuse is short of the blocks by more than G1 holds. */
    uint8_t low[] = {KV_G1, KV_G4, KV_G4};
    metrics_hit_tokens(low, 3, 10, 12, out);
    ck_assert_uint_eq(out[KV_G1], 0);
    ck_assert_uint_eq(out[KV_G4], 12);
    /* Nothing used, nothing attributed. */
    metrics_hit_tokens(tiers, 0, 16, 0, out);
    for (int t = 0; t < KV_NTIERS; t++)
        ck_assert_uint_eq(out[t], 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tables");
    TCase *tc = tcase_create("tiers");
    tcase_add_test(tc, tier_names_unique);
    tcase_add_test(tc, tier_scopes_as_documented);
    tcase_add_test(tc, tier_keys_bound);
    tcase_add_test(tc, tier_endpoints_and_energy);
    suite_add_tcase(s, tc);
    tc = tcase_create("metrics");
    tcase_add_test(tc, metric_rows_consistent);
    tcase_add_test(tc, metric_rows_in_outputs);
    tcase_add_test(tc, stdout_table_from_rows);
    tcase_add_test(tc, study_table_from_rows);
    tcase_add_test(tc, summary_nan_is_null);
    tcase_add_test(tc, hit_tokens_by_tier_of_origin);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
