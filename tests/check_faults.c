/* Fault injection, KV side (sim/core/faults.h): an enclosure that fails takes its G3.5 blocks with it and
 * only those. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/faults.h"
#include "sim/core/storage_path.h"
#include "sim/core/xfer.h"
#include "sim/kv/kv.h"
#include "sim/kv/policy.h"
#include "sim/kv/write.h"
#include "testutil.h"

static uint32_t dom_of[1] = {0};

/* One instance with a G1 of 4 blocks over a G3.5 of 1000, LRU, write-back: every block G1 evicts is demoted. */
static kv_mgr_t *g1_over_icms(void)
{
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
    return m;
}

START_TEST(enclosure_loses_its_blocks)
{
    kv_mgr_t *m = g1_over_icms();
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

/* A write-back whose transfer fails (its path went down) leaves its blocks out of the destination's index:
 * a later look-up misses them there; a write that landed keeps its blocks; a copy in another tier stays. */
START_TEST(failed_writeback_leaves_no_false_hit)
{
    kv_mgr_t *m = g1_over_icms();
    pod_t *p = calloc(1, sizeof *p);
    p->kv = m;
    p->faults = calloc(1, sizeof *p->faults);
    faults_watch_writes(p);
    /* Blocks 100..115 pass through G1 four at a time; each batch's demotions to G3.5 become one write (as
     * engine_issue_moves drains them), recorded with its blocks. */
    xfer_wrec_t *w[4] = {NULL};
    uint32_t nw = 0;
    for (uint64_t id = 100; id < 120; id++) {
        kv_hits_t h;
        kv_lookup(m, 0, &id, 1, &h);
        kv_access_t a = {(double)id, id, UINT64_MAX, 0, NULL};
        ck_assert_int_eq(kv_admit(m, 0, &id, 1, h.prefix, 0, &a), KV_OK);
        kv_commit(m, 0, &id, 0, 1, &a);
        kv_release(m, 0, &id, 1, 0, &a);
        if ((id - 100) % 4 != 3 || id < 107)
            continue;
        kv_move_t mv[8];
        size_t n = kv_drain_moves(m, mv, 8);
        for (size_t i = 0; i < n; i++)
            if (mv[i].dst_tier == KV_G35) {
                ck_assert_uint_lt(nw, 4);
                w[nw] = faults_write_record(p, &mv[i]);
                ck_assert_uint_eq(w[nw]->n, mv[i].blocks); /* one move per destination: its own blocks */
                nw++;
            }
        faults_moves_drained(p);
    }
    ck_assert_uint_ge(nw, 2);
    /* Before the failure the destination lists the blocks of both writes. */
    for (uint32_t k = 0; k < 2; k++)
        for (uint32_t i = 0; i < w[k]->n; i++)
            ck_assert(kv_resident(m, KV_G35, 0, w[k]->ids[i]));
    /* The first write's transfer fails (a link fault): its blocks leave G3.5, a look-up misses them. */
    uint64_t failed_ids[16];
    uint32_t nf = w[0]->n;
    memcpy(failed_ids, w[0]->ids, nf * sizeof failed_ids[0]);
    faults_write_failed(p, w[0]);
    ck_assert_uint_eq(p->faults->writes_failed, 1);
    ck_assert_uint_eq(p->faults->write_blocks_dropped, nf);
    for (uint32_t i = 0; i < nf; i++) {
        ck_assert_msg(!kv_resident(m, KV_G35, 0, failed_ids[i]), "block %llu of a failed write still listed",
                      (unsigned long long)failed_ids[i]);
        kv_hits_t h;
        kv_lookup(m, 0, &failed_ids[i], 1, &h);
        ck_assert_uint_eq(h.prefix, 0);
    }
    /* The second write landed: its blocks stay and hit. */
    for (uint32_t i = 0; i < w[1]->n; i++) {
        kv_hits_t h;
        kv_lookup(m, 0, &w[1]->ids[i], 1, &h);
        ck_assert_uint_eq(h.prefix, 1);
        ck_assert_uint_eq(h.by_tier[KV_G35], 1);
    }
    /* A failed write whose blocks are gone already (dropped by the fault itself) drops nothing more. */
    xfer_wrec_t *again = malloc(sizeof *again + nf * sizeof again->ids[0]);
    *again = (xfer_wrec_t){.tier = KV_G35, .loc = 0, .moves = 1, .n = nf, .cap = nf};
    memcpy(again->ids, failed_ids, nf * sizeof failed_ids[0]);
    faults_write_failed(p, again);
    ck_assert_uint_eq(p->faults->writes_failed, 2);
    ck_assert_uint_eq(p->faults->write_blocks_dropped, nf);
    free(again);
    for (uint32_t k = 0; k < nw; k++)
        free(w[k]);
    free(p->faults->added);
    free(p->faults);
    free(p);
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

/* A run of storage-path-io.json with extra --set options (NULL-terminated), exit code checked. */
static cJSON *run_with(const char *tag, const char *const *sets)
{
    const char *dir = tu_scratch_dir(tag);
    char outdir[1100];
    snprintf(outdir, sizeof outdir, "%s/run", dir);
    const char *argv[48];
    int n = 0;
    const char *head[] = {"run", tu_source("configs/scenarios/storage-path-io.json"), "--quiet", "--force", "--out",
                          outdir};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        argv[n++] = head[i];
    for (size_t i = 0; sets[i] && n < 44; i++) {
        argv[n++] = "--set";
        argv[n++] = sets[i];
    }
    argv[n] = NULL;
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin_argv(&out, &err, n, argv);
    ck_assert_msg(rc == 0, "kvtwin run failed (%d): %s", rc, err ? err : "");
    free(out);
    free(err);
    return tu_read_summary(outdir);
}

static double fnum(const cJSON *s, const char *key)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(s, "faults");
    ck_assert_ptr_nonnull(f);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(f, key);
    ck_assert_msg(cJSON_IsNumber(x), "faults.%s missing", key);
    return x->valuedouble;
}

/* Every request completed or is counted (the run's own conservation check passed too, or rc != 0). */
static void all_accounted(const cJSON *s)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(s, "requests");
    double arrived = cJSON_GetObjectItemCaseSensitive(r, "arrived")->valuedouble;
    double done = cJSON_GetObjectItemCaseSensitive(r, "completed")->valuedouble +
                  cJSON_GetObjectItemCaseSensitive(r, "rejected")->valuedouble +
                  cJSON_GetObjectItemCaseSensitive(r, "unfinished")->valuedouble;
    ck_assert(arrived > 0);
    ck_assert_double_eq(arrived, done);
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
                           "faults=[{\"at_s\": 1, \"target\": \"switch:0\", \"duration_s\": 1}]", NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_ptr_nonnull(strstr(err, "faults"));
    free(out);
    free(err);
    /* Out of range: a leaf the pod does not have, a drive past the enclosure's SSDs, a link not in the XML. */
    static const char *const bad[] = {"leaf:999", "icms:0/drive:999", "link:nope-0", "node:999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char set[160];
        snprintf(set, sizeof set, "faults=[{\"at_s\": 1, \"target\": \"%s\", \"duration_s\": 1}]", bad[i]);
        rc = tu_run_kvtwin(&out, &err, "run", tu_source("configs/scenarios/storage-path-io.json"), "--quiet", "--out",
                           tu_scratch_dir("faults-bad"), "--force", "--set", set, NULL);
        ck_assert_msg(rc == 2, "%s: exit %d", bad[i], rc);
        ck_assert_ptr_nonnull(strstr(err, bad[i]));
        free(out);
        free(err);
    }
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

START_TEST(drive_loses_its_share)
{
    /* The blocks of a drive are the deterministic 1/drives share of its enclosure's: each id maps to one. */
    uint32_t count[20] = {0};
    for (uint64_t id = 0; id < 20000; id++) {
        uint32_t d = faults_drive_of_block(id * 0x9e3779b97f4a7c15ull, 20);
        ck_assert_uint_lt(d, 20);
        ck_assert_uint_eq(d, faults_drive_of_block(id * 0x9e3779b97f4a7c15ull, 20));
        count[d]++;
    }
    for (int d = 0; d < 20; d++)
        ck_assert_msg(count[d] > 800 && count[d] < 1200, "drive %d holds %u of 20000", d, count[d]);
    ck_assert_uint_eq(faults_drive_of_block(7, 0), 0);
}
END_TEST

/* One run per target of storage-path-io.json (two nodes, one leaf each; here four enclosures), each fault
 * from 100 s for 50 s: what each loses, and that every request is still accounted for (loop index: target). */
START_TEST(run_per_target)
{
    const char *base[] = {"hardware.icms.io_bytes=0", "hardware.icms.enclosures=4", NULL};
    static const char *const targets[] = {"icms:1", "icms:1/drive:3", "link:eport-1", "leaf:0", "node:1"};
    int i = _i;
    char set[200], tag[40];
    snprintf(set, sizeof set, "faults=[{\"at_s\": 100, \"target\": \"%s\", \"duration_s\": 50}]", targets[i]);
    snprintf(tag, sizeof tag, "faults-t-%d", i);
    const char *sets[] = {base[0], base[1], set, NULL};
    cJSON *s = run_with(tag, sets);
    all_accounted(s);
    ck_assert_double_eq(fnum(s, "applied"), 1);
    double g35_lost = fnum(s, "g35_blocks_lost");
    const cJSON *bf = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "faults"), "by_fault"), 0);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(bf, "target")->valuestring, targets[i]);
    for (int ph = 0; ph < 3; ph++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(bf, ph == 0 ? "before" : ph == 1 ? "during" : "after");
        ck_assert(cJSON_GetObjectItemCaseSensitive(x, "ttft_p99_s")->valuedouble >=
                  cJSON_GetObjectItemCaseSensitive(x, "ttft_p50_s")->valuedouble);
        ck_assert(cJSON_GetObjectItemCaseSensitive(x, "output_tokens_per_s")->valuedouble > 0);
    }
    if (i <= 1) {
        /* The enclosure loses its blocks, one of its 20 drives a share of them (264 and 17 here): fewer loads. */
        cJSON *none = run_with("faults-t-none", base);
        ck_assert(g35_lost > 0);
        ck_assert(g35_loads(s) < g35_loads(none));
        if (i == 1) {
            const char *whole[] = {base[0], base[1],
                                   "faults=[{\"at_s\": 100, \"target\": \"icms:1\", \"duration_s\": 50}]", NULL};
            cJSON *w = run_with("faults-t-whole", whole);
            ck_assert(g35_lost < fnum(w, "g35_blocks_lost"));
            cJSON_Delete(w);
        }
        cJSON_Delete(none);
    } else if (i <= 3) {
        /* The enclosure's port, node 0's leaf: transfers to and from them fail while they are down. */
        ck_assert_double_eq(g35_lost, 0);
        ck_assert(fnum(s, "transfers_failed") > 0);
        ck_assert(fnum(s, "failed_bytes") > 0);
        /* Write-backs to the enclosure behind them failed too: their blocks left G3.5's index (55 and 131). */
        ck_assert(fnum(s, "writes_failed") > 0);
        ck_assert(fnum(s, "write_blocks_dropped") > 0);
    } else {
        /* A node: its G1 and G2, its requests restart on the other node. */
        ck_assert(fnum(s, "g1_blocks_lost") > 0);
        ck_assert(fnum(s, "requests_restarted") > 0);
        ck_assert(fnum(s, "recomputed_tokens") > 0);
    }
    cJSON_Delete(s);
}
END_TEST

/* Transfers in flight when the enclosure fails are cancelled (a 512-byte command size makes the enclosure
 * slow, kv.fetch=always keeps loading from it), their requests recompute, the books balance. */
START_TEST(in_flight_fail_and_recompute)
{
    const char *sets[] = {"hardware.icms.io_bytes=512", "kv.fetch=always", "workload.synth.session_rate_per_s=2",
                          "faults=[{\"at_s\": 60.3, \"target\": \"icms:0\", \"duration_s\": 5}]", NULL};
    cJSON *s = run_with("faults-inflight", sets);
    all_accounted(s);
    ck_assert(fnum(s, "transfers_cancelled_in_flight") > 0);
    ck_assert(fnum(s, "transfers_failed") >= fnum(s, "transfers_cancelled_in_flight"));
    ck_assert(fnum(s, "recomputed_tokens") > 0);
    cJSON_Delete(s);
}
END_TEST

/* Per-flow paths route around a failed uplink: only the flows in flight on it fail; static paths keep
 * sending over it and fail until it is repaired. */
START_TEST(routing_avoids_failed_link)
{
    const char *common[] = {"hardware.icms.io_bytes=512", "kv.fetch=always", "workload.synth.session_rate_per_s=2",
                            "hardware.fabric.oversubscription=63",
                            "faults=[{\"at_s\": 60.3, \"target\": \"link:up-1\", \"duration_s\": 50}]"};
    const char *per_flow[] = {
        common[0], common[1], common[2], common[3], common[4], "hardware.fabric.per_flow_paths=true", NULL};
    const char *fixed[] = {common[0], common[1], common[2], common[3], common[4], NULL};
    cJSON *a = run_with("faults-link-pf", per_flow), *b = run_with("faults-link-static", fixed);
    all_accounted(a);
    all_accounted(b);
    ck_assert_double_eq(fnum(a, "transfers_failed"), fnum(a, "transfers_cancelled_in_flight"));
    ck_assert(fnum(b, "transfers_failed") > fnum(b, "transfers_cancelled_in_flight"));
    ck_assert(fnum(b, "transfers_failed") > 10 * fnum(a, "transfers_failed"));
    cJSON_Delete(a);
    cJSON_Delete(b);
}
END_TEST

/* Conservation with every kind of fault at once, overlapping: the run's own check (requests, tokens, bytes
 * with the failed ones, links with the cancelled ones, joules) passes, or kvtwin exits 1. */
START_TEST(conservation_with_faults)
{
    const char *sets[] = {"hardware.icms.io_bytes=512",
                          "kv.fetch=always",
                          "workload.synth.session_rate_per_s=2",
                          "hardware.icms.enclosures=2",
                          "hardware.fabric.per_flow_paths=true",
                          "faults=[{\"at_s\": 50, \"target\": \"icms:0\", \"duration_s\": 40},"
                          "{\"at_s\": 60.3, \"target\": \"icms:1/drive:0\", \"duration_s\": 30},"
                          "{\"at_s\": 70.1, \"target\": \"node:0\", \"duration_s\": 30},"
                          "{\"at_s\": 80.7, \"target\": \"leaf:1\", \"duration_s\": 5},"
                          "{\"at_s\": 90.2, \"target\": \"link:up-0\", \"duration_s\": 20}]",
                          NULL};
    cJSON *s = run_with("faults-conserve", sets);
    all_accounted(s);
    ck_assert_double_eq(fnum(s, "applied"), 5);
    ck_assert(fnum(s, "transfers_failed") > 0);
    ck_assert(fnum(s, "requests_restarted") > 0);
    cJSON_Delete(s);
}
END_TEST

/* Striped hops (two enclosures per stripe) with slow enclosures, so that many hops split at once, with
 * coalesced write-through and faults on an enclosure, its port and a leaf: the books balance (kvtwin exits 1
 * otherwise; hops split while another's parts were posted once took that hop's part sizes), failed
 * writes' blocks leave the index. */
START_TEST(conservation_with_striping)
{
    const char *sets[] = {"hardware.icms.io_bytes=4096",
                          "kv.fetch=always",
                          "workload.synth.session_rate_per_s=2",
                          "hardware.icms.enclosures=4",
                          "hardware.icms.stripe_enclosures=2",
                          "kv.write_policy=write-through",
                          "kv.writeback_coalesce_ms=5",
                          "faults=[{\"at_s\": 50, \"target\": \"icms:0\", \"duration_s\": 40},"
                          "{\"at_s\": 60.3, \"target\": \"link:eport-1\", \"duration_s\": 30},"
                          "{\"at_s\": 70.1, \"target\": \"leaf:1\", \"duration_s\": 5}]",
                          NULL};
    cJSON *s = run_with("faults-stripe", sets);
    all_accounted(s);
    ck_assert(fnum(s, "writes_failed") > 0);
    ck_assert(fnum(s, "write_blocks_dropped") > 0);
    cJSON_Delete(s);
    /* The same without faults (the split alone). */
    const char *plain[] = {sets[0], sets[1], sets[2], sets[3], sets[4], NULL};
    cJSON *q = run_with("faults-stripe-plain", plain);
    all_accounted(q);
    cJSON_Delete(q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("kv");
    tcase_add_test(tc, enclosure_loses_its_blocks);
    tcase_add_test(tc, failed_writeback_leaves_no_false_hit);
    tcase_add_test(tc, run_with_failed_enclosure);
    tcase_add_test(tc, run_with_failed_g4_server);
    tcase_add_test(tc, drive_loses_its_share);
    tcase_add_loop_test(tc, run_per_target, 0, 5);
    tcase_add_test(tc, in_flight_fail_and_recompute);
    tcase_add_test(tc, routing_avoids_failed_link);
    tcase_add_test(tc, conservation_with_faults);
    tcase_add_test(tc, conservation_with_striping);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
