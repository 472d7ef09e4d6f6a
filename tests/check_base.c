/* The base layer: the u64 map against a plain array under churn (every key allowed, UINT64_MAX included),
 * its iteration, the vector's quantiles against hand-computed values, and the allocation wrappers' growth. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "sim/base/alloc.h"
#include "sim/base/ci.h"
#include "sim/base/dvec.h"
#include "sim/base/mix.h"
#include "sim/base/u64map.h"
#include "testutil.h"

START_TEST(u64map_matches_reference)
{
    enum { N = 4000 };
    static uint64_t keys[N];
    static uint64_t vals[N];
    static int present[N];
    u64map_t m;
    u64map_init(&m);
    uint64_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        keys[i] = (i % 3 == 0) ? (uint64_t)i : x; /* dense and scattered keys */
    }
    keys[1] = UINT64_MAX; /* the empty-slot marker is a key like any other */
    for (int round = 0; round < 20000; round++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int k = (int)((x >> 33) % N);
        if ((x >> 20) & 1) {
            vals[k] = x;
            ck_assert(u64map_put(&m, keys[k], x) == !present[k]);
            present[k] = 1;
        } else {
            ck_assert(u64map_del(&m, keys[k]) == (present[k] != 0));
            present[k] = 0;
        }
    }
    size_t count = 0;
    for (int i = 0; i < N; i++) {
        uint64_t v = 0;
        bool in = u64map_get(&m, keys[i], &v);
        ck_assert(in == (present[i] != 0));
        if (in)
            ck_assert_uint_eq(v, vals[i]);
        count += present[i] != 0;
    }
    ck_assert_uint_eq(m.n, count);
    size_t pos = 0, seen = 0;
    uint64_t key, val;
    while (u64map_next(&m, &pos, &key, &val)) {
        uint64_t v;
        ck_assert(u64map_get(&m, key, &v) && v == val);
        seen++;
    }
    ck_assert_uint_eq(seen, count);
    ck_assert_uint_gt(u64map_mem_bytes(&m), 0);
    u64map_free(&m);
    ck_assert(!u64map_get(&m, 7, NULL));
}
END_TEST

START_TEST(u64map_pointers)
{
    u64map_t m;
    u64map_init(&m);
    int a, b;
    ck_assert(u64map_put_ptr(&m, 5, &a));
    ck_assert(!u64map_put_ptr(&m, 5, &b));
    ck_assert_ptr_eq(u64map_get_ptr(&m, 5), &b);
    ck_assert_ptr_null(u64map_get_ptr(&m, 6));
    u64map_free(&m);
}
END_TEST

START_TEST(dvec_statistics)
{
    dvec_t d = {0};
    ck_assert(isnan(dvec_mean(&d)));
    ck_assert(isnan(dvec_quantile(&d, 0.5)));
    for (int i = 10; i >= 1; i--)
        dvec_push(&d, i);
    ck_assert_double_eq_tol(dvec_mean(&d), 5.5, 1e-12);
    static const double qs[] = {0, 0.5, 0.9, 1};
    double q[4];
    dvec_quantiles(&d, qs, 4, q);
    ck_assert_double_eq_tol(q[0], 1, 1e-12);
    ck_assert_double_eq_tol(q[1], 5.5, 1e-12); /* between the 5th and 6th order statistics */
    ck_assert_double_eq_tol(q[2], 9.1, 1e-12); /* 1 + 0.9 x 9 */
    ck_assert_double_eq_tol(q[3], 10, 1e-12);
    ck_assert_double_eq(d.v[0], 10); /* dvec_quantiles leaves d as it was */
    dvec_t e = {0};
    dvec_append(&e, &d);
    dvec_append(&e, &d);
    ck_assert_uint_eq(e.n, 20);
    ck_assert_double_eq_tol(dvec_quantile(&e, 0.5), 5.5, 1e-12);
    dvec_free(&d);
    dvec_free(&e);
}
END_TEST

START_TEST(grow_doubles_and_keeps_contents)
{
    uint32_t *v = NULL;
    size_t cap = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        kvt_grow(&v, &cap, i + 1, sizeof *v, 16);
        ck_assert_uint_ge(cap, i + 1);
        v[i] = i;
    }
    for (uint32_t i = 0; i < 1000; i++)
        ck_assert_uint_eq(v[i], i);
    ck_assert_uint_eq(cap, 1024);
    free(v);
    char *s = kvt_strdup("kvtwin");
    ck_assert_str_eq(s, "kvtwin");
    free(s);
}
END_TEST

/* A request the address space cannot hold ends the process with the one out-of-memory line, exit 1. */
START_TEST(overflowing_allocation_exits_1)
{
    (void)kvt_realloc(NULL, SIZE_MAX / 2, 4);
}
END_TEST

START_TEST(splitmix_is_the_finaliser_after_the_increment)
{
    ck_assert_uint_eq(kvt_splitmix64(0), kvt_mix64(0x9e3779b97f4a7c15ull));
    ck_assert_uint_ne(kvt_splitmix64(0), 0);
    ck_assert_uint_eq(kvt_mix64(0), 0);
}
END_TEST

/* Textbook: 10, 12, 14 has mean 12, sd 2, t(0.975, 2) = 4.302653: half-width 4.302653 * 2 / sqrt(3). NaNs
 * are skipped; one sample has no interval. */
START_TEST(t_interval_textbook)
{
    const double x[] = {10, NAN, 12, 14};
    kvt_ci_t c = kvt_ci_t_interval(x, 4, 0.95);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_double_eq_tol(c.mean, 12, 1e-12);
    ck_assert_double_eq_tol(c.sd, 2, 1e-12);
    ck_assert_double_eq_tol(c.half, 4.302653 * 2 / sqrt(3), 1e-5);
    kvt_ci_t one = kvt_ci_t_interval(x, 1, 0.95);
    ck_assert(one.n == 1 && one.mean == 10 && isnan(one.half));
    /* Many samples: t tends to the normal 1.96. */
    double y[1000];
    for (int i = 0; i < 1000; i++)
        y[i] = i % 2 ? 1 : -1;
    kvt_ci_t c2 = kvt_ci_t_interval(y, 1000, 0.95);
    ck_assert_double_eq_tol(c2.half, 1.9623 * c2.sd / sqrt(1000), 1e-4);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("base");
    TCase *tc = tcase_create("base");
    tcase_add_test(tc, u64map_matches_reference);
    tcase_add_test(tc, u64map_pointers);
    tcase_add_test(tc, dvec_statistics);
    tcase_add_test(tc, grow_doubles_and_keeps_contents);
    tcase_add_exit_test(tc, overflowing_allocation_exits_1, 1);
    tcase_add_test(tc, splitmix_is_the_finaliser_after_the_increment);
    tcase_add_test(tc, t_interval_textbook);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
