/* Reader of agentic session files in the kv-cache-tester format: one JSON object per conversation (a
 * file, gzip or not; a directory holds one per file), {"block_size", "hash_id_scope", "system_tokens",
 * "tool_tokens", "requests": [...]}. A request has t (s from its agent's start), in, out, hash_ids and,
 * in recent traces, api_time (the recorded service time) and think_time (the delay before it after the
 * previous request completed). An entry of type "subagent" carries its own requests (times from its own
 * start), t (when it finished, on the parent's clock), duration_ms, system_tokens, tool_tokens; entries in
 * a row form one fork: they start together after the parent's request before them, and the parent's next
 * request waits for all of them.
 *
 * Conversion to records (times in s):
 *  - session ids: conversation c (its index in the directory) gives c << 20 for the main agent and
 *    c << 20 | k for its k-th sub-agent; block ids of "local" scope go to namespace c + 1 (blockid.h),
 *    "global" ones stay as they are;
 *  - arrival_s: on the conversation's clock (plus the stream's stagger offset); a sub-agent's clock starts
 *    at its t - duration_ms;
 *  - think_s, the closed-loop delay before a request: think_time (else t[i] - t[i-1] - api_time[i-1], else
 *    the gap); before a sub-agent's first request, its start minus the forking request's completion; after a
 *    fork, the parent's next t minus the completion of the last sub-agent's last request (the recorded
 *    think_time of that request spans the sub-agents' work, which closed-loop replay simulates instead);
 *  - the delay counts as tool time when the request before it stopped for "tool_use".
 * len(hash_ids) may differ from ceil(in / block_size): the ids are kept as given (hits are clamped to the
 * input by whoever counts them). The whole conversation is parsed at once (one JSON document): memory is
 * one conversation, about 8 bytes per block id. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/jsonpos.h"
#include "workloads/blockid.h"
#include "workloads/jsonscan.h"
#include "workloads/lineio.h"
#include "workloads/reader.h"
#include "workloads/source.h"

#define KT_MAX_TEXT_BYTES ((size_t)1 << 31) /* a conversation larger than this is not a trace */
#define KT_MAX_DEPTH 8

typedef struct kt_req {
    double t, api, think; /* api, think: -1 if absent */
    uint32_t in, out;
    size_t ids_off;
    uint32_t n_ids;
    bool tool_stop;
    uint32_t child0, n_children; /* sub-agents forked after this request (indices into kt.agents) */
    size_t off;                  /* text offset, for messages */
    uint64_t line;               /* its line */
} kt_req_t;

typedef struct kt_agent {
    uint32_t system_tokens, tool_tokens;
    double end_t;      /* sub-agent: t, when it finished on the parent's clock */
    double duration_s; /* -1 if absent */
    uint32_t parent;   /* index of the parent agent (main: itself) */
    uint32_t parent_req;
    uint32_t depth;
    uint32_t req0, n_reqs; /* its requests: kt.reqs[req0 .. req0 + n_reqs) after the parse */
    double base_s;         /* its clock's start on the conversation clock (computed at emission) */
    uint64_t session_id;
} kt_agent_t;

typedef struct kt_state {
    char path[1024];
    wl_reader_opts_t o;
    char *text;
    size_t len;
    uint64_t ns; /* namespace of local ids */
    bool local;
    uint32_t block_tokens;
    /* parse results */
    kt_agent_t *agents;
    size_t n_agents, cap_agents;
    kt_req_t *reqs; /* grouped per agent after the parse */
    size_t n_reqs, cap_reqs;
    uint64_t *ids;
    size_t n_ids, cap_ids;
    /* emission order: (agent, request) pairs */
    uint32_t *order_agent, *order_req;
    size_t n_order, pos;
    bool failed; /* a bad conversation is reported once, then EOF */
    uint64_t backwards;
    char jpath[256]; /* JSON path while parsing, for messages */
    size_t cur_off;  /* line counting cursor: offsets only grow while parsing */
    uint64_t cur_line;
    wl_js_t j;
    char *err; /* where messages go: msg below */
    size_t errlen;
    char msg[768];
} kt_state_t;

static int kt_probe(const char *path, const char *first)
{
    int score = 0;
    if (first && first[0] == '{' && strstr(first, "\"requests\""))
        score = 60;
    if (score && (strstr(first, "\"block_size\"") || strstr(first, "\"hash_id_scope\"")))
        score = 90;
    if (!score && first && first[0] == '{' && (strstr(path, ".json.gz") || strstr(path, ".json")) &&
        !strstr(path, ".jsonl"))
        score = 20; /* a pretty-printed conversation: its first line says little */
    return score;
}

static void kt_close(void *state)
{
    kt_state_t *s = state;
    if (!s)
        return;
    free(s->text);
    free(s->agents);
    free(s->reqs);
    free(s->ids);
    free(s->order_agent);
    free(s->order_req);
    free(s);
}

static uint64_t kt_backwards(void *state)
{
    return ((kt_state_t *)state)->backwards;
}

/* "FILE:LINE:COL: PATH: msg" at text offset off. */
static int kt_error_at(kt_state_t *s, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int kt_error_at(kt_state_t *s, size_t off, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jp_pos_t p = jp_pos_of_offset(s->text, off);
    snprintf(s->err, s->errlen, "%s:%d:%d: %s%s%s", s->path, p.line, p.column, s->jpath, s->jpath[0] ? ": " : "", msg);
    return -1;
}

static int kt_syntax(kt_state_t *s)
{
    return kt_error_at(s, s->j.err_off, "malformed JSON: %s", s->j.msg);
}

static size_t kt_path_push(kt_state_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t kt_path_push(kt_state_t *s, const char *fmt, ...)
{
    size_t n = strlen(s->jpath);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->jpath + n, sizeof s->jpath - n, fmt, ap);
    va_end(ap);
    return n;
}

static int kt_u32(kt_state_t *s, const char *what, uint32_t *out)
{
    uint64_t v;
    size_t at = wl_js_offset(&s->j);
    if (wl_js_uint(&s->j, &v, what))
        return kt_syntax(s);
    if (v > UINT32_MAX)
        return kt_error_at(s, at, "%s is %llu; expected at most %u", what, (unsigned long long)v, UINT32_MAX);
    *out = (uint32_t)v;
    return 0;
}

static int kt_time(kt_state_t *s, const char *what, double *out)
{
    size_t at = wl_js_offset(&s->j);
    if (wl_js_number(&s->j, out, what))
        return kt_syntax(s);
    if (!(*out >= 0) || !isfinite(*out))
        return kt_error_at(s, at, "%s is %g; expected a finite time >= 0", what, *out);
    return 0;
}

static int kt_parse_requests(kt_state_t *s, uint32_t agent);

/* Line of a text offset, counting on from the last one asked (parsing moves forward only). */
static uint64_t kt_line_at(kt_state_t *s, size_t off)
{
    if (off < s->cur_off) {
        s->cur_off = 0;
        s->cur_line = 1;
    }
    for (; s->cur_off < off; s->cur_off++)
        s->cur_line += s->text[s->cur_off] == '\n';
    return s->cur_line;
}

/* One element of a requests array: a request of agent, or a sub-agent forked after its last request. */
static int kt_parse_entry(kt_state_t *s, uint32_t agent, size_t idx)
{
    size_t at = wl_js_offset(&s->j);
    kt_req_t r = {.api = -1, .think = -1};
    r.off = at;
    r.line = kt_line_at(s, at);
    bool have_t = false, have_in = false, have_out = false, have_ids = false, sub = false, have_reqs = false;
    double duration_ms = -1;
    uint32_t sys = 0, tool = 0;
    uint32_t child = UINT32_MAX;
    bool first = true;
    const char *k;
    size_t kl;
    int rc;
    if (wl_js_object_begin(&s->j))
        return kt_syntax(s);
    while ((rc = wl_js_object_next(&s->j, &first, &k, &kl)) == 1) {
        if (WL_JS_KEY(k, kl, "t")) {
            if (kt_time(s, "t", &r.t))
                return -1;
            have_t = true;
        } else if (WL_JS_KEY(k, kl, "in")) {
            if (kt_u32(s, "in", &r.in))
                return -1;
            have_in = true;
        } else if (WL_JS_KEY(k, kl, "out")) {
            if (kt_u32(s, "out", &r.out))
                return -1;
            have_out = true;
        } else if (WL_JS_KEY(k, kl, "api_time")) {
            if (wl_js_null(&s->j))
                continue;
            if (kt_time(s, "api_time", &r.api))
                return -1;
        } else if (WL_JS_KEY(k, kl, "think_time")) {
            if (wl_js_null(&s->j))
                continue;
            if (kt_time(s, "think_time", &r.think))
                return -1;
        } else if (WL_JS_KEY(k, kl, "duration_ms")) {
            if (wl_js_null(&s->j))
                continue;
            if (kt_time(s, "duration_ms", &duration_ms))
                return -1;
        } else if (WL_JS_KEY(k, kl, "system_tokens")) {
            if (kt_u32(s, "system_tokens", &sys))
                return -1;
        } else if (WL_JS_KEY(k, kl, "tool_tokens")) {
            if (kt_u32(s, "tool_tokens", &tool))
                return -1;
        } else if (WL_JS_KEY(k, kl, "type")) {
            const char *v;
            size_t vl;
            if (wl_js_string(&s->j, &v, &vl, "type"))
                return kt_syntax(s);
            sub = WL_JS_KEY(v, vl, "subagent");
        } else if (WL_JS_KEY(k, kl, "stop")) {
            const char *v;
            size_t vl;
            if (wl_js_null(&s->j))
                continue;
            if (wl_js_string(&s->j, &v, &vl, "stop"))
                return kt_syntax(s);
            r.tool_stop = WL_JS_KEY(v, vl, "tool_use");
        } else if (WL_JS_KEY(k, kl, "hash_ids")) {
            bool f2 = true;
            r.ids_off = s->n_ids;
            if (wl_js_array_begin(&s->j))
                return kt_syntax(s);
            while ((rc = wl_js_array_next(&s->j, &f2)) == 1) {
                uint64_t id;
                size_t iat = wl_js_offset(&s->j);
                if (wl_js_uint(&s->j, &id, "a block id"))
                    return kt_syntax(s);
                if (s->local) {
                    if (id > WL_LOCAL_ID_MAX)
                        return kt_error_at(s, iat, "block id %llu; expected local ids below 2^40",
                                           (unsigned long long)id);
                    id = wl_ns_id(s->ns, id);
                }
                if (wl_grow((void **)&s->ids, sizeof *s->ids, s->n_ids + 1, &s->cap_ids))
                    return kt_error_at(s, iat, "out of memory");
                s->ids[s->n_ids++] = id;
            }
            if (rc < 0)
                return kt_syntax(s);
            r.n_ids = (uint32_t)(s->n_ids - r.ids_off);
            have_ids = true;
        } else if (WL_JS_KEY(k, kl, "requests")) {
            /* A sub-agent: its requests are parsed into a new agent attached after the parent's last one. */
            if (s->agents[agent].depth + 1 >= KT_MAX_DEPTH)
                return kt_error_at(s, at, "sub-agents nested deeper than %d levels", KT_MAX_DEPTH);
            if (wl_grow((void **)&s->agents, sizeof *s->agents, s->n_agents + 1, &s->cap_agents))
                return kt_error_at(s, at, "out of memory");
            child = (uint32_t)s->n_agents++;
            kt_agent_t *ca = &s->agents[child];
            memset(ca, 0, sizeof *ca);
            ca->parent = agent;
            ca->depth = s->agents[agent].depth + 1;
            ca->duration_s = -1;
            size_t mark = kt_path_push(s, ".requests");
            if (kt_parse_requests(s, child))
                return -1;
            s->jpath[mark] = '\0';
            have_reqs = true;
        } else if (wl_js_skip(&s->j)) {
            return kt_syntax(s);
        }
    }
    if (rc < 0)
        return kt_syntax(s);
    (void)idx;
    if (sub || have_reqs) {
        if (!have_reqs)
            return kt_error_at(s, at, "sub-agent without \"requests\"; expected its requests array");
        if (!have_t)
            return kt_error_at(s, at, "sub-agent without \"t\"; expected the time it finished");
        kt_agent_t *ca = &s->agents[child];
        ca->system_tokens = sys;
        ca->tool_tokens = tool;
        ca->end_t = r.t;
        ca->duration_s = duration_ms >= 0 ? duration_ms / 1000.0 : -1;
        /* The requests of the parsed agents are appended in parse order; find the parent's last one. */
        kt_agent_t *pa = &s->agents[agent];
        if (pa->n_reqs == 0)
            return kt_error_at(s, at, "sub-agent before any request; expected the request that forks it first");
        ca->parent_req = pa->n_reqs - 1;
        return 0;
    }
    if (!have_t || !have_in || !have_out || !have_ids)
        return kt_error_at(s, at, "missing \"%s\"; expected a request {\"t\", \"in\", \"out\", \"hash_ids\", ...}",
                           !have_t     ? "t"
                           : !have_in  ? "in"
                           : !have_out ? "out"
                                       : "hash_ids");
    if (wl_grow((void **)&s->reqs, sizeof *s->reqs, s->n_reqs + 1, &s->cap_reqs))
        return kt_error_at(s, at, "out of memory");
    /* Requests are stored in parse order with their agent in req0 of a scratch field: see kt_group. */
    r.child0 = agent;
    s->reqs[s->n_reqs++] = r;
    s->agents[agent].n_reqs++;
    return 0;
}

static int kt_parse_requests(kt_state_t *s, uint32_t agent)
{
    bool first = true;
    int rc;
    if (wl_js_array_begin(&s->j))
        return kt_syntax(s);
    for (size_t i = 0; (rc = wl_js_array_next(&s->j, &first)) == 1; i++) {
        size_t mark = kt_path_push(s, "[%zu]", i);
        if (kt_parse_entry(s, agent, i))
            return -1;
        s->jpath[mark] = '\0';
    }
    return rc < 0 ? kt_syntax(s) : 0;
}

/* Reorders the requests per agent (they were appended in parse order, sub-agents' inside their parent's)
 * and links each sub-agent to the request it follows. */
static int kt_group(kt_state_t *s)
{
    size_t *start = calloc(s->n_agents + 1, sizeof *start);
    kt_req_t *sorted = malloc((s->n_reqs ? s->n_reqs : 1) * sizeof *sorted);
    if (!start || !sorted) {
        free(start);
        free(sorted);
        return -1;
    }
    for (size_t a = 0; a < s->n_agents; a++)
        start[a + 1] = start[a] + s->agents[a].n_reqs;
    for (size_t a = 0; a < s->n_agents; a++)
        s->agents[a].req0 = (uint32_t)start[a];
    for (size_t i = 0; i < s->n_reqs; i++) {
        kt_req_t r = s->reqs[i];
        uint32_t a = r.child0;
        r.child0 = 0;
        r.n_children = 0;
        sorted[start[a]++] = r;
    }
    free(start);
    free(s->reqs);
    s->reqs = sorted;
    s->cap_reqs = s->n_reqs;
    /* Sub-agents were numbered in parse order, so those of one request are consecutive. */
    for (uint32_t a = 1; a < s->n_agents; a++) {
        kt_agent_t *ca = &s->agents[a];
        kt_req_t *pr = &s->reqs[s->agents[ca->parent].req0 + ca->parent_req];
        if (pr->n_children == 0)
            pr->child0 = a;
        pr->n_children++;
    }
    return 0;
}

static void kt_emit_agent(kt_state_t *s, uint32_t a)
{
    const kt_agent_t *ag = &s->agents[a];
    for (uint32_t i = 0; i < ag->n_reqs; i++) {
        s->order_agent[s->n_order] = a;
        s->order_req[s->n_order] = i;
        s->n_order++;
        const kt_req_t *r = &s->reqs[ag->req0 + i];
        for (uint32_t c = 0; c < r->n_children; c++)
            kt_emit_agent(s, r->child0 + c);
    }
}

static int kt_load(kt_state_t *s)
{
    wl_js_init(&s->j, s->text, s->len);
    s->cur_line = 1;
    s->block_tokens = 64;
    s->local = true;
    /* First pass: the top-level scalars (their keys may come after "requests"). */
    bool first = true;
    const char *k;
    size_t kl;
    int rc;
    bool have_reqs = false;
    if (wl_js_object_begin(&s->j))
        return kt_syntax(s);
    while ((rc = wl_js_object_next(&s->j, &first, &k, &kl)) == 1) {
        if (WL_JS_KEY(k, kl, "block_size")) {
            size_t at = wl_js_offset(&s->j);
            if (kt_u32(s, "block_size", &s->block_tokens))
                return -1;
            if (s->block_tokens == 0)
                return kt_error_at(s, at, "block_size is 0; expected tokens per block >= 1");
        } else if (WL_JS_KEY(k, kl, "hash_id_scope")) {
            const char *v;
            size_t vl, at = wl_js_offset(&s->j);
            if (wl_js_string(&s->j, &v, &vl, "hash_id_scope"))
                return kt_syntax(s);
            if (WL_JS_KEY(v, vl, "global"))
                s->local = false;
            else if (!WL_JS_KEY(v, vl, "local"))
                return kt_error_at(s, at, "hash_id_scope \"%.*s\"; expected \"local\" or \"global\"", (int)vl, v);
        } else {
            if (WL_JS_KEY(k, kl, "requests"))
                have_reqs = true;
            if (wl_js_skip(&s->j))
                return kt_syntax(s);
        }
    }
    if (rc < 0 || wl_js_finish(&s->j))
        return kt_syntax(s);
    if (!have_reqs)
        return kt_error_at(s, 0, "missing \"requests\"; expected a conversation {\"block_size\", \"requests\": [...]}");
    /* Second pass: the agents. */
    s->agents = calloc(1, sizeof *s->agents);
    if (!s->agents)
        return kt_error_at(s, 0, "out of memory");
    s->cap_agents = s->n_agents = 1;
    s->agents[0].duration_s = -1;
    wl_js_init(&s->j, s->text, s->len);
    first = true;
    wl_js_object_begin(&s->j);
    while ((rc = wl_js_object_next(&s->j, &first, &k, &kl)) == 1) {
        if (WL_JS_KEY(k, kl, "requests")) {
            snprintf(s->jpath, sizeof s->jpath, "requests");
            if (kt_parse_requests(s, 0))
                return -1;
            s->jpath[0] = '\0';
        } else if (WL_JS_KEY(k, kl, "system_tokens")) {
            if (kt_u32(s, "system_tokens", &s->agents[0].system_tokens))
                return -1;
        } else if (WL_JS_KEY(k, kl, "tool_tokens")) {
            if (kt_u32(s, "tool_tokens", &s->agents[0].tool_tokens))
                return -1;
        } else {
            wl_js_skip(&s->j);
        }
    }
    if (s->agents[0].n_reqs == 0)
        return kt_error_at(s, 0, "requests: no request; expected at least one");
    if (s->n_agents > (1u << 20))
        return kt_error_at(s, 0, "more than 2^20 sub-agents in one conversation");
    if (kt_group(s))
        return kt_error_at(s, 0, "out of memory");
    s->order_agent = malloc(s->n_reqs * sizeof *s->order_agent);
    s->order_req = malloc(s->n_reqs * sizeof *s->order_req);
    if (!s->order_agent || !s->order_req)
        return kt_error_at(s, 0, "out of memory");
    kt_emit_agent(s, 0);
    for (uint32_t a = 0; a < s->n_agents; a++)
        s->agents[a].session_id = ((uint64_t)s->o.conv_index << 20) | a;
    s->agents[0].base_s = s->o.time_offset_s;
    /* Times need no recorded-time ordering check across agents; within one agent t must not go back. */
    for (uint32_t a = 0; a < s->n_agents; a++) {
        const kt_agent_t *ag = &s->agents[a];
        for (uint32_t i = 1; i < ag->n_reqs; i++) {
            const kt_req_t *r = &s->reqs[ag->req0 + i], *p = r - 1;
            if (r->t < p->t) {
                if (!s->o.allow_backwards_time) {
                    s->jpath[0] = '\0';
                    return kt_error_at(s, r->off,
                                       "t %.3f s goes backwards (previous request %.3f s); expected non-decreasing "
                                       "times (allow_backwards_time to warn instead)",
                                       r->t, p->t);
                }
                s->backwards++;
            }
        }
    }
    return 0;
}

static int kt_open(void **state, const char *path, const wl_reader_opts_t *o, char *err, size_t errlen)
{
    kt_state_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    s->o = *o;
    s->ns = (uint64_t)o->conv_index + 1;
    if (s->ns > WL_NS_MAX) {
        snprintf(err, errlen, "%s: more than %llu conversations; expected fewer", path, (unsigned long long)WL_NS_MAX);
        free(s);
        return -1;
    }
    if (wl_slurp(path, KT_MAX_TEXT_BYTES, &s->text, &s->len, err, errlen)) {
        free(s);
        return -1;
    }
    s->err = s->msg;
    s->errlen = sizeof s->msg;
    if (kt_load(s))
        s->failed = true; /* reported by the first next(), so that --skip-bad can count it */
    *state = s;
    return 0;
}

/* Recorded completion of a request on the conversation clock (its start when api_time is absent). */
static double kt_req_end(const kt_state_t *s, uint32_t a, const kt_req_t *r)
{
    return s->agents[a].base_s + r->t + (r->api >= 0 ? r->api : 0);
}

static int kt_next(void *state, wl_request_t *req, wl_sess_info_t *info, char *err, size_t errlen)
{
    kt_state_t *s = state;
    if (s->failed) {
        if (s->pos == SIZE_MAX)
            return WL_REC_EOF;
        s->pos = SIZE_MAX;
        snprintf(err, errlen, "%s", s->msg);
        return WL_REC_BAD;
    }
    if (s->pos >= s->n_order)
        return WL_REC_EOF;
    uint32_t a = s->order_agent[s->pos], i = s->order_req[s->pos];
    s->pos++;
    kt_agent_t *ag = &s->agents[a];
    const kt_req_t *r = &s->reqs[ag->req0 + i];
    memset(info, 0, sizeof *info);
    info->parent_session = a == 0 ? WL_NO_SESSION : s->agents[ag->parent].session_id;
    info->parent_turn = ag->parent_req;
    info->fork = r->n_children;
    info->last = i + 1 == ag->n_reqs;
    info->think_rec_s = r->think;
    info->shared_prefix_tokens = ag->system_tokens + ag->tool_tokens;
    info->line = r->line;
    if (i == 0 && a != 0) {
        /* A sub-agent's clock: from its end and duration; else it starts as the forking request ends. */
        const kt_agent_t *pa = &s->agents[ag->parent];
        const kt_req_t *fr = &s->reqs[pa->req0 + ag->parent_req];
        double fork_end = kt_req_end(s, ag->parent, fr);
        ag->base_s = ag->duration_s >= 0 ? pa->base_s + ag->end_t - ag->duration_s : fork_end;
        double gap = ag->base_s - fork_end;
        req->think_s = gap > 0 ? gap : 0;
        info->delay_known = ag->duration_s >= 0 && fr->api >= 0;
        info->tool_s = req->think_s;
    } else if (i == 0) {
        req->think_s = 0;
        info->delay_known = true;
    } else {
        const kt_req_t *p = r - 1;
        if (p->n_children > 0) {
            double join = -HUGE_VAL;
            bool known = true;
            for (uint32_t c = 0; c < p->n_children; c++) {
                const kt_agent_t *ca = &s->agents[p->child0 + c];
                const kt_req_t *last = &s->reqs[ca->req0 + ca->n_reqs - 1];
                double end = ca->base_s + last->t + (last->api >= 0 ? last->api : 0);
                known = known && last->api >= 0 && ca->duration_s >= 0;
                if (end > join)
                    join = end;
            }
            double d = ag->base_s + r->t - join;
            req->think_s = d > 0 ? d : 0;
            info->delay_known = known;
        } else if (r->think >= 0) {
            req->think_s = r->think;
            info->delay_known = true;
        } else {
            double d = r->t - p->t - (p->api >= 0 ? p->api : 0);
            req->think_s = d > 0 ? d : 0;
            info->delay_known = false;
        }
        info->tool_s = p->tool_stop || p->n_children > 0 ? req->think_s : 0;
    }
    if (wl_request_reserve(req, r->n_ids)) {
        snprintf(err, errlen, "%s: out of memory", s->path);
        return WL_REC_FATAL;
    }
    if (r->n_ids)
        memcpy(req->block_ids, s->ids + r->ids_off, (size_t)r->n_ids * sizeof *req->block_ids);
    req->n_blocks = r->n_ids;
    req->input_tokens = r->in;
    req->output_tokens = r->out;
    req->block_tokens = s->block_tokens;
    req->arrival_s = ag->base_s + r->t;
    req->session_id = ag->session_id;
    req->turn = i;
    req->depth = ag->depth;
    req->recorded_api_s = r->api;
    req->session_ref = NULL;
    return WL_REC_OK;
}

const wl_reader_ops_t wl_reader_kvtester = {
    .name = "kvtester",
    .description = "agentic sessions, kv-cache-tester JSON: one conversation per file (or a directory of them), "
                   "nested sub-agents, local or global hash ids",
    .whole_conversations = true,
    .sessions = true,
    .extensions = "*.json, *.json.gz (a file or a directory)",
    .probe = kt_probe,
    .open = kt_open,
    .next = kt_next,
    .backwards = kt_backwards,
    .close = kt_close,
};
