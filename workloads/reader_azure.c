/* Reader of the Azure LLM inference traces (CSV): a header naming TIMESTAMP, ContextTokens and
 * GeneratedTokens (any order, other columns ignored), then one request per row. TIMESTAMP is a date and
 * time "YYYY-MM-DD HH:MM:SS[.fraction]" (UTC assumed; only differences matter) or plain seconds; arrivals
 * are seconds from the first row. The traces carry no prefix or session information, so every request
 * gets block ids of its own (namespace WL_NS_UNIQUE, blockid.h): ceil(ContextTokens / default_block_tokens)
 * of them, never shared, so every prefix lookup misses. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "workloads/blockid.h"
#include "workloads/lineio.h"
#include "workloads/reader.h"
#include "workloads/source.h"

#define AZ_MAX_COLS 64

typedef struct az_state {
    wl_lines_t *lines;
    wl_reader_opts_t o;
    int col_ts, col_ctx, col_gen, ncols;
    bool have_t0;
    double t0_s, prev_s;
    uint64_t next_id;
    uint64_t backwards;
} az_state_t;

static int az_probe(const char *path, const char *first)
{
    (void)path;
    if (first && strstr(first, "ContextTokens") && strstr(first, "GeneratedTokens"))
        return 100;
    return 0;
}

/* Splits line at commas in place (no quoting: the Azure files have none); returns the field count. */
static int az_split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return -1;
        while (*p == ' ' || *p == '\t')
            p++;
        f[n++] = p;
        char *c = strchr(p, ',');
        char *e = c ? c : p + strlen(p);
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (!c) {
            *e = '\0';
            return n;
        }
        *e = '\0';
        p = c + 1;
    }
}

static void az_close(void *state)
{
    az_state_t *s = state;
    if (!s)
        return;
    wl_lines_close(s->lines);
    free(s);
}

static uint64_t az_backwards(void *state)
{
    return ((az_state_t *)state)->backwards;
}

static int az_open(void **state, const char *path, const wl_reader_opts_t *o, char *err, size_t errlen)
{
    az_state_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    s->o = *o;
    if (!s->o.default_block_tokens)
        s->o.default_block_tokens = 64;
    if (wl_lines_open(&s->lines, path, err, errlen)) {
        free(s);
        return -1;
    }
    char *line;
    size_t len;
    int rc;
    while ((rc = wl_lines_next(s->lines, &line, &len, err, errlen)) == 1 && len == 0)
        ;
    if (rc <= 0) {
        if (rc == 0)
            snprintf(err, errlen, "%s:1: empty file; expected a header TIMESTAMP,ContextTokens,GeneratedTokens", path);
        az_close(s);
        return -1;
    }
    char *f[AZ_MAX_COLS];
    int n = az_split(line, f, AZ_MAX_COLS);
    s->col_ts = s->col_ctx = s->col_gen = -1;
    for (int i = 0; i < n; i++) {
        if (strcasecmp(f[i], "TIMESTAMP") == 0)
            s->col_ts = i;
        else if (strcasecmp(f[i], "ContextTokens") == 0)
            s->col_ctx = i;
        else if (strcasecmp(f[i], "GeneratedTokens") == 0)
            s->col_gen = i;
    }
    if (n < 0 || s->col_ts < 0 || s->col_ctx < 0 || s->col_gen < 0) {
        snprintf(err, errlen,
                 "%s:%llu: missing column \"%s\"; expected a header TIMESTAMP,ContextTokens,GeneratedTokens", path,
                 (unsigned long long)wl_lines_lineno(s->lines),
                 s->col_ts < 0    ? "TIMESTAMP"
                 : s->col_ctx < 0 ? "ContextTokens"
                                  : "GeneratedTokens");
        az_close(s);
        return -1;
    }
    s->ncols = n;
    *state = s;
    return 0;
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian), after H. Hinnant's algorithm. */
static long az_days(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parses a timestamp into seconds; -1 if it is neither a date-time nor a number. */
static int az_time(const char *t, double *out)
{
    int y, mo, d, h, mi, n = 0;
    double sec;
    if (sscanf(t, "%4d-%2d-%2d%*[ T]%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) == 6 && t[n] == '\0') {
        if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || !(sec >= 0 && sec < 61))
            return -1;
        *out = (double)az_days(y, mo, d) * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
        return 0;
    }
    char *end;
    double v = strtod(t, &end);
    if (end == t || *end || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

static int az_uint(const char *t, uint32_t *out)
{
    if (!isdigit((unsigned char)*t))
        return -1;
    char *end;
    unsigned long long v = strtoull(t, &end, 10);
    if (*end || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int az_next(void *state, wl_request_t *req, wl_sess_info_t *info, char *err, size_t errlen)
{
    az_state_t *s = state;
    const char *path = wl_lines_path(s->lines);
    char *line;
    size_t len;
    int rc;
    while ((rc = wl_lines_next(s->lines, &line, &len, err, errlen)) == 1 && len == 0)
        ;
    if (rc < 0)
        return WL_REC_FATAL;
    if (rc == 0)
        return WL_REC_EOF;
    unsigned long long ln = (unsigned long long)wl_lines_lineno(s->lines);
    char *f[AZ_MAX_COLS];
    int n = az_split(line, f, AZ_MAX_COLS);
    if (n != s->ncols) {
        snprintf(err, errlen, "%s:%llu: %d fields; expected %d as in the header", path, ln, n, s->ncols);
        return WL_REC_BAD;
    }
    double t;
    if (az_time(f[s->col_ts], &t)) {
        snprintf(err, errlen, "%s:%llu: TIMESTAMP \"%s\"; expected \"YYYY-MM-DD HH:MM:SS[.fraction]\" or seconds >= 0",
                 path, ln, f[s->col_ts]);
        return WL_REC_BAD;
    }
    uint32_t ctx, gen;
    if (az_uint(f[s->col_ctx], &ctx) || az_uint(f[s->col_gen], &gen)) {
        bool c = az_uint(f[s->col_ctx], &ctx) != 0;
        snprintf(err, errlen, "%s:%llu: %s \"%s\"; expected a non-negative integer number of tokens", path, ln,
                 c ? "ContextTokens" : "GeneratedTokens", c ? f[s->col_ctx] : f[s->col_gen]);
        return WL_REC_BAD;
    }
    if (!s->have_t0) {
        s->t0_s = t;
        s->prev_s = t;
        s->have_t0 = true;
    }
    if (t < s->prev_s) {
        if (!s->o.allow_backwards_time) {
            snprintf(err, errlen,
                     "%s:%llu: TIMESTAMP goes backwards by %.6f s; expected non-decreasing timestamps "
                     "(allow_backwards_time to warn instead)",
                     path, ln, s->prev_s - t);
            return WL_REC_BAD;
        }
        s->backwards++;
    } else {
        s->prev_s = t;
    }
    uint32_t bt = s->o.default_block_tokens;
    uint32_t nb = ctx / bt + (ctx % bt != 0);
    if (s->next_id + nb > WL_LOCAL_ID_MAX) {
        snprintf(err, errlen, "%s:%llu: more than 2^40 blocks in one trace", path, ln);
        return WL_REC_FATAL;
    }
    if (wl_request_reserve(req, nb)) {
        snprintf(err, errlen, "%s:%llu: out of memory", path, ln);
        return WL_REC_FATAL;
    }
    for (uint32_t i = 0; i < nb; i++)
        req->block_ids[i] = wl_ns_id(WL_NS_UNIQUE, s->next_id++);
    req->n_blocks = nb;
    req->input_tokens = ctx;
    req->output_tokens = gen;
    req->block_tokens = bt;
    req->arrival_s = t - s->t0_s;
    req->session_id = WL_NO_SESSION;
    req->turn = 0;
    req->depth = 0;
    req->think_s = 0;
    req->recorded_api_s = -1;
    req->session_ref = NULL;
    memset(info, 0, sizeof *info);
    info->parent_session = WL_NO_SESSION;
    info->last = true;
    info->think_rec_s = -1;
    info->line = ln;
    return WL_REC_OK;
}

const wl_reader_ops_t wl_reader_azure = {
    .name = "azure",
    .description = "Azure LLM inference CSV: TIMESTAMP, ContextTokens, GeneratedTokens (no prefix sharing: unique "
                   "block ids)",
    .sessions = false,
    .extensions = "*.csv, *.csv.gz",
    .probe = az_probe,
    .open = az_open,
    .next = az_next,
    .backwards = az_backwards,
    .close = az_close,
};
