/* Fault injection, KV side (sim/core/faults.h): an enclosure that fails takes its G3.5 blocks with it and
 * only those. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/faults.h"
#include "sim/core/storage_path.h"
#include "sim/kv/kv.h"
#include "sim/kv/policy.h"
#include "sim/kv/write.h"
#include "testutil.h"

static uint32_t dom_of[1] = {0};

START_TEST(enclosure_loses_its_blocks)
{
    /* One instance with a G1 of 4 blocks over a G3.5 of 1000: write-back demotes every block G1 evicts. */
    kv_cfg_t c;
    memset(&c, 0, sizeof c);
    c.n_instances = 1;
    c.n_domains = 1;
    c.domain_of_instance = dom_of;
    c.block_bytes = 1 << 20;
    uint64_t caps[KV_NTIERS] = {4, 0, 0, 1000, 0};
    for (int t = 0; t < KV_NTIERS; t++) {
        c.tier[t].enabled = caps[t] > 0;
        c.tier[t].capacity_blocks = caps[t];
        c.tier[t].policy = kv_policy_find("lru");
        c.tier[t].inclusive = true;
    }
    c.write = kv_write_find("write-back");
    char err[256];
    kv_mgr_t *m = kv_mgr_create(&c, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    /* 64 one-block requests: blocks 100..163 pass through G1; all but the last 4 end in G3.5 only. */
    for (uint64_t id = 100; id < 164; id++) {
        kv_hits_t h;
        kv_lookup(m, 0, &id, 1, &h);
        kv_access_t a = {(double)id, id, UINT64_MAX, 0, NULL};
        ck_assert_int_eq(kv_admit(m, 0, &id, 1, h.prefix, 0, &a), KV_OK);
        kv_commit(m, 0, &id, 0, 1, &a);
        kv_release(m, 0, &id, 1, 0, &a);
    }
    (void)kv_drain_moves(m, (kv_move_t[64]){0}, 64);
    uint32_t held = 0, on_enc = 0;
    for (uint64_t id = 100; id < 164; id++) {
        if (!kv_resident(m, KV_G35, 0, id))
            continue;
        held++;
        on_enc += sp_stripe_enclosure(id, 4, 2) == 1;
    }
    ck_assert_uint_ge(held, 60);
    ck_assert_uint_gt(on_enc, 0);
    /* Enclosure 1 of 4 fails (stripes of 2 blocks): exactly its blocks go, the others stay. */
    ck_assert_uint_eq(faults_lose_enclosure(m, 1, 4, 2), on_enc);
    uint32_t left = 0;
    for (uint64_t id = 100; id < 164; id++) {
        bool res = kv_resident(m, KV_G35, 0, id);
        if (sp_stripe_enclosure(id, 4, 2) == 1)
            ck_assert_msg(!res, "block %llu survived its enclosure", (unsigned long long)id);
        left += res;
    }
    ck_assert_uint_eq(left, held - on_enc);
    kv_tier_stats_t st;
    kv_tier_stats(m, KV_G35, &st);
    ck_assert_uint_eq(st.used_blocks, held - on_enc);
    /* A lookup after the fault misses the lost block (the lookup memo does not serve stale slots). */
    for (uint64_t id = 100; id < 160; id++) {
        if (sp_stripe_enclosure(id, 4, 2) != 1)
            continue;
        kv_hits_t h;
        kv_lookup(m, 0, &id, 1, &h);
        ck_assert_uint_eq(h.prefix, 0);
        break;
    }
    /* Out of range or no enclosures: nothing lost. */
    ck_assert_uint_eq(faults_lose_enclosure(m, 4, 4, 2), 0);
    ck_assert_uint_eq(faults_lose_enclosure(m, 0, 0, 2), 0);
    kv_mgr_destroy(m);
}
END_TEST

/* kvtwin run with an enclosure failing mid-run: blocks are lost, fewer bytes load from G3.5, the books
 * still balance (the run would exit 1 otherwise); a target not modelled is an input error (exit 2). */
static cJSON *run_summary(const char *tag, const char *fault_set)
{
    const char *dir = tu_scratch_dir(tag);
    char outdir[1100];
    snprintf(outdir, sizeof outdir, "%s/run", dir);
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "run", tu_source("configs/scenarios/storage-path-io.json"), "--quiet", "--force",
                           "--out", outdir, "--set", "hardware.icms.io_bytes=0", "--set", "hardware.icms.enclosures=4",
                           "--set", fault_set, NULL);
    ck_assert_msg(rc == 0, "kvtwin run failed (%d): %s", rc, err ? err : "");
    free(out);
    free(err);
    cJSON *j = tu_read_summary(outdir);
    return j;
}

static double g35_loads(const cJSON *s)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "transfers");
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(t, "load_bytes_by_source_tier");
    return cJSON_GetObjectItemCaseSensitive(l, "G3.5")->valuedouble;
}

START_TEST(run_with_failed_enclosure)
{
    cJSON *base = run_summary("faults-none", "faults=[]");
    cJSON *hit = run_summary("faults-one", "faults=[{\"at_s\": 100, \"target\": \"icms:1\", \"duration_s\": 50}]");
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(base, "faults"));
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(hit, "faults");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(f, "applied")->valueint, 1);
    ck_assert(cJSON_GetObjectItemCaseSensitive(f, "g35_blocks_lost")->valuedouble > 0);
    ck_assert(g35_loads(hit) < g35_loads(base));
    cJSON_Delete(base);
    cJSON_Delete(hit);
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "run", tu_source("configs/scenarios/storage-path-io.json"), "--quiet", "--out",
                           tu_scratch_dir("faults-bad"), "--force", "--set",
                           "faults=[{\"at_s\": 1, \"target\": \"leaf:0\", \"duration_s\": 1}]", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(err, "faults"));
    free(out);
    free(err);
}
END_TEST

START_TEST(run_with_failed_g4_server)
{
    /* G4 only (four servers), G3 off: server 2 fails at 100 s and loses its blocks. */
    const char *dir = tu_scratch_dir("faults-g4");
    char outdir[1100];
    snprintf(outdir, sizeof outdir, "%s/run", dir);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", tu_source("configs/scenarios/where-5x.json"), "--quiet", "--force",
                           "--out", outdir, "--set", "hardware.icms.present=false", "--set", "kv.g35.enabled=false",
                           "--set", "kv.g4.enabled=true", "--set", "hardware.g4.servers=4", "--set",
                           "kv.g3.enabled=false", "--set", "workload.synth.session_rate_per_s=0.5", "--set",
                           "faults=[{\"at_s\": 100, \"target\": \"g4:2\", \"duration_s\": 60}]", NULL);
    ck_assert_msg(rc == 0, "kvtwin run failed (%d): %s", rc, err ? err : "");
    free(err);
    cJSON *j = tu_read_summary(outdir);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "faults");
    ck_assert_ptr_nonnull(f);
    ck_assert(cJSON_GetObjectItemCaseSensitive(f, "g4_blocks_lost")->valuedouble > 0);
    ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(f, "g35_blocks_lost")->valuedouble, 0);
    cJSON_Delete(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("kv");
    tcase_add_test(tc, enclosure_loses_its_blocks);
    tcase_add_test(tc, run_with_failed_enclosure);
    tcase_add_test(tc, run_with_failed_g4_server);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
