/* The KV manager with LRU on every tier: configuration errors, lookup of the leading cached run, admission
 * with reservation and pinning, commit and release, promotion (copy from inclusive tiers, move from exclusive
 * ones), demotion on eviction and the three write policies, the merged move queue, prestaging, counters.
 * Not covered here: the other policies (check_policies*.c) and the cache-only replay (check_kv_replay.c). */
#include <stdlib.h>
#include <string.h>

#include "sim/kv/gheap.h"
#include "sim/kv/heap.h"
#include "sim/kv/kv.h"
#include "sim/kv/policy.h"
#include "sim/kv/store.h"
#include "sim/kv/write.h"
#include "testutil.h"

static uint32_t dom_of[4] = {0, 0, 1, 1};

static kv_cfg_t base_cfg(uint64_t g1, uint64_t g2, uint64_t g4)
{
    kv_cfg_t c;
    memset(&c, 0, sizeof c);
    c.n_instances = 4;
    c.n_domains = 2;
    c.domain_of_instance = dom_of;
    c.block_bytes = 1 << 20;
    uint64_t caps[KV_NTIERS] = {g1, g2, 0, 0, g4};
    for (int t = 0; t < KV_NTIERS; t++) {
        c.tier[t].enabled = caps[t] > 0;
        c.tier[t].capacity_blocks = caps[t];
        c.tier[t].policy = kv_policy_find("lru");
        c.tier[t].inclusive = true;
    }
    c.write = kv_write_find("write-back");
    return c;
}

static kv_access_t ctx_of(uint64_t req, double now)
{
    kv_access_t a = {now, req, UINT64_MAX, 0, NULL};
    return a;
}

/* One request end to end as the cache-only replay does it; returns the prefix it found. */
static uint32_t run_req(kv_mgr_t *m, uint32_t inst, const uint64_t *ids, uint32_t n, uint64_t req)
{
    kv_hits_t h;
    kv_lookup(m, inst, ids, n, &h);
    kv_access_t a = ctx_of(req, (double)req);
    ck_assert_int_eq(kv_admit(m, inst, ids, n, h.prefix, 0, &a), KV_OK);
    kv_commit(m, inst, ids, 0, n, &a);
    kv_release(m, inst, ids, n, 0, &a);
    return h.prefix;
}

static kv_mgr_t *make(const kv_cfg_t *c)
{
    char err[256];
    kv_mgr_t *m = kv_mgr_create(c, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    return m;
}

START_TEST(tier_names)
{
    ck_assert_str_eq(kv_tier_name(KV_G1), "G1");
    ck_assert_str_eq(kv_tier_name(KV_G35), "G3.5");
    ck_assert_str_eq(kv_tier_name(KV_G4), "G4");
    ck_assert_str_eq(kv_write_at(2)->base.name, "selective");
    ck_assert_ptr_eq(kv_write_find_alias("back"), kv_write_find("write-back"));
    ck_assert_ptr_eq(kv_write_find_alias("through"), kv_write_find("write-through"));
    ck_assert_ptr_null(kv_write_find("back")); /* aliases are for kvtwin cache --write only */
}
END_TEST

START_TEST(rejects_bad_configs)
{
    char err[256];
    kv_cfg_t c = base_cfg(10, 20, 0);
    c.tier[KV_G2].policy = kv_policy_find("nosuch"); /* NULL: names are checked where they are read */
    ck_assert_ptr_null(kv_mgr_create(&c, err, sizeof err));
    ck_assert_msg(strstr(err, "G2") && strstr(err, "no eviction policy"), "%s", err);

    c = base_cfg(0, 20, 0);
    ck_assert_ptr_null(kv_mgr_create(&c, err, sizeof err));
    ck_assert_msg(strstr(err, "G1"), "%s", err);

    c = base_cfg(10, 20, 0);
    uint32_t bad[4] = {0, 0, 1, 7};
    c.domain_of_instance = bad;
    ck_assert_ptr_null(kv_mgr_create(&c, err, sizeof err));
    ck_assert_msg(strstr(err, "domain"), "%s", err);

    /* Parameters are bound before the manager sees them: a bad one fails there, naming it. */
    cJSON *p = cJSON_Parse("{\"bogus\": 1}");
    jb_error_t je;
    ck_assert_ptr_null(plugin_bind(&kv_policy_find("s3fifo")->base, p, &je));
    ck_assert_msg(strstr(je.path, "bogus") && strstr(je.msg, "bogus"), "%s: %s", je.path, je.msg);
    cJSON_Delete(p);
}
END_TEST

START_TEST(validate_names_valid_policies)
{
    jb_error_t e;
    ck_assert_int_eq(kv_policy_validate("lru", NULL, &e), 0);
    ck_assert_int_eq(kv_policy_validate("LRU2", NULL, &e), -1);
    ck_assert_str_eq(e.path, "");
    ck_assert_msg(strstr(e.msg, "unknown policy \"LRU2\"") && strstr(e.msg, "lru"), "%s", e.msg);
    cJSON *p = cJSON_Parse("{\"zz\": 3}");
    ck_assert_int_eq(kv_policy_validate("lru", p, &e), -1);
    ck_assert_str_eq(e.path, "zz");
    ck_assert_msg(strstr(e.msg, "no parameters"), "%s", e.msg);
    cJSON_Delete(p);
    ck_assert_ptr_nonnull(kv_policy_find("lru"));
    ck_assert_ptr_null(kv_policy_find("nope"));
}
END_TEST

/* Textbook LRU, capacity 3, one block per request, sequence 1 2 3 1 4 2 5 1 3 4 (oldest first):
 * [1 2 3] | 1 hit [2 3 1] | 4 evicts 2 [3 1 4] | 2 evicts 3 [1 4 2] | 5 evicts 1 [4 2 5] |
 * 1 evicts 4 [2 5 1] | 3 evicts 2 [5 1 3] | 4 evicts 5 [1 3 4]: one hit, six evictions. */
START_TEST(lru_textbook)
{
    kv_cfg_t c = base_cfg(3, 0, 0);
    c.n_instances = 1;
    kv_mgr_t *m = make(&c);
    const uint64_t seq[] = {1, 2, 3, 1, 4, 2, 5, 1, 3, 4};
    const uint32_t expect[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
        ck_assert_uint_eq(run_req(m, 0, &seq[i], 1, i), expect[i]);
    ck_assert(kv_resident(m, KV_G1, 0, 1) && kv_resident(m, KV_G1, 0, 3) && kv_resident(m, KV_G1, 0, 4));
    kv_tier_stats_t st;
    kv_tier_stats(m, KV_G1, &st);
    ck_assert_uint_eq(st.used_blocks, 3);
    ck_assert_uint_eq(st.hit_blocks, 1);
    ck_assert_uint_eq(st.inserted_blocks, 9);
    ck_assert_uint_eq(st.evicted_blocks, 6);
    kv_mgr_destroy(m);
}
END_TEST

START_TEST(lookup_stops_at_first_miss)
{
    kv_cfg_t c = base_cfg(16, 0, 0);
    kv_mgr_t *m = make(&c);
    uint64_t a[] = {10, 11, 12};
    run_req(m, 0, a, 3, 1);
    uint64_t b[] = {10, 99, 12};
    kv_hits_t h;
    kv_lookup(m, 0, b, 3, &h);
    ck_assert_uint_eq(h.blocks, 3);
    ck_assert_uint_eq(h.prefix, 1);
    ck_assert_uint_eq(h.by_tier[KV_G1], 1);
    kv_lookup(m, 1, a, 3, &h); /* another instance's G1 is not reachable */
    ck_assert_uint_eq(h.prefix, 0);
    kv_mgr_destroy(m);
}
END_TEST

START_TEST(pinned_never_evicted_and_enospace)
{
    kv_cfg_t c = base_cfg(4, 0, 0);
    c.n_instances = 1;
    kv_mgr_t *m = make(&c);
    uint64_t a[] = {1, 2, 3};
    kv_access_t ca = ctx_of(1, 0);
    ck_assert_int_eq(kv_admit(m, 0, a, 3, 0, 0, &ca), KV_OK);
    ck_assert_uint_eq(kv_g1_free_blocks(m, 0), 1);
    kv_commit(m, 0, a, 0, 2, &ca);
    ck_assert_uint_eq(kv_g1_free_blocks(m, 0), 1);
    /* A second request needing 2 blocks cannot fit: 3 are held by the first. */
    uint64_t b[] = {7, 8};
    kv_access_t cb = ctx_of(2, 1);
    ck_assert_int_eq(kv_admit(m, 0, b, 2, 0, 0, &cb), KV_ENOSPACE);
    ck_assert_uint_eq(kv_g1_free_blocks(m, 0), 1); /* nothing changed */
    ck_assert_int_eq(kv_admit(m, 0, b, 1, 0, 0, &cb), KV_OK);
    kv_commit(m, 0, b, 0, 1, &cb);
    kv_commit(m, 0, a, 2, 3, &ca);
    ck_assert_uint_eq(kv_g1_free_blocks(m, 0), 0);
    kv_release(m, 0, b, 1, 0, &cb);
    /* Now 7 is unpinned: a one-block request evicts it, never a block of the running request a. */
    uint64_t d[] = {9};
    kv_access_t cd = ctx_of(3, 2);
    ck_assert_int_eq(kv_admit(m, 0, d, 1, 0, 2, &cd), KV_ENOSPACE); /* 3 blocks: only 1 evictable */
    ck_assert_int_eq(kv_admit(m, 0, d, 1, 0, 0, &cd), KV_OK);
    ck_assert(!kv_resident(m, KV_G1, 0, 7));
    for (int i = 0; i < 3; i++)
        ck_assert(kv_resident(m, KV_G1, 0, a[i]));
    kv_tier_stats_t st;
    kv_tier_stats(m, KV_G1, &st);
    ck_assert_uint_eq(st.pinned_blocks, 3);
    kv_release(m, 0, d, 1, 0, &cd);
    kv_release(m, 0, a, 3, 0, &ca);
    kv_tier_stats(m, KV_G1, &st);
    ck_assert_uint_eq(st.pinned_blocks, 0);
    ck_assert_uint_eq(st.used_blocks, 3); /* 1, 2, 3 cached; 9 was never committed */
    ck_assert_uint_eq(kv_g1_free_blocks(m, 0), 1);
    kv_mgr_destroy(m);
}
END_TEST

START_TEST(release_frees_uncommitted_and_extra)
{
    kv_cfg_t c = base_cfg(10, 0, 0);
    kv_mgr_t *m = make(&c);
    uint64_t a[] = {1, 2, 3, 4};
    kv_access_t ca = ctx_of(5, 0);
    ck_assert_int_eq(kv_admit(m, 0, a, 4, 0, 3, &ca), KV_OK);
    ck_assert_uint_eq(kv_g1_free_blocks(m, 0), 3);
    kv_commit(m, 0, a, 0, 2, &ca);
    kv_release(m, 0, a, 4, 3, &ca);
    ck_assert_uint_eq(kv_g1_free_blocks(m, 0), 8);
    ck_assert(kv_resident(m, KV_G1, 0, 2) && !kv_resident(m, KV_G1, 0, 3));
    kv_mgr_destroy(m);
}
END_TEST

static size_t drain_all(kv_mgr_t *m, kv_move_t *mv, size_t cap)
{
    size_t n = 0, got;
    while ((got = kv_drain_moves(m, mv + n, cap - n)) > 0)
        n += got;
    return n;
}

/* Write-back: G1 evictions go down to the domain's G2, merged into one move per hop; a later request finds
 * the block in G2 and it is loaded back (copied from an inclusive G2). */
START_TEST(writeback_demotes_and_promotes_inclusive)
{
    kv_cfg_t c = base_cfg(2, 8, 0);
    kv_mgr_t *m = make(&c);
    uint64_t a[] = {1, 2}, b[] = {3, 4};
    run_req(m, 2, a, 2, 1);
    kv_move_t mv[16];
    ck_assert_uint_eq(drain_all(m, mv, 16), 0);
    run_req(m, 2, b, 2, 2); /* evicts 1 and 2 into G2 of domain 1 */
    size_t k = drain_all(m, mv, 16);
    ck_assert_uint_eq(k, 1);
    ck_assert_uint_eq(mv[0].kind, KV_MOVE_DEMOTE);
    ck_assert_uint_eq(mv[0].src_tier, KV_G1);
    ck_assert_uint_eq(mv[0].dst_tier, KV_G2);
    ck_assert_uint_eq(mv[0].src_loc, 2);
    ck_assert_uint_eq(mv[0].dst_loc, 1);
    ck_assert_uint_eq(mv[0].blocks, 2);
    ck_assert_uint_eq(mv[0].first_block, 2); /* leaf first: released last-to-first */
    ck_assert(kv_resident(m, KV_G2, 1, 1) && kv_resident(m, KV_G2, 1, 2));
    /* Instance 3 shares domain 1: it sees 1, 2 in G2. Instance 0 (domain 0) does not. */
    kv_hits_t h;
    kv_lookup(m, 0, a, 2, &h);
    ck_assert_uint_eq(h.prefix, 0);
    kv_lookup(m, 3, a, 2, &h);
    ck_assert_uint_eq(h.prefix, 2);
    ck_assert_uint_eq(h.by_tier[KV_G2], 2);
    ck_assert_uint_eq(run_req(m, 3, a, 2, 3), 2);
    k = drain_all(m, mv, 16);
    ck_assert_uint_eq(k, 1);
    ck_assert_uint_eq(mv[0].kind, KV_MOVE_LOAD);
    ck_assert_uint_eq(mv[0].src_tier, KV_G2);
    ck_assert_uint_eq(mv[0].dst_loc, 3);
    ck_assert_uint_eq(mv[0].blocks, 2);
    ck_assert(kv_resident(m, KV_G2, 1, 1)); /* inclusive: copy kept */
    ck_assert(kv_resident(m, KV_G1, 3, 1));
    kv_tier_stats_t st;
    kv_tier_stats(m, KV_G2, &st);
    ck_assert_uint_eq(st.hit_blocks, 2);
    ck_assert_uint_eq(st.promoted_out_blocks, 2);
    ck_assert_uint_eq(st.demoted_in_blocks, 2);
    kv_mgr_destroy(m);
}
END_TEST

START_TEST(exclusive_tier_moves_up)
{
    kv_cfg_t c = base_cfg(2, 8, 0);
    c.tier[KV_G2].inclusive = false;
    kv_mgr_t *m = make(&c);
    uint64_t a[] = {1, 2}, b[] = {3, 4};
    run_req(m, 0, a, 2, 1);
    run_req(m, 0, b, 2, 2);
    ck_assert(kv_resident(m, KV_G2, 0, 1));
    ck_assert_uint_eq(run_req(m, 0, a, 2, 3), 2);
    ck_assert(!kv_resident(m, KV_G2, 0, 1) && !kv_resident(m, KV_G2, 0, 2)); /* moved */
    ck_assert(kv_resident(m, KV_G2, 0, 3) && kv_resident(m, KV_G2, 0, 4));   /* b went down meanwhile */
    kv_tier_stats_t st;
    kv_tier_stats(m, KV_G2, &st);
    ck_assert_uint_eq(st.used_blocks, 2);
    kv_mgr_destroy(m);
}
END_TEST

/* Inclusive G2 keeps a copy: evicting the block from G1 again costs no write (its copy below is clean). */
START_TEST(clean_copy_not_written_twice)
{
    kv_cfg_t c = base_cfg(2, 8, 0);
    kv_mgr_t *m = make(&c);
    uint64_t a[] = {1, 2}, b[] = {3, 4};
    kv_move_t mv[16];
    run_req(m, 0, a, 2, 1);
    run_req(m, 0, b, 2, 2);
    run_req(m, 0, a, 2, 3); /* a loaded back, b demoted */
    drain_all(m, mv, 16);
    run_req(m, 0, b, 2, 4); /* b loaded back; a evicted but already in G2 */
    size_t k = drain_all(m, mv, 16);
    ck_assert_uint_eq(k, 1);
    ck_assert_uint_eq(mv[0].kind, KV_MOVE_LOAD);
    kv_mgr_destroy(m);
}
END_TEST

START_TEST(write_through_copies_at_commit)
{
    kv_cfg_t c = base_cfg(4, 8, 100);
    c.write = kv_write_find("write-through");
    kv_mgr_t *m = make(&c);
    uint64_t a[] = {1, 2, 3};
    kv_access_t ca = ctx_of(1, 0);
    ck_assert_int_eq(kv_admit(m, 0, a, 3, 0, 0, &ca), KV_OK);
    kv_commit(m, 0, a, 0, 2, &ca);
    kv_move_t mv[16];
    size_t k = drain_all(m, mv, 16);
    ck_assert_uint_eq(k, 2);
    for (size_t i = 0; i < k; i++) {
        ck_assert_uint_eq(mv[i].kind, KV_MOVE_WRITE_THROUGH);
        ck_assert_uint_eq(mv[i].blocks, 2);
        ck_assert_uint_eq(mv[i].first_block, 1);
    }
    ck_assert(mv[0].dst_tier == KV_G2 && mv[1].dst_tier == KV_G4);
    ck_assert(kv_resident(m, KV_G2, 0, 2) && kv_resident(m, KV_G4, 0, 2) && !kv_resident(m, KV_G4, 0, 3));
    kv_commit(m, 0, a, 2, 3, &ca);
    kv_release(m, 0, a, 3, 0, &ca);
    drain_all(m, mv, 16);
    /* Eviction of clean blocks writes nothing. */
    uint64_t b[] = {5, 6, 7, 8};
    run_req(m, 0, b, 4, 2);
    k = drain_all(m, mv, 16);
    for (size_t i = 0; i < k; i++)
        ck_assert_uint_eq(mv[i].kind, KV_MOVE_WRITE_THROUGH);
    kv_mgr_destroy(m);
}
END_TEST

/* Selective: an evicted block goes down only if it was reused or its session is live. */
START_TEST(selective_keeps_likely_returns)
{
    kv_cfg_t c = base_cfg(2, 8, 0);
    c.write = kv_write_find("selective");
    c.n_instances = 1;
    kv_mgr_t *m = make(&c);
    uint64_t a[] = {1, 2};
    run_req(m, 0, a, 2, 1);
    run_req(m, 0, a, 2, 2); /* reused: hits > 0 */
    uint64_t b[] = {3};
    kv_access_t cb = {3, 3, 77, 0, NULL}; /* session 77 */
    ck_assert_int_eq(kv_admit(m, 0, b, 1, 0, 0, &cb), KV_OK);
    kv_commit(m, 0, b, 0, 1, &cb);
    kv_release(m, 0, b, 1, 0, &cb);
    uint64_t d[] = {4}; /* no session, never reused */
    run_req(m, 0, d, 1, 4);
    /* G1 holds {3, 4}; 1, 2 went down (reused). */
    ck_assert(kv_resident(m, KV_G2, 0, 1) && kv_resident(m, KV_G2, 0, 2));
    uint64_t e[] = {5, 6};
    run_req(m, 0, e, 2, 5); /* evicts 3 (live session: down) and 4 (dropped) */
    ck_assert(kv_resident(m, KV_G2, 0, 3));
    ck_assert(!kv_resident(m, KV_G2, 0, 4));
    /* After session 77 ends, its unreused blocks are dropped. */
    uint64_t f[] = {8};
    kv_access_t cf = {6, 6, 88, 0, NULL};
    ck_assert_int_eq(kv_admit(m, 0, f, 1, 0, 0, &cf), KV_OK);
    kv_commit(m, 0, f, 0, 1, &cf);
    kv_release(m, 0, f, 1, 0, &cf);
    kv_session_end(m, 88);
    uint64_t g[] = {9, 10};
    run_req(m, 0, g, 2, 7);
    ck_assert(!kv_resident(m, KV_G2, 0, 8));
    kv_mgr_destroy(m);
}
END_TEST

/* Cascade: a full G2 demotes to G4; promotion comes from the fastest holder. */
START_TEST(cascade_to_lowest_tier)
{
    kv_cfg_t c = base_cfg(1, 1, 10);
    c.n_instances = 1;
    kv_mgr_t *m = make(&c);
    for (uint64_t i = 1; i <= 4; i++)
        run_req(m, 0, &i, 1, i);
    /* G1 {4}, G2 {3}, G4 {1, 2} */
    ck_assert(kv_resident(m, KV_G1, 0, 4) && kv_resident(m, KV_G2, 0, 3));
    ck_assert(kv_resident(m, KV_G4, 0, 1) && kv_resident(m, KV_G4, 0, 2));
    uint64_t r[] = {1};
    uint8_t tiers[1];
    ck_assert_uint_eq(kv_lookup_tiers(m, 0, r, 1, tiers), 1);
    ck_assert_uint_eq(tiers[0], KV_G4);
    kv_mgr_destroy(m);
}
END_TEST

/* Lower-tier sources are protected while they are being promoted, even if the demotions needed to make
 * room in G1 would otherwise evict them from a full G2. */
START_TEST(promotion_sources_survive_cascade)
{
    kv_cfg_t c = base_cfg(2, 2, 0);
    c.n_instances = 1;
    kv_mgr_t *m = make(&c);
    uint64_t a[] = {1, 2}, b[] = {3, 4};
    run_req(m, 0, a, 2, 1);
    run_req(m, 0, b, 2, 2); /* G1 {3,4}, G2 {1,2} */
    ck_assert_uint_eq(run_req(m, 0, a, 2, 3), 2);
    ck_assert(kv_resident(m, KV_G1, 0, 1) && kv_resident(m, KV_G1, 0, 2));
    kv_mgr_destroy(m);
}
END_TEST

START_TEST(prestage_into_dram)
{
    kv_cfg_t c = base_cfg(1, 4, 10);
    c.n_instances = 1;
    kv_mgr_t *m = make(&c);
    for (uint64_t i = 1; i <= 6; i++)
        run_req(m, 0, &i, 1, i);
    /* G1 {6}, G2 {2..5}, G4 {1} */
    uint64_t want[] = {1};
    kv_move_t mv[8];
    drain_all(m, mv, 8);
    kv_access_t a = ctx_of(100, 10);
    ck_assert_uint_eq(kv_prestage(m, 0, want, 1, KV_G2, &a), 1);
    ck_assert(kv_resident(m, KV_G2, 0, 1));
    size_t k = drain_all(m, mv, 8);
    ck_assert_uint_eq(k, 2); /* making room in G2 demoted its LRU block to G4 first */
    ck_assert_uint_eq(mv[0].kind, KV_MOVE_DEMOTE);
    ck_assert_uint_eq(mv[0].first_block, 2);
    ck_assert_uint_eq(mv[1].kind, KV_MOVE_PRESTAGE);
    ck_assert_uint_eq(mv[1].src_tier, KV_G4);
    ck_assert_uint_eq(mv[1].dst_tier, KV_G2);
    /* Already in G2: nothing to stage. */
    ck_assert_uint_eq(kv_prestage(m, 0, want, 1, KV_G2, &a), 0);
    kv_mgr_destroy(m);
}
END_TEST

START_TEST(drain_in_pieces)
{
    kv_cfg_t c = base_cfg(1, 4, 10);
    c.write = kv_write_find("write-through");
    c.n_instances = 1;
    kv_mgr_t *m = make(&c);
    uint64_t a = 1;
    run_req(m, 0, &a, 1, 1);
    kv_move_t mv[1];
    ck_assert_uint_eq(kv_drain_moves(m, mv, 1), 1);
    ck_assert_uint_eq(mv[0].dst_tier, KV_G2);
    ck_assert_uint_eq(kv_drain_moves(m, mv, 1), 1);
    ck_assert_uint_eq(mv[0].dst_tier, KV_G4);
    ck_assert_uint_eq(kv_drain_moves(m, mv, 1), 0);
    kv_mgr_destroy(m);
}
END_TEST

/* The slot guess of the prefix scan (kv_store_find_after) finds exactly what the bucket walk finds: present
 * ids where they are, absent and freed ones nowhere, whatever slot it guesses from (fresh, recycled, the
 * last handed out, none). */
START_TEST(find_after_matches_find)
{
    enum { N = 500 };
    kv_store_t s;
    char err[256];
    ck_assert_int_eq(kv_store_init(&s, KV_G1, 0, N, false, kv_policy_find("lru"), NULL, 1, err, sizeof err), 0);
    uint64_t ids[N], x = 99;
    bool live[N];
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = x >> 1;
        kv_entry_t proto = {.id = ids[i], .parent = KV_NO_ID, .next_use = KV_NEVER};
        ck_assert_uint_eq(kv_store_add(&s, &proto), (uint32_t)i); /* fresh slots in order */
        live[i] = true;
    }
    for (int i = 0; i < N; i += 7) { /* free every 7th slot, then reuse some of them for new ids */
        kv_store_del(&s, (uint32_t)i);
        live[i] = false;
    }
    for (int i = 0; i < 20; i++) {
        kv_entry_t proto = {.id = ids[i] ^ 0x5555, .parent = KV_NO_ID, .next_use = KV_NEVER};
        uint32_t slot = kv_store_add(&s, &proto);
        ck_assert_uint_eq(kv_store_find(&s, proto.id), slot);
    }
    int guessed = 0;
    for (int i = 0; i < N; i++) {
        uint32_t want = kv_store_find(&s, ids[i]);
        ck_assert_uint_eq(want, live[i] ? (uint32_t)i : KV_NO_SLOT);
        uint32_t prevs[] = {KV_NO_SLOT, (uint32_t)i - 1, (uint32_t)i, (uint32_t)(i + 1), N - 1, (uint32_t)(x % N)};
        for (size_t k = 0; k < sizeof prevs / sizeof *prevs; k++) {
            ck_assert_uint_eq(kv_store_find_after(&s, ids[i], prevs[k]), want);
            guessed += prevs[k] + 1 == (uint32_t)i && live[i];
        }
        ck_assert_uint_eq(kv_store_find_after(&s, ids[i] ^ 1, (uint32_t)i - 1), kv_store_find(&s, ids[i] ^ 1));
    }
    ck_assert_int_gt(guessed, N / 2); /* the guess itself was exercised, not only the walk */
    kv_store_fini(&s);
}
END_TEST

/* The two priority queues of the score-ordered policies against a brute-force minimum: random sets (few
 * distinct keys, so that groups form, split and empty; increasing ties), removals and pops of the top, on
 * 300 slots. Both must name the slot of smallest (key, tie) after every operation. */
START_TEST(heaps_match_brute_force)
{
    enum { N = 300 };
    kv_store_t store;
    memset(&store, 0, sizeof store);
    store.nalloc = N;
    store.cap = N;
    kv_heap_t h;
    kv_gheap_t g;
    kv_heap_init(&h, &store);
    kv_gheap_init(&g, &store);
    double key[N];
    uint64_t tie[N];
    int in[N] = {0};
    uint64_t seq = 0, x = 12345;
    for (int op = 0; op < 30000; op++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t r = (uint32_t)(x >> 33), slot = r % N;
        int what = (r >> 12) % 8;
        if (what < 5) {
            key[slot] = (double)((r >> 16) % 7) - (what == 4 ? 0.0 : 2.5 * ((r >> 20) % 2));
            tie[slot] = ++seq;
            in[slot] = 1;
            kv_heap_set(&h, slot, key[slot], tie[slot]);
            kv_gheap_set(&g, slot, key[slot], tie[slot]);
        } else if (what < 7) {
            in[slot] = 0;
            kv_heap_remove(&h, slot);
            kv_gheap_remove(&g, slot);
        } else if (kv_heap_top(&h) != KV_NO_SLOT) {
            uint32_t t = kv_heap_top(&h);
            in[t] = 0;
            kv_heap_remove(&h, t);
            kv_gheap_remove(&g, t);
        }
        uint32_t best = KV_NO_SLOT;
        for (uint32_t k = 0; k < N; k++)
            if (in[k] && (best == KV_NO_SLOT || key[k] < key[best] || (key[k] == key[best] && tie[k] < tie[best])))
                best = k;
        ck_assert_uint_eq(kv_heap_top(&h), best);
        ck_assert_uint_eq(kv_gheap_top(&g), best);
        ck_assert_int_eq(kv_gheap_contains(&g, slot), in[slot]);
        if (best != KV_NO_SLOT)
            ck_assert(kv_gheap_top_key(&g) == key[best] && kv_heap_top_key(&h) == key[best]);
    }
    kv_heap_fini(&h);
    kv_gheap_fini(&g);
}
END_TEST

static Suite *kv_suite(void)
{
    Suite *s = suite_create("kv");
    TCase *tc = tcase_create("manager");
    tcase_add_test(tc, tier_names);
    tcase_add_test(tc, rejects_bad_configs);
    tcase_add_test(tc, validate_names_valid_policies);
    tcase_add_test(tc, lru_textbook);
    tcase_add_test(tc, lookup_stops_at_first_miss);
    tcase_add_test(tc, pinned_never_evicted_and_enospace);
    tcase_add_test(tc, release_frees_uncommitted_and_extra);
    tcase_add_test(tc, writeback_demotes_and_promotes_inclusive);
    tcase_add_test(tc, exclusive_tier_moves_up);
    tcase_add_test(tc, clean_copy_not_written_twice);
    tcase_add_test(tc, write_through_copies_at_commit);
    tcase_add_test(tc, selective_keeps_likely_returns);
    tcase_add_test(tc, cascade_to_lowest_tier);
    tcase_add_test(tc, promotion_sources_survive_cascade);
    tcase_add_test(tc, prestage_into_dram);
    tcase_add_test(tc, drain_in_pieces);
    tcase_add_test(tc, heaps_match_brute_force);
    tcase_add_test(tc, find_after_matches_find);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(kv_suite());
}
