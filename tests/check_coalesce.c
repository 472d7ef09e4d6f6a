/* Coalesced background moves (kv.writeback_coalesce_ms, sim/core/xfer.h): on a scenario that writes every
 * committed block through to DRAM, joining the moves of one link pair per flush interval must cut the flows
 * and keep the write-back links' utilisation over time what one flow per move gives; a flush interval far
 * longer than the sampling (2 s) shifts it, and the same comparison must see that. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "testutil.h"

#define CO_ROWS 65536
/* Utilisation compared over windows of this many 0.5 s samples. */
#define CO_WINDOW 4

typedef struct co_run {
    cJSON *summary;
    double *wb; /* write-back bytes per sample interval */
    size_t rows;
} co_run_t;

static co_run_t co_run(const char *coalesce_ms)
{
    const char *out = tu_scratch_dir("coalesce");
    char set[64];
    snprintf(set, sizeof set, "kv.writeback_coalesce_ms=%s", coalesce_ms);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/writeback-burst.json"), "--out", out, "--quiet",
                           "--set", set, (char *)NULL);
    ck_assert_msg(rc == 0, "kvtwin run (%s) failed (%d): %s", set, rc, err);
    free(err);
    co_run_t r;
    r.summary = tu_read_summary(out);
    r.wb = calloc(CO_ROWS, sizeof *r.wb);
    r.rows = tu_h5_column(out, "timeseries", "writeback_bytes", r.wb, CO_ROWS);
    ck_assert_uint_gt(r.rows, 10);
    return r;
}

static void co_free(co_run_t *r)
{
    cJSON_Delete(r->summary);
    free(r->wb);
}

/* Share of the write-back bytes that sit in a different window than in the reference: half the L1 distance
 * of the two per-window utilisation series over the reference's total (0 = the same utilisation over time). */
static double co_shift(const co_run_t *ref, const co_run_t *r, double *peak_ratio)
{
    size_t rows = ref->rows > r->rows ? ref->rows : r->rows;
    double dist = 0, total = 0, peak_ref = 0, peak = 0;
    for (size_t w = 0; w < rows; w += CO_WINDOW) {
        double a = 0, b = 0;
        for (size_t i = w; i < w + CO_WINDOW && i < rows; i++) {
            a += i < ref->rows ? ref->wb[i] : 0;
            b += i < r->rows ? r->wb[i] : 0;
        }
        dist += fabs(a - b);
        total += a;
        peak_ref = fmax(peak_ref, a);
        peak = fmax(peak, b);
    }
    *peak_ratio = peak / peak_ref;
    return dist / 2 / total;
}

START_TEST(coalesced_writebacks_keep_link_utilisation)
{
    co_run_t off = co_run("0"), on = co_run("20"), slow = co_run("2000");
    double moved_off = tu_num(off.summary, "transfers", "writeback_bytes", NULL);
    ck_assert_msg(moved_off > 1e10, "the scenario wrote back only %g bytes", moved_off);
    /* Off, the summary says nothing of flows; on, it counts them and the moves that joined one. */
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(off.summary, "transfers"),
                                                        "coalesced_moves"));
    double flows = tu_num(on.summary, "transfers", "flows", NULL);
    double joined = tu_num(on.summary, "transfers", "coalesced_moves", NULL);
    ck_assert_msg(joined >= 0.2 * (flows + joined), "only %g of %g moves joined another", joined, flows + joined);
    /* The same bytes moved, whichever way. */
    for (int k = 0; k < 2; k++) {
        const co_run_t *r = k ? &slow : &on;
        double moved = tu_num(r->summary, "transfers", "writeback_bytes", NULL);
        ck_assert_msg(fabs(moved - moved_off) <= 1e-9 * moved_off, "wrote back %.17g bytes, %.17g uncoalesced", moved,
                      moved_off);
    }
    double peak_on, peak_slow;
    double shift_on = co_shift(&off, &on, &peak_on), shift_slow = co_shift(&off, &slow, &peak_slow);
    fprintf(stderr, "coalesce: %g flows, %g joined; utilisation shift 20 ms %.4f (peak x%.3f), 2000 ms %.4f (x%.3f)\n",
            flows, joined, shift_on, peak_on, shift_slow, peak_slow);
    ck_assert_msg(shift_on <= 0.02 && fabs(peak_on - 1) <= 0.05,
                  "20 ms coalescing moved %.1f %% of the write-back bytes to other 2 s windows (peak x%.3f)",
                  100 * shift_on, peak_on);
    ck_assert_msg(shift_slow > 0.02 || fabs(peak_slow - 1) > 0.05,
                  "a 2 s flush interval left the utilisation unchanged (%.4f): the comparison sees nothing",
                  shift_slow);
    co_free(&off);
    co_free(&on);
    co_free(&slow);
}
END_TEST

/* A bad value is refused with the key's path. */
START_TEST(coalesce_key_checked)
{
    char *err = NULL;
    const char *out = tu_scratch_dir("coalesce-bad");
    int rc = tu_run_kvtwin(NULL, &err, "run", tu_fixture("scenarios/writeback-burst.json"), "--out", out, "--quiet",
                           "--set", "kv.writeback_coalesce_ms=-1", (char *)NULL);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(err && strstr(err, "kv.writeback_coalesce_ms"), "got %s", err ? err : "(nothing)");
    free(err);
}
END_TEST

static Suite *coalesce_suite(void)
{
    Suite *s = suite_create("coalesce");
    TCase *tc = tcase_create("coalesce");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, coalesced_writebacks_keep_link_utilisation);
    tcase_add_test(tc, coalesce_key_checked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(coalesce_suite());
}
