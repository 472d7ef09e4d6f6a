/* kvtwin's native session format: reader and writer (native.h; the format is specified in
 * docs/workloads.md).
 *
 * The reader parses each line with cJSON (the format is not the hot path: the Mooncake reader is) and
 * keeps a little state per open session (its last turn, its fork, its children's end) so that it can
 * check the structure line by line and derive arrival_s where a line gives only think/tool times:
 * turn 0 of a sub-agent arrives think + tool after its parent's forking turn ends (arrival + api_s);
 * a turn after a fork, think + tool after its last sub-agent's last turn ends; any other turn, think + tool
 * after the previous turn ends. A session's state is dropped after its last turn (and its sub-agents'),
 * so memory follows the sessions open at once, not the file length.
 * Block ids: "block_ids" as given; "prefix" runs of named token streams hashed into ids (blockid.h); with
 * neither, every token is unique to the request. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sim/base/jsonpos.h"
#include "sim/base/u64map.h"
#include "workloads/blockid.h"
#include "workloads/lineio.h"
#include "workloads/native.h"
#include "workloads/reader.h"
#include "workloads/source.h"

#define NV_EXACT_MAX 9007199254740992.0 /* 2^53: integers above are not exact in a JSON number read as double */

typedef struct nv_sess {
    uint64_t id;
    uint64_t parent; /* WL_NO_SESSION if top-level */
    uint32_t depth;
    uint32_t next_turn; /* turn expected next */
    uint32_t shared_prefix_tokens;
    double last_arrival_s, last_api_s;
    uint32_t fork_pending; /* children announced by the last turn and not finished */
    uint32_t fork_seen;    /* children of the last turn seen so far */
    uint32_t fork_announced;
    double join_end_s; /* latest end of a finished child of the last fork */
    bool done;         /* its last turn was read */
} nv_sess_t;

typedef struct nv_state {
    wl_lines_t *lines;
    wl_reader_opts_t o;
    uint32_t block_tokens; /* from the header, else default_block_tokens */
    u64map_t sess;
    double prev_arrival_s;
    bool have_prev;
    uint64_t backwards;
    bool header_checked;
} nv_state_t;

static int nv_probe(const char *path, const char *first)
{
    if (!first || first[0] != '{')
        return 0;
    if (strstr(first, "\"kvtwin_native\""))
        return 100;
    if (strstr(first, "\"session\"") && strstr(first, "\"input_tokens\""))
        return 90;
    (void)path;
    return 0;
}

static void nv_close(void *state)
{
    nv_state_t *s = state;
    if (!s)
        return;
    size_t pos = 0;
    uint64_t key, val;
    while (u64map_next(&s->sess, &pos, &key, &val))
        free((void *)(uintptr_t)val);
    u64map_free(&s->sess);
    wl_lines_close(s->lines);
    free(s);
}

static uint64_t nv_backwards(void *state)
{
    return ((nv_state_t *)state)->backwards;
}

static int nv_open(void **state, const char *path, const wl_reader_opts_t *o, char *err, size_t errlen)
{
    nv_state_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    s->o = *o;
    s->block_tokens = o->default_block_tokens ? o->default_block_tokens : 64;
    u64map_init(&s->sess);
    if (wl_lines_open(&s->lines, path, err, errlen)) {
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

typedef struct nv_ctx {
    nv_state_t *s;
    const char *text;
    size_t len;
    char *err;
    size_t errlen;
} nv_ctx_t;

static int nv_fail(nv_ctx_t *c, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int nv_fail(nv_ctx_t *c, const char *key, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t off = 0;
    if (key)
        jp_locate(c->text, c->len, key, &off, NULL);
    snprintf(c->err, c->errlen, "%s:%llu:%zu: %s", wl_lines_path(c->s->lines),
             (unsigned long long)wl_lines_lineno(c->s->lines), off + 1, msg);
    return WL_REC_BAD;
}

/* Reads key as an integer in [lo, hi]; *present tells whether it was there. */
static int nv_uint(nv_ctx_t *c, const cJSON *o, const char *key, double lo, double hi, uint64_t *v, bool *present)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    *present = it && !cJSON_IsNull(it);
    if (!*present)
        return 0;
    double d = it->valuedouble;
    if (!cJSON_IsNumber(it) || d != floor(d) || !(d >= lo && d <= hi))
        return nv_fail(c, key, "\"%s\": expected an integer in [%.0f, %.0f]", key, lo, hi);
    *v = (uint64_t)d;
    return 0;
}

static int nv_time(nv_ctx_t *c, const cJSON *o, const char *key, double *v, bool *present)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    *present = it && !cJSON_IsNull(it);
    if (!*present)
        return 0;
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0)
        return nv_fail(c, key, "\"%s\": expected a time in seconds >= 0", key);
    *v = it->valuedouble;
    return 0;
}

static const char *const nv_keys[] = {"session",
                                      "parent",
                                      "parent_turn",
                                      "turn",
                                      "last",
                                      "fork",
                                      "arrival_s",
                                      "think_s",
                                      "tool_s",
                                      "api_s",
                                      "input_tokens",
                                      "output_tokens",
                                      "block_tokens",
                                      "block_ids",
                                      "prefix",
                                      "shared_prefix_tokens",
                                      NULL};

static int nv_record(nv_ctx_t *c, const cJSON *o, wl_request_t *req, wl_sess_info_t *info)
{
    nv_state_t *s = c->s;
    for (const cJSON *it = o->child; it; it = it->next) {
        bool ok = false;
        for (const char *const *k = nv_keys; *k && !ok; k++)
            ok = strcmp(it->string, *k) == 0;
        if (!ok)
            return nv_fail(c, it->string,
                           "unknown key \"%s\"; expected session, parent, parent_turn, turn, last, "
                           "fork, arrival_s, think_s, tool_s, api_s, input_tokens, output_tokens, "
                           "block_tokens, block_ids, prefix or shared_prefix_tokens",
                           it->string);
    }
    uint64_t session, parent = WL_NO_SESSION, parent_turn = 0, turn, fork = 0, in, out, bt = s->block_tokens, spt = 0;
    bool has, has_parent, has_pt, has_turn, has_in, has_out, has_spt, has_arr, has_think, has_tool, has_api;
    double arrival = 0, think = 0, tool = 0, api = -1;
    if (nv_uint(c, o, "session", 0, NV_EXACT_MAX, &session, &has))
        return WL_REC_BAD;
    if (!has)
        return nv_fail(c, NULL,
                       "missing \"session\"; expected a request {\"session\", \"turn\", \"input_tokens\", "
                       "\"output_tokens\", ...}");
    if (nv_uint(c, o, "parent", 0, NV_EXACT_MAX, &parent, &has_parent) ||
        nv_uint(c, o, "parent_turn", 0, UINT32_MAX, &parent_turn, &has_pt) ||
        nv_uint(c, o, "turn", 0, UINT32_MAX, &turn, &has_turn) || nv_uint(c, o, "fork", 0, 1e6, &fork, &has) ||
        nv_uint(c, o, "input_tokens", 0, UINT32_MAX, &in, &has_in) ||
        nv_uint(c, o, "output_tokens", 0, UINT32_MAX, &out, &has_out) ||
        nv_uint(c, o, "block_tokens", 1, 1 << 20, &bt, &has) ||
        nv_uint(c, o, "shared_prefix_tokens", 0, UINT32_MAX, &spt, &has_spt) ||
        nv_time(c, o, "arrival_s", &arrival, &has_arr) || nv_time(c, o, "think_s", &think, &has_think) ||
        nv_time(c, o, "tool_s", &tool, &has_tool) || nv_time(c, o, "api_s", &api, &has_api))
        return WL_REC_BAD;
    if (!has_turn || !has_in || !has_out)
        return nv_fail(c, NULL,
                       "missing \"%s\"; expected a request {\"session\", \"turn\", \"input_tokens\", "
                       "\"output_tokens\", ...}",
                       !has_turn ? "turn"
                       : !has_in ? "input_tokens"
                                 : "output_tokens");
    if (!has_parent)
        parent = WL_NO_SESSION;
    if (has_parent && !has_pt)
        return nv_fail(c, "parent", "\"parent\" without \"parent_turn\"; expected the parent's turn that forks it");
    const cJSON *last_j = cJSON_GetObjectItemCaseSensitive(o, "last");
    if (last_j && !cJSON_IsBool(last_j))
        return nv_fail(c, "last", "\"last\": expected true or false");
    bool last = last_j && cJSON_IsTrue(last_j);

    /* Session structure. */
    nv_sess_t *se = u64map_get_ptr(&s->sess, session);
    nv_sess_t *pa = NULL;
    if (!se) {
        if (turn != 0)
            return nv_fail(c, "turn", "session %llu starts at turn %llu; expected turn 0 first",
                           (unsigned long long)session, (unsigned long long)turn);
        if (has_parent) {
            pa = u64map_get_ptr(&s->sess, parent);
            if (!pa || pa->next_turn != parent_turn + 1 || pa->fork_seen >= pa->fork_announced)
                return nv_fail(c, "parent",
                               "sub-agent of session %llu forked after turn %llu; expected that turn to be the "
                               "parent's latest and to announce this sub-agent in \"fork\"",
                               (unsigned long long)parent, (unsigned long long)parent_turn);
        } else if (!has_arr) {
            return nv_fail(c, NULL, "missing \"arrival_s\"; expected it on the first turn of a top-level session");
        }
        se = calloc(1, sizeof *se);
        if (!se)
            return nv_fail(c, NULL, "out of memory");
        u64map_put_ptr(&s->sess, session, se);
        se->id = session;
        se->parent = parent;
        se->depth = pa ? pa->depth + 1 : 0;
        if (pa)
            pa->fork_seen++;
    } else {
        if (se->done)
            return nv_fail(c, "turn", "session %llu has a turn after the one marked \"last\"",
                           (unsigned long long)session);
        if (turn != se->next_turn)
            return nv_fail(c, "turn", "session %llu turn %llu; expected turn %u", (unsigned long long)session,
                           (unsigned long long)turn, se->next_turn);
        if (has_parent != (se->parent != WL_NO_SESSION) || (has_parent && parent != se->parent))
            return nv_fail(c, "parent", "session %llu changes its parent; expected the same on every line",
                           (unsigned long long)session);
        if (se->fork_pending > 0)
            return nv_fail(c, "turn",
                           "session %llu turn %llu comes before its %u sub-agents finished; expected "
                           "their last turns first",
                           (unsigned long long)session, (unsigned long long)turn, se->fork_pending);
    }
    if (has_spt)
        se->shared_prefix_tokens = (uint32_t)spt;

    /* Arrival: given, or derived from the recorded timeline. */
    if (!has_arr) {
        double base;
        if (turn == 0 && pa) {
            /* (a top-level turn 0 without arrival_s was rejected above) */
            base = pa->last_arrival_s + (pa->last_api_s > 0 ? pa->last_api_s : 0);
        } else if (se->fork_announced > 0) {
            base = se->join_end_s;
        } else {
            base = se->last_arrival_s + (se->last_api_s > 0 ? se->last_api_s : 0);
        }
        arrival = base + think + tool;
    }
    if (s->have_prev && arrival < s->prev_arrival_s) {
        if (!s->o.allow_backwards_time)
            return nv_fail(c, has_arr ? "arrival_s" : NULL,
                           "arrival %.6f s goes backwards (previous line %.6f s); expected lines in order of arrival "
                           "(allow_backwards_time to warn instead)",
                           arrival, s->prev_arrival_s);
        s->backwards++;
    } else {
        s->prev_arrival_s = arrival;
        s->have_prev = true;
    }

    /* Blocks. */
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(o, "block_ids");
    const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(o, "prefix");
    req->input_tokens = (uint32_t)in;
    req->output_tokens = (uint32_t)out;
    req->block_tokens = (uint32_t)bt;
    if (ids && prefix)
        return nv_fail(c, "prefix", "both \"block_ids\" and \"prefix\"; expected one of them");
    if (ids) {
        if (!cJSON_IsArray(ids))
            return nv_fail(c, "block_ids", "\"block_ids\": expected an array of integers");
        int n = cJSON_GetArraySize(ids);
        if (wl_request_reserve(req, (uint32_t)n))
            return nv_fail(c, NULL, "out of memory");
        int k = 0;
        for (const cJSON *it = ids->child; it; it = it->next, k++) {
            double d = it->valuedouble;
            if (!cJSON_IsNumber(it) || d != floor(d) || !(d >= 0 && d <= NV_EXACT_MAX)) {
                char p[32];
                snprintf(p, sizeof p, "block_ids[%d]", k);
                return nv_fail(c, p, "block_ids[%d]: expected an integer in [0, 2^53]", k);
            }
            req->block_ids[k] = (uint64_t)d;
        }
        req->n_blocks = (uint32_t)n;
    } else {
        wl_run_t runs[WL_MAX_RUNS];
        uint32_t nr = 0;
        uint64_t total = 0;
        if (prefix) {
            if (!cJSON_IsArray(prefix) || cJSON_GetArraySize(prefix) > WL_MAX_RUNS)
                return nv_fail(c, "prefix", "\"prefix\": expected an array of at most %d {\"stream\", \"tokens\"}",
                               WL_MAX_RUNS);
            for (const cJSON *it = prefix->child; it; it = it->next, nr++) {
                char p[48];
                snprintf(p, sizeof p, "prefix[%u]", nr);
                const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "stream");
                const cJSON *tk = cJSON_GetObjectItemCaseSensitive(it, "tokens");
                if (!cJSON_IsObject(it) || !st || !tk || !cJSON_IsNumber(tk) ||
                    tk->valuedouble != floor(tk->valuedouble) || tk->valuedouble < 0 || tk->valuedouble > UINT32_MAX)
                    return nv_fail(c, p, "%s: expected {\"stream\": number or name, \"tokens\": integer >= 0}", p);
                if (cJSON_IsString(st)) {
                    runs[nr].stream = wl_stream_of_name(st->valuestring, strlen(st->valuestring));
                } else if (cJSON_IsNumber(st) && st->valuedouble == floor(st->valuedouble) && st->valuedouble >= 0 &&
                           st->valuedouble <= NV_EXACT_MAX) {
                    runs[nr].stream = wl_stream_of_number((uint64_t)st->valuedouble);
                } else {
                    return nv_fail(c, p, "%s.stream: expected an integer in [0, 2^53] or a name", p);
                }
                runs[nr].tokens = (uint32_t)tk->valuedouble;
                total += runs[nr].tokens;
            }
            if (total > in)
                return nv_fail(c, "prefix",
                               "prefix runs hold %llu tokens, more than input_tokens %llu; expected at "
                               "most the input",
                               (unsigned long long)total, (unsigned long long)in);
        }
        if (wl_ids_from_runs(req, runs, nr, wl_stream_fresh(session, turn)))
            return nv_fail(c, NULL, "out of memory");
    }
    req->arrival_s = arrival + s->o.time_offset_s;
    req->session_id = session;
    req->turn = (uint32_t)turn;
    req->depth = se->depth;
    req->think_s = think + tool;
    req->recorded_api_s = has_api ? api : -1;
    req->session_ref = NULL;
    memset(info, 0, sizeof *info);
    info->parent_session = se->parent;
    info->parent_turn = (uint32_t)parent_turn;
    info->fork = (uint32_t)fork;
    info->last = last;
    info->delay_known = has_think || has_tool || turn == 0;
    info->tool_s = tool;
    info->think_rec_s = has_think || has_tool ? think + tool : -1;
    if (turn > 0 && se->fork_announced > 0 && se->last_api_s > 0) {
        /* As agentic traces record it: the think time after a fork spans the sub-agents' work. */
        double span = arrival - (se->last_arrival_s + se->last_api_s);
        info->think_rec_s = span > 0 ? span : 0;
    }
    info->shared_prefix_tokens = se->shared_prefix_tokens;
    info->line = wl_lines_lineno(s->lines);

    /* Advance the session's state. */
    se->next_turn = (uint32_t)turn + 1;
    se->last_arrival_s = arrival;
    se->last_api_s = has_api ? api : 0;
    se->fork_announced = (uint32_t)fork;
    se->fork_pending = (uint32_t)fork;
    se->fork_seen = 0;
    se->join_end_s = arrival + (has_api ? api : 0);
    if (last)
        se->done = true;
    /* Finished sessions tell their parent and leave; a parent leaves once done and its children are. */
    while (se && se->done && se->fork_pending == 0) {
        nv_sess_t *p = se->parent != WL_NO_SESSION ? u64map_get_ptr(&s->sess, se->parent) : NULL;
        double end = se->last_arrival_s + se->last_api_s;
        u64map_del(&s->sess, se->id);
        free(se);
        se = NULL;
        if (p) {
            if (end > p->join_end_s)
                p->join_end_s = end;
            if (p->fork_pending > 0)
                p->fork_pending--;
            se = p;
        }
    }
    return WL_REC_OK;
}

static int nv_next(void *state, wl_request_t *req, wl_sess_info_t *info, char *err, size_t errlen)
{
    nv_state_t *s = state;
    char *line;
    size_t len;
    for (;;) {
        int rc = wl_lines_next(s->lines, &line, &len, err, errlen);
        if (rc < 0)
            return WL_REC_FATAL;
        if (rc == 0)
            return WL_REC_EOF;
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len)
            continue;
        nv_ctx_t c = {s, line, len, err, errlen};
        cJSON *o = cJSON_ParseWithOpts(line, NULL, 1);
        if (!o) {
            jp_pos_t p = jp_parse_error_pos(line);
            snprintf(err, errlen, "%s:%llu:%d: malformed JSON; expected one JSON object per line",
                     wl_lines_path(s->lines), (unsigned long long)wl_lines_lineno(s->lines), p.column);
            if (!s->header_checked)
                s->header_checked = true;
            return WL_REC_BAD;
        }
        if (!cJSON_IsObject(o)) {
            cJSON_Delete(o);
            return nv_fail(&c, NULL, "expected a JSON object per line");
        }
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "kvtwin_native");
        if (ver) {
            int rcv = WL_REC_OK;
            if (s->header_checked)
                rcv = nv_fail(&c, "kvtwin_native", "a header line after the first line; expected it first, once");
            else if (!cJSON_IsNumber(ver) || ver->valuedouble != WL_NATIVE_VERSION)
                rcv =
                    nv_fail(&c, "kvtwin_native", "format version %g; expected %d", ver->valuedouble, WL_NATIVE_VERSION);
            const cJSON *bt = cJSON_GetObjectItemCaseSensitive(o, "block_tokens");
            if (rcv == WL_REC_OK && bt) {
                if (!cJSON_IsNumber(bt) || bt->valuedouble != floor(bt->valuedouble) || bt->valuedouble < 1 ||
                    bt->valuedouble > (1 << 20))
                    rcv = nv_fail(&c, "block_tokens", "\"block_tokens\": expected an integer in [1, 1048576]");
                else
                    s->block_tokens = (uint32_t)bt->valuedouble;
            }
            s->header_checked = true;
            cJSON_Delete(o);
            if (rcv != WL_REC_OK)
                return rcv;
            continue;
        }
        s->header_checked = true;
        int rc2 = nv_record(&c, o, req, info);
        cJSON_Delete(o);
        return rc2;
    }
}

const wl_reader_ops_t wl_reader_native = {
    .name = "native",
    .description = "kvtwin session JSON Lines (docs/workloads.md): sessions, sub-agents, think/tool times, block ids "
                   "or token-stream prefixes",
    .sessions = true,
    .extensions = "*.jsonl, *.jsonl.gz",
    .probe = nv_probe,
    .open = nv_open,
    .next = nv_next,
    .backwards = nv_backwards,
    .close = nv_close,
};

/* ---- writer ---- */

struct wl_native_writer {
    gzFile gz; /* compressed */
    FILE *f;   /* plain */
    char *buf;
    size_t len, cap;
    bool failed;
    char path[1024];
};

static void nw_put(wl_native_writer_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void nw_put(wl_native_writer_t *w, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            w->failed = true;
            return;
        }
        if ((size_t)n < w->cap - w->len) {
            w->len += (size_t)n;
            return;
        }
        size_t nc = w->cap * 2 + (size_t)n;
        char *nb = realloc(w->buf, nc);
        if (!nb) {
            w->failed = true;
            return;
        }
        w->buf = nb;
        w->cap = nc;
    }
}

static void nw_flush_line(wl_native_writer_t *w)
{
    if (w->failed)
        return;
    if (w->gz) {
        if (w->len && gzwrite(w->gz, w->buf, (unsigned)w->len) != (int)w->len)
            w->failed = true;
    } else if (fwrite(w->buf, 1, w->len, w->f) != w->len) {
        w->failed = true;
    }
    w->len = 0;
}

int wl_native_create(wl_native_writer_t **out, const char *path, uint32_t block_tokens, const cJSON *extra, char *err,
                     size_t errlen)
{
    *out = NULL;
    wl_native_writer_t *w = calloc(1, sizeof *w);
    if (!w || !(w->buf = malloc(4096))) {
        free(w);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    w->cap = 4096;
    snprintf(w->path, sizeof w->path, "%s", path);
    size_t n = strlen(path);
    if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
        w->gz = gzopen(path, "wb6");
    else
        w->f = fopen(path, "wb");
    if (!w->gz && !w->f) {
        snprintf(err, errlen, "%s: cannot create", path);
        free(w->buf);
        free(w);
        return -1;
    }
    cJSON *h = cJSON_CreateObject();
    cJSON_AddNumberToObject(h, "kvtwin_native", WL_NATIVE_VERSION);
    cJSON_AddNumberToObject(h, "block_tokens", block_tokens);
    for (const cJSON *it = extra ? extra->child : NULL; it; it = it->next)
        cJSON_AddItemToObject(h, it->string, cJSON_Duplicate(it, 1));
    char *txt = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    if (!txt) {
        w->failed = true;
    } else {
        nw_put(w, "%s\n", txt);
        free(txt);
    }
    nw_flush_line(w);
    *out = w;
    return 0;
}

int wl_native_write(wl_native_writer_t *w, const wl_request_t *r, const wl_sess_info_t *info, const wl_run_t *runs,
                    uint32_t n_runs)
{
    nw_put(w, "{\"session\":%llu", (unsigned long long)r->session_id);
    if (info->parent_session != WL_NO_SESSION)
        nw_put(w, ",\"parent\":%llu,\"parent_turn\":%u", (unsigned long long)info->parent_session, info->parent_turn);
    nw_put(w, ",\"turn\":%u", r->turn);
    if (info->last)
        nw_put(w, ",\"last\":true");
    if (info->fork)
        nw_put(w, ",\"fork\":%u", info->fork);
    nw_put(w, ",\"arrival_s\":%.6f", r->arrival_s);
    double tool = info->tool_s, think = r->think_s - tool;
    if (think < 0)
        think = 0;
    if (r->turn > 0 || r->depth > 0) {
        if (think > 0)
            nw_put(w, ",\"think_s\":%.6f", think);
        if (tool > 0)
            nw_put(w, ",\"tool_s\":%.6f", tool);
        if (think == 0 && tool == 0)
            nw_put(w, ",\"think_s\":0");
    }
    if (r->recorded_api_s >= 0)
        nw_put(w, ",\"api_s\":%.6f", r->recorded_api_s);
    nw_put(w, ",\"input_tokens\":%u,\"output_tokens\":%u,\"block_tokens\":%u", r->input_tokens, r->output_tokens,
           r->block_tokens);
    if (r->turn == 0 && info->shared_prefix_tokens)
        nw_put(w, ",\"shared_prefix_tokens\":%u", info->shared_prefix_tokens);
    if (n_runs) {
        nw_put(w, ",\"prefix\":[");
        for (uint32_t i = 0; i < n_runs; i++)
            nw_put(w, "%s{\"stream\":%llu,\"tokens\":%u}", i ? "," : "", (unsigned long long)runs[i].stream,
                   runs[i].tokens);
        nw_put(w, "]");
    } else {
        nw_put(w, ",\"block_ids\":[");
        for (uint32_t i = 0; i < r->n_blocks; i++)
            nw_put(w, "%s%llu", i ? "," : "", (unsigned long long)r->block_ids[i]);
        nw_put(w, "]");
    }
    nw_put(w, "}\n");
    nw_flush_line(w);
    return w->failed ? -1 : 0;
}

int wl_native_close(wl_native_writer_t *w, char *err, size_t errlen)
{
    if (!w)
        return 0;
    nw_flush_line(w);
    int bad = w->failed;
    if (w->gz)
        bad |= gzclose(w->gz) != Z_OK;
    if (w->f)
        bad |= fclose(w->f) != 0;
    if (bad)
        snprintf(err, errlen, "%s: write failed (disk full?)", w->path);
    free(w->buf);
    free(w);
    return bad ? -1 : 0;
}
