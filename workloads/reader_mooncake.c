/* Reader of Mooncake request logs (JSON Lines): {"timestamp": ms, "input_length": tokens,
 * "output_length": tokens, "hash_ids": [ids of 512-token prefix-chained blocks]}; other keys are ignored.
 *
 * The released traces quantise timestamps to ~3 s buckets (observed: every distinct value is a multiple of
 * 3000 ms, give or take 1 ms). Requests sharing one timestamp are spread evenly over
 * [t, t + w) with w = min(bucket_s, next distinct timestamp - t): deterministic, order-preserving, and
 * never past the next bucket. This needs the whole bucket read ahead, so a small queue of parsed
 * requests is kept (one bucket plus one record). Ids are used as given (namespace 0). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/jsonscan.h"
#include "workloads/lineio.h"
#include "workloads/reader.h"
#include "workloads/source.h"

#define MC_BLOCK_TOKENS 512u

typedef struct mc_item {
    wl_request_t req;
    double ts_s; /* timestamp as read */
    int status;  /* WL_REC_OK or WL_REC_BAD */
    uint64_t line;
    char msg[320];
} mc_item_t;

typedef struct mc_state {
    wl_lines_t *lines;
    wl_reader_opts_t o;
    mc_item_t *q; /* ring of parsed items */
    size_t cap, head, count;
    size_t ready; /* items at the head whose arrival is final */
    bool eof;
    bool have_prev;
    double prev_ts_s; /* timestamp of the last bucket, for the backwards check */
    uint64_t backwards;
} mc_state_t;

static int mc_probe(const char *path, const char *first)
{
    int score = 0;
    if (first && first[0] == '{' && strstr(first, "\"hash_ids\"") &&
        (strstr(first, "\"input_length\"") || strstr(first, "\"timestamp\"")))
        score = 90;
    if (score && strstr(path, "mooncake"))
        score = 95;
    return score;
}

static int mc_open(void **state, const char *path, const wl_reader_opts_t *o, char *err, size_t errlen)
{
    mc_state_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (wl_lines_open(&s->lines, path, err, errlen)) {
        free(s);
        return -1;
    }
    s->o = *o;
    *state = s;
    return 0;
}

static void mc_close(void *state)
{
    mc_state_t *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++)
        wl_request_free(&s->q[i].req);
    free(s->q);
    wl_lines_close(s->lines);
    free(s);
}

static uint64_t mc_backwards(void *state)
{
    return ((mc_state_t *)state)->backwards;
}

#define MC_EXPECTED                                                                                                    \
    "expected a Mooncake record {\"timestamp\": ms, \"input_length\": n, \"output_length\": n, \"hash_ids\": [...]}"

/* Parses one line into it; returns WL_REC_OK or WL_REC_BAD (message in it->msg). */
static int mc_parse(mc_state_t *s, char *line, size_t len, mc_item_t *it)
{
    const char *path = wl_lines_path(s->lines);
    unsigned long long ln = (unsigned long long)wl_lines_lineno(s->lines);
    wl_request_t *r = &it->req;
    wl_js_t j;
    wl_js_init(&j, line, len);
    bool first = true, have_ts = false, have_in = false, have_out = false, have_ids = false;
    const char *key;
    size_t kl;
    int rc;
    r->n_blocks = 0;
    if (wl_js_object_begin(&j))
        goto syntax;
    while ((rc = wl_js_object_next(&j, &first, &key, &kl)) == 1) {
        if (WL_JS_KEY(key, kl, "hash_ids")) {
            bool f2 = true;
            if (wl_js_array_begin(&j))
                goto syntax;
            while ((rc = wl_js_array_next(&j, &f2)) == 1) {
                uint64_t id;
                if (wl_js_uint(&j, &id, "a block id"))
                    goto syntax;
                if (r->n_blocks == r->blocks_cap && wl_request_reserve(r, r->n_blocks + 1)) {
                    snprintf(it->msg, sizeof it->msg, "%s:%llu: out of memory", path, ln);
                    return WL_REC_BAD;
                }
                r->block_ids[r->n_blocks++] = id;
            }
            if (rc < 0)
                goto syntax;
            have_ids = true;
        } else if (WL_JS_KEY(key, kl, "timestamp")) {
            if (wl_js_number(&j, &it->ts_s, "timestamp"))
                goto syntax;
            if (!(it->ts_s >= 0) || !isfinite(it->ts_s)) {
                snprintf(it->msg, sizeof it->msg, "%s:%llu: timestamp %g; expected milliseconds >= 0", path, ln,
                         it->ts_s);
                return WL_REC_BAD;
            }
            it->ts_s /= 1000.0;
            have_ts = true;
        } else if (WL_JS_KEY(key, kl, "input_length") || WL_JS_KEY(key, kl, "output_length")) {
            bool in = key[0] == 'i';
            uint64_t v;
            if (wl_js_uint(&j, &v, in ? "input_length" : "output_length"))
                goto syntax;
            if (v > UINT32_MAX) {
                snprintf(it->msg, sizeof it->msg, "%s:%llu: %s %llu; expected at most %u tokens", path, ln,
                         in ? "input_length" : "output_length", (unsigned long long)v, UINT32_MAX);
                return WL_REC_BAD;
            }
            if (in) {
                r->input_tokens = (uint32_t)v;
                have_in = true;
            } else {
                r->output_tokens = (uint32_t)v;
                have_out = true;
            }
        } else if (wl_js_skip(&j)) {
            goto syntax;
        }
    }
    if (rc < 0 || wl_js_finish(&j))
        goto syntax;
    if (!have_ts || !have_in || !have_out || !have_ids) {
        snprintf(it->msg, sizeof it->msg, "%s:%llu: missing \"%s\"; " MC_EXPECTED, path, ln,
                 !have_ts    ? "timestamp"
                 : !have_in  ? "input_length"
                 : !have_out ? "output_length"
                             : "hash_ids");
        return WL_REC_BAD;
    }
    r->block_tokens = MC_BLOCK_TOKENS;
    r->session_id = WL_NO_SESSION;
    r->turn = 0;
    r->depth = 0;
    r->think_s = 0;
    r->recorded_api_s = -1;
    r->session_ref = NULL;
    return WL_REC_OK;
syntax:
    snprintf(it->msg, sizeof it->msg, "%s:%llu:%zu: malformed JSON: %s", path, ln, j.err_off + 1, j.msg);
    return WL_REC_BAD;
}

static mc_item_t *mc_slot(mc_state_t *s, size_t k)
{
    return &s->q[(s->head + k) % s->cap];
}

/* Appends one parsed line to the queue; returns 1, 0 at EOF, WL_REC_FATAL on a read error. */
static int mc_read_one(mc_state_t *s, char *err, size_t errlen)
{
    char *line;
    size_t len;
    int rc;
    do {
        rc = wl_lines_next(s->lines, &line, &len, err, errlen);
        if (rc <= 0)
            break;
        while (len && (*line == ' ' || *line == '\t')) {
            line++;
            len--;
        }
    } while (len == 0); /* blank lines are allowed */
    if (rc < 0)
        return WL_REC_FATAL;
    if (rc == 0) {
        s->eof = true;
        return 0;
    }
    if (s->count == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        mc_item_t *nq = calloc(ncap, sizeof *nq);
        if (!nq) {
            snprintf(err, errlen, "%s: out of memory", wl_lines_path(s->lines));
            return WL_REC_FATAL;
        }
        for (size_t k = 0; k < s->count; k++)
            nq[k] = *mc_slot(s, k);
        free(s->q);
        s->q = nq;
        s->head = 0;
        s->cap = ncap;
    }
    mc_item_t *it = mc_slot(s, s->count);
    it->line = wl_lines_lineno(s->lines);
    it->status = mc_parse(s, line, len, it);
    s->count++;
    return 1;
}

/* Makes the next bucket ready: reads its items and the first item after it, then spreads arrivals. */
static int mc_fill_bucket(mc_state_t *s, char *err, size_t errlen)
{
    if (s->count == 0) {
        int rc = mc_read_one(s, err, errlen);
        if (rc <= 0)
            return rc;
    }
    mc_item_t *head = mc_slot(s, 0);
    if (head->status != WL_REC_OK) {
        s->ready = 1;
        return 1;
    }
    double ts = head->ts_s;
    size_t n = 1;
    double width = s->o.bucket_s;
    while (s->count == n) {
        int rc = mc_read_one(s, err, errlen);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        mc_item_t *it = mc_slot(s, n);
        if (it->status != WL_REC_OK)
            break;
        if (it->ts_s == ts) {
            n++;
            continue;
        }
        if (it->ts_s > ts && it->ts_s - ts < width)
            width = it->ts_s - ts;
        break;
    }
    for (size_t k = 0; k < n; k++)
        mc_slot(s, k)->req.arrival_s = ts + (width > 0 ? width * (double)k / (double)n : 0);
    s->ready = n;
    return 1;
}

static int mc_next(void *state, wl_request_t *req, wl_sess_info_t *info, char *err, size_t errlen)
{
    mc_state_t *s = state;
    if (s->ready == 0) {
        int rc = mc_fill_bucket(s, err, errlen);
        if (rc <= 0)
            return rc < 0 ? WL_REC_FATAL : WL_REC_EOF;
    }
    mc_item_t *it = mc_slot(s, 0);
    s->head = (s->head + 1) % s->cap;
    s->count--;
    s->ready--;
    if (it->status != WL_REC_OK) {
        snprintf(err, errlen, "%s", it->msg);
        return WL_REC_BAD;
    }
    if (s->have_prev && it->ts_s < s->prev_ts_s) {
        if (!s->o.allow_backwards_time) {
            snprintf(err, errlen,
                     "%s:%llu: timestamp %.3f s goes backwards (previous %.3f s); expected non-decreasing "
                     "timestamps (allow_backwards_time to warn instead)",
                     wl_lines_path(s->lines), (unsigned long long)it->line, it->ts_s, s->prev_ts_s);
            return WL_REC_BAD;
        }
        s->backwards++;
    } else {
        s->prev_ts_s = it->ts_s;
        s->have_prev = true;
    }
    /* Hand the parsed request over by swapping id buffers: no copy, and the caller's old buffer is
     * reused by a later line. */
    uint64_t *ids = req->block_ids;
    uint32_t cap = req->blocks_cap;
    *req = it->req;
    it->req.block_ids = ids;
    it->req.blocks_cap = cap;
    memset(info, 0, sizeof *info);
    info->parent_session = WL_NO_SESSION;
    info->last = true;
    info->think_rec_s = -1;
    info->line = it->line;
    return WL_REC_OK;
}

const wl_reader_ops_t wl_reader_mooncake = {
    .name = "mooncake",
    .description = "Mooncake request log, JSON Lines: timestamp (ms), input_length, output_length, hash_ids "
                   "(512-token blocks)",
    .sessions = false,
    .extensions = "*.jsonl, *.jsonl.gz",
    .probe = mc_probe,
    .open = mc_open,
    .next = mc_next,
    .backwards = mc_backwards,
    .close = mc_close,
};
