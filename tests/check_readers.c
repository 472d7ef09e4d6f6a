/* Trace readers on the project's own small fixtures (every field checked against hand-computed values) and
 * on the real traces in ../shared/traces (counts). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "workloads/blockid.h"
#include "workloads/reader.h"
#include "workloads/source.h"

typedef struct rec {
    wl_request_t r;
    wl_sess_info_t i;
} rec_t;

/* Reads a whole input into recs (at most max); returns the count. */
static size_t read_all(const char *path, int format, rec_t *recs, size_t max)
{
    wl_stream_opts_t o = {0};
    o.format = format;
    o.reader.default_block_tokens = 64;
    o.reader.bucket_s = 3;
    wl_stream_t *s;
    char err[512];
    ck_assert_msg(wl_stream_open(&s, path, &o, err, sizeof err) == 0, "%s", err);
    size_t n = 0;
    wl_request_t r = {0};
    wl_sess_info_t info;
    int rc;
    while ((rc = wl_stream_next(s, &r, &info, err, sizeof err)) == WL_REC_OK) {
        if (n < max) {
            memset(&recs[n].r, 0, sizeof recs[n].r);
            ck_assert_int_eq(wl_request_copy(&recs[n].r, &r), 0);
            recs[n].i = info;
        }
        n++;
    }
    ck_assert_msg(rc == WL_REC_EOF, "read: %s", err);
    wl_request_free(&r);
    wl_stream_close(s);
    return n;
}

static void free_recs(rec_t *recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        wl_request_free(&recs[i].r);
}

START_TEST(detects_formats)
{
    char err[256];
    ck_assert_str_eq(wl_reader_detect(tu_fixture("workloads/mooncake_small.jsonl"), err, sizeof err)->name, "mooncake");
    ck_assert_str_eq(wl_reader_detect(tu_fixture("workloads/kvtester_small.json"), err, sizeof err)->name, "kvtester");
    ck_assert_str_eq(wl_reader_detect(tu_fixture("workloads/azure_small.csv"), err, sizeof err)->name, "azure");
    ck_assert_str_eq(wl_reader_detect(tu_fixture("workloads/two_sessions.jsonl"), err, sizeof err)->name, "native");
    ck_assert_str_eq(wl_reader_detect(tu_shared("traces/kv-cache-tester"), err, sizeof err)->name, "kvtester");
    ck_assert_str_eq(wl_reader_detect(tu_shared("traces/mooncake/conversation_trace.jsonl"), err, sizeof err)->name,
                     "mooncake");
    ck_assert_str_eq(
        wl_reader_detect(tu_shared("traces/azure2023/AzureLLMInferenceTrace_code.csv"), err, sizeof err)->name,
        "azure");
    const char *dir = tu_scratch_dir("detect");
    const char *p = tu_write_file(dir, "x.txt", "hello\n");
    ck_assert_ptr_null(wl_reader_detect(p, err, sizeof err));
    ck_assert_msg(strstr(err, "x.txt:1: unknown trace format") != NULL, "%s", err);
    /* Every registered reader has a name, a description and all operations. */
    int n = 0;
    for (const wl_reader_ops_t *const *r = wl_readers; *r; r++, n++) {
        ck_assert((*r)->name && (*r)->description && (*r)->probe && (*r)->open && (*r)->next && (*r)->close &&
                  (*r)->backwards);
        ck_assert_ptr_eq(wl_reader_by_name((*r)->name), *r);
        /* The registry line's name is the reader's own: workload.format takes it. */
        int f = wl_format_find((*r)->name);
        ck_assert_int_eq(f, n + 1);
        ck_assert_ptr_eq(wl_reader_by_format(f), *r);
    }
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(wl_format_find("auto"), WL_FMT_AUTO);
    ck_assert_int_eq(wl_format_find("synthetic"), wl_format_synthetic);
    ck_assert_int_eq(wl_format_synthetic, n + 1);
    ck_assert_int_eq(wl_format_find("nope"), -1);
}
END_TEST

START_TEST(kvtester_fixture)
{
    rec_t v[16];
    size_t n = read_all(tu_fixture("workloads/kvtester_small.json"), WL_FMT_AUTO, v, 16);
    ck_assert_uint_eq(n, 7);
    /* File order: main 0, main 1, its two sub-agents (all their turns), main 2, main 3. */
    const uint64_t sess[] = {0, 0, 1, 1, 2, 0, 0};
    const uint32_t turn[] = {0, 1, 0, 1, 0, 2, 3};
    const double arr[] = {0, 3, 4.5, 6.5, 4.5, 14, 30};
    const double delay[] = {0, 2, 0.5, 1, 0.5, 5.5, 14};
    const double tool[] = {0, 2, 0.5, 1, 0.5, 5.5, 0};
    const double think_rec[] = {0, 2, 0, 1, 0, 10, 14};
    const double api[] = {1, 1, 1, 2, 3, 2, -1};
    for (size_t i = 0; i < n; i++) {
        const wl_request_t *r = &v[i].r;
        const wl_sess_info_t *in = &v[i].i;
        ck_assert_uint_eq(r->session_id, sess[i]);
        ck_assert_uint_eq(r->turn, turn[i]);
        ck_assert_uint_eq(r->depth, sess[i] ? 1 : 0);
        ck_assert_double_eq_tol(r->arrival_s, arr[i], 1e-9);
        ck_assert_double_eq_tol(r->think_s, delay[i], 1e-9);
        ck_assert_double_eq_tol(in->tool_s, tool[i], 1e-9);
        ck_assert_double_eq_tol(in->think_rec_s, think_rec[i], 1e-9);
        ck_assert_double_eq_tol(r->recorded_api_s, api[i], 1e-9);
        ck_assert_uint_eq(r->block_tokens, 4);
        ck_assert_uint_eq(in->parent_session, sess[i] ? 0 : WL_NO_SESSION);
        if (sess[i])
            ck_assert_uint_eq(in->parent_turn, 1);
        ck_assert_uint_eq(in->shared_prefix_tokens, sess[i] == 0 ? 8u : sess[i] == 1 ? 4u : 0u);
    }
    ck_assert_uint_eq(v[1].i.fork, 2);
    ck_assert_uint_eq(v[0].i.fork, 0);
    ck_assert(!v[5].i.last && v[6].i.last && v[3].i.last && v[4].i.last && !v[2].i.last);
    /* Local ids are namespaced per conversation (index 0 -> namespace 1). */
    ck_assert_uint_eq(v[1].r.n_blocks, 4);
    ck_assert_uint_eq(v[1].r.block_ids[3], wl_ns_id(1, 4));
    ck_assert_uint_eq(v[2].r.block_ids[0], wl_ns_id(1, 20));
    ck_assert_uint_eq(v[6].r.input_tokens, 24);
    ck_assert_uint_eq(v[6].r.output_tokens, 3);
    free_recs(v, n < 16 ? n : 16);
}
END_TEST

START_TEST(kvtester_real_directory)
{
    wl_stream_opts_t o = {0};
    o.format = WL_FMT_AUTO;
    wl_stream_t *s;
    char err[512];
    ck_assert_msg(wl_stream_open(&s, tu_shared("traces/kv-cache-tester"), &o, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(wl_stream_files(s), 92);
    wl_request_t r = {0};
    wl_sess_info_t info;
    uint64_t main_n = 0, sub_n = 0, sub_agents = 0, forks = 0, sub_announced = 0, sessions = 0;
    uint64_t prev_conv = UINT64_MAX;
    int rc;
    while ((rc = wl_stream_next(s, &r, &info, err, sizeof err)) == WL_REC_OK) {
        uint64_t conv = r.session_id >> 20;
        if (conv != prev_conv) {
            ck_assert_uint_eq(conv, prev_conv == UINT64_MAX ? 0 : prev_conv + 1);
            prev_conv = conv;
        }
        if (r.depth == 0) {
            main_n++;
            sessions += r.turn == 0;
            ck_assert_uint_eq(info.parent_session, WL_NO_SESSION);
        } else {
            sub_n++;
            sub_agents += r.turn == 0;
            ck_assert_uint_eq(info.parent_session, conv << 20);
        }
        forks += info.fork > 0;
        sub_announced += info.fork;
        /* Ids carry the conversation's namespace. */
        if (r.n_blocks)
            ck_assert_uint_eq(r.block_ids[0] >> WL_NS_SHIFT, conv + 1);
        ck_assert(r.think_s >= 0 && r.arrival_s >= 0);
    }
    ck_assert_msg(rc == WL_REC_EOF, "%s", err);
    ck_assert_uint_eq(main_n, 6614);
    ck_assert_uint_eq(sub_n, 219);
    ck_assert_uint_eq(sub_agents, 17);
    ck_assert_uint_eq(sub_announced, 17);
    ck_assert_uint_eq(forks, 8);
    ck_assert_uint_eq(sessions, 92);
    wl_request_free(&r);
    wl_stream_close(s);
}
END_TEST

START_TEST(azure_fixture_and_real)
{
    rec_t v[4];
    size_t n = read_all(tu_fixture("workloads/azure_small.csv"), WL_FMT_AUTO, v, 4);
    ck_assert_uint_eq(n, 3);
    const double arr[] = {0, 0.5, 2.75};
    const uint32_t nb[] = {2, 1, 1}, out[] = {10, 0, 5};
    uint64_t seen[4];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert_double_eq_tol(v[i].r.arrival_s, arr[i], 1e-9);
        ck_assert_uint_eq(v[i].r.n_blocks, nb[i]);
        ck_assert_uint_eq(v[i].r.output_tokens, out[i]);
        ck_assert_uint_eq(v[i].r.session_id, WL_NO_SESSION);
        for (uint32_t b = 0; b < v[i].r.n_blocks; b++) {
            ck_assert_uint_eq(v[i].r.block_ids[b] >> WL_NS_SHIFT, WL_NS_UNIQUE);
            for (size_t q = 0; q < k; q++)
                ck_assert(seen[q] != v[i].r.block_ids[b]);
            seen[k++] = v[i].r.block_ids[b];
        }
    }
    free_recs(v, n);
    ck_assert_uint_eq(
        read_all(tu_shared("traces/azure2023/AzureLLMInferenceTrace_conv.csv"), wl_format_find("azure"), NULL, 0),
        19366);
    ck_assert_uint_eq(read_all(tu_shared("traces/azure2023/AzureLLMInferenceTrace_code.csv"), WL_FMT_AUTO, NULL, 0),
                      8819);
}
END_TEST

START_TEST(native_fixture)
{
    rec_t v[12];
    size_t n = read_all(tu_fixture("workloads/two_sessions.jsonl"), WL_FMT_AUTO, v, 12);
    ck_assert_uint_eq(n, 8);
    const uint64_t sess[] = {1, 2, 1, 3, 4, 4, 2, 1};
    const double arr[] = {0, 1, 6, 8.5, 8.5, 11.5, 12, 14.5};
    const double delay[] = {0, 0, 4, 0.5, 0.5, 2, 10, 2};
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(v[i].r.session_id, sess[i]);
        ck_assert_double_eq_tol(v[i].r.arrival_s, arr[i], 1e-9);
        ck_assert_double_eq_tol(v[i].r.think_s, delay[i], 1e-9);
        ck_assert_uint_eq(v[i].r.block_tokens, 16);
        ck_assert_uint_eq(v[i].r.depth, sess[i] >= 3 ? 1 : 0);
    }
    ck_assert_uint_eq(v[2].i.fork, 2);
    ck_assert_double_eq_tol(v[2].i.tool_s, 1, 1e-12);
    ck_assert_uint_eq(v[3].i.parent_session, 1);
    ck_assert_uint_eq(v[3].i.parent_turn, 1);
    ck_assert(v[3].i.last && !v[4].i.last && v[5].i.last && v[7].i.last);
    ck_assert_uint_eq(v[0].i.shared_prefix_tokens, 32);
    ck_assert_uint_eq(v[2].i.shared_prefix_tokens, 32);
    /* The think time recorded after the fork spans the sub-agents: 14.5 - (6 + 2). */
    ck_assert_double_eq_tol(v[7].i.think_rec_s, 6.5, 1e-9);
    /* Prefix runs: "system" is shared by both sessions; a session's own stream grows. */
    ck_assert_uint_eq(v[0].r.n_blocks, 7); /* ceil(100 / 16) */
    ck_assert_uint_eq(v[1].r.block_ids[0], v[0].r.block_ids[0]);
    ck_assert_uint_eq(v[1].r.block_ids[1], v[0].r.block_ids[1]);
    ck_assert(v[1].r.block_ids[2] != v[0].r.block_ids[2]);
    for (int b = 0; b < 6; b++) /* the 6 full blocks of turn 0 reappear in turn 1 */
        ck_assert_uint_eq(v[2].r.block_ids[b], v[0].r.block_ids[b]);
    ck_assert(v[2].r.block_ids[6] != v[0].r.block_ids[6]); /* the partial block grew */
    ck_assert_uint_eq(v[3].r.block_ids[2], 902);
    ck_assert_uint_eq(v[5].r.n_blocks, 4);
    free_recs(v, n);
}
END_TEST

START_TEST(warm_prefix_shares_system_blocks)
{
    wl_config_t c;
    wl_config_defaults(&c);
    c.replay = WL_OPEN_LOOP;
    c.warm_shared_prefix = true;
    snprintf(c.path, sizeof c.path, "%s", tu_fixture("workloads/kvtester_small.json"));
    wl_source_t *s;
    char err[256];
    ck_assert_msg(wl_source_open(&s, &c, err, sizeof err) == 0, "%s", err);
    wl_request_t r = {0};
    int n = 0;
    double prev = 0;
    while (wl_source_next(s, &r, err, sizeof err) == 1) {
        ck_assert(r.arrival_s >= prev); /* merged by recorded time */
        prev = r.arrival_s;
        if (r.depth == 0) { /* 8 shared tokens = 2 full blocks */
            ck_assert_uint_eq(r.block_ids[0], wl_ns_id(WL_NS_WARM, 0));
            ck_assert_uint_eq(r.block_ids[1], wl_ns_id(WL_NS_WARM, 1));
            ck_assert_uint_eq(r.block_ids[2], wl_ns_id(1, 3));
        } else if (r.session_id == 1) { /* 4 shared tokens = 1 block, in the sub-agents' class */
            ck_assert_uint_eq(r.block_ids[0], wl_ns_id(WL_NS_WARM, (UINT64_C(1) << 32) | 0));
            ck_assert_uint_eq(r.block_ids[1], wl_ns_id(1, 21));
        }
        n++;
    }
    ck_assert_int_eq(n, 7);
    ck_assert_double_eq_tol(prev, 30, 1e-9);
    wl_request_free(&r);
    wl_source_close(s);
}
END_TEST

/* Lines longer than the read buffer, CRLF endings and blank lines. */
START_TEST(long_lines_and_crlf)
{
    const char *dir = tu_scratch_dir("long");
    size_t n_ids = 70000; /* ~460 KB: longer than the 256 KiB chunk */
    size_t cap = n_ids * 8 + 256;
    char *text = malloc(cap);
    size_t len = (size_t)snprintf(
        text, cap, "{\"timestamp\": 0, \"input_length\": %zu, \"output_length\": 1, \"hash_ids\": [", n_ids * 512);
    for (size_t i = 0; i < n_ids; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s%zu", i ? ", " : "", i);
    len += (size_t)snprintf(text + len, cap - len,
                            "]}\r\n\r\n{\"timestamp\": 1, \"input_length\": 5, \"output_length\": 1, "
                            "\"hash_ids\": [7]}\r\n");
    const char *p = tu_write_file(dir, "long.jsonl", text);
    free(text);
    rec_t v[2];
    ck_assert_uint_eq(read_all(p, wl_format_find("mooncake"), v, 2), 2);
    ck_assert_uint_eq(v[0].r.n_blocks, n_ids);
    ck_assert_uint_eq(v[0].r.block_ids[n_ids - 1], n_ids - 1);
    ck_assert_uint_eq(v[1].r.block_ids[0], 7);
    ck_assert_uint_eq(v[1].i.line, 3);
    free_recs(v, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("readers");
    TCase *tc = tcase_create("readers");
    tcase_add_test(tc, detects_formats);
    tcase_add_test(tc, kvtester_fixture);
    tcase_add_test(tc, kvtester_real_directory);
    tcase_add_test(tc, azure_fixture_and_real);
    tcase_add_test(tc, native_fixture);
    tcase_add_test(tc, warm_prefix_shares_system_blocks);
    tcase_add_test(tc, long_lines_and_crlf);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
