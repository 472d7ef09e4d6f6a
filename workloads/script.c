/* Session scripts and the record-to-script assembler; see script.h. */
#include "workloads/script.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/u64map.h"

static int wl_grow32(void **p, size_t elem, size_t need, uint32_t *cap)
{
    size_t c = *cap;
    if (wl_grow(p, elem, need, &c))
        return -1;
    if (c > UINT32_MAX)
        return -1;
    *cap = (uint32_t)c;
    return 0;
}

wl_script_t *wl_script_new(uint64_t session_id, uint32_t depth)
{
    wl_script_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->session_id = session_id;
    s->parent_session = WL_NO_SESSION;
    s->depth = depth;
    s->start_s = NAN;
    s->origin_s = NAN;
    return s;
}

void wl_script_free(wl_script_t *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n_children; i++)
        wl_script_free(s->children[i]);
    free(s->children);
    free(s->turns);
    free(s->ids);
    free(s->runs);
    free(s->last_ids);
    free(s);
}

size_t wl_script_bytes(const wl_script_t *s)
{
    size_t b = sizeof *s + (size_t)s->cap_turns * sizeof *s->turns + s->cap_ids * sizeof *s->ids +
               s->cap_runs * sizeof *s->runs + (size_t)s->cap_children * sizeof *s->children +
               (size_t)s->cap_last * sizeof *s->last_ids;
    for (uint32_t i = 0; i < s->n_children; i++)
        b += wl_script_bytes(s->children[i]);
    return b;
}

static wl_sturn_t *wl_script_new_turn(wl_script_t *s)
{
    if (wl_grow32((void **)&s->turns, sizeof *s->turns, (size_t)s->n_turns + 1, &s->cap_turns))
        return NULL;
    wl_sturn_t *t = &s->turns[s->n_turns];
    memset(t, 0, sizeof *t);
    t->child0 = s->n_children;
    return t;
}

int wl_script_add_turn(wl_script_t *s, const wl_request_t *req, const wl_sess_info_t *info)
{
    wl_sturn_t *t = wl_script_new_turn(s);
    if (!t)
        return -1;
    uint32_t same = 0;
    while (same < req->n_blocks && same < s->n_last && s->last_ids[same] == req->block_ids[same])
        same++;
    uint32_t fresh = req->n_blocks - same;
    if (wl_grow((void **)&s->ids, sizeof *s->ids, s->n_ids + fresh, &s->cap_ids) ||
        wl_grow32((void **)&s->last_ids, sizeof *s->last_ids, req->n_blocks, &s->cap_last))
        return -1;
    if (fresh)
        memcpy(s->ids + s->n_ids, req->block_ids + same, (size_t)fresh * sizeof *s->ids);
    if (req->n_blocks)
        memcpy(s->last_ids, req->block_ids, (size_t)req->n_blocks * sizeof *s->ids);
    s->n_last = req->n_blocks;
    t->input_tokens = req->input_tokens;
    t->output_tokens = req->output_tokens;
    t->block_tokens = req->block_tokens;
    t->n_blocks = req->n_blocks;
    t->n_same = same;
    t->off = s->n_ids;
    s->n_ids += fresh;
    t->rec_t_s = req->arrival_s;
    t->delay_s = req->think_s;
    t->api_s = req->recorded_api_s;
    t->tool_s = info ? info->tool_s : 0;
    t->think_rec_s = info ? info->think_rec_s : -1;
    t->delay_known = info ? info->delay_known : false;
    if (s->n_turns == 0) {
        if (info && info->shared_prefix_tokens)
            s->shared_prefix_tokens = info->shared_prefix_tokens;
        if (s->parent_session == WL_NO_SESSION)
            s->start_s = req->arrival_s;
    }
    s->n_turns++;
    return 0;
}

int wl_script_add_run_turn(wl_script_t *s, const wl_sturn_t *src, const wl_run_t *runs, uint32_t n_runs)
{
    assert(n_runs > 0);
    wl_sturn_t *t = wl_script_new_turn(s);
    if (!t || wl_grow((void **)&s->runs, sizeof *s->runs, s->n_runs + n_runs, &s->cap_runs))
        return -1;
    uint32_t child0 = t->child0;
    *t = *src;
    t->child0 = child0;
    t->fork = 0;
    t->n_runs = n_runs;
    t->n_same = 0;
    t->off = s->n_runs;
    memcpy(s->runs + s->n_runs, runs, (size_t)n_runs * sizeof *runs);
    s->n_runs += n_runs;
    s->n_turns++;
    return 0;
}

int wl_script_add_child(wl_script_t *s, wl_script_t *child)
{
    assert(s->n_turns > 0);
    if (wl_grow32((void **)&s->children, sizeof *s->children, (size_t)s->n_children + 1, &s->cap_children))
        return -1;
    wl_sturn_t *t = &s->turns[s->n_turns - 1];
    assert(t->child0 + t->fork == s->n_children);
    s->children[s->n_children++] = child;
    t->fork++;
    child->parent_session = s->session_id;
    child->parent_turn = s->n_turns - 1;
    return 0;
}

void wl_ctx_free(wl_ctx_t *c)
{
    free(c->ids);
    c->ids = NULL;
    c->n = c->cap = 0;
}

int wl_script_fill(const wl_script_t *s, uint32_t k, wl_ctx_t *ctx, wl_request_t *req)
{
    assert(k < s->n_turns);
    const wl_sturn_t *t = &s->turns[k];
    req->input_tokens = t->input_tokens;
    req->output_tokens = t->output_tokens;
    req->block_tokens = t->block_tokens;
    req->turn = k;
    req->depth = s->depth;
    req->session_id = s->session_id;
    req->recorded_api_s = t->api_s;
    req->think_s = t->delay_s;
    if (t->n_runs) {
        /* Runs hold the raw stream numbers of the native format; hash them as the native reader does, so a
         * generated session and its `kvtwin gen` file give identical ids. */
        wl_run_t runs[WL_MAX_RUNS];
        assert(t->n_runs <= WL_MAX_RUNS);
        for (uint32_t i = 0; i < t->n_runs; i++) {
            runs[i].stream = wl_stream_of_number(s->runs[t->off + i].stream);
            runs[i].tokens = s->runs[t->off + i].tokens;
        }
        if (wl_ids_from_runs(req, runs, t->n_runs, wl_stream_fresh(s->session_id, k)))
            return -1;
        return 0; /* run turns need no context: every turn's ids come from its own runs */
    } else {
        assert(t->n_same <= ctx->n);
        if (wl_request_reserve(req, t->n_blocks))
            return -1;
        if (t->n_same)
            memcpy(req->block_ids, ctx->ids, (size_t)t->n_same * sizeof *req->block_ids);
        if (t->n_blocks > t->n_same)
            memcpy(req->block_ids + t->n_same, s->ids + t->off,
                   (size_t)(t->n_blocks - t->n_same) * sizeof *req->block_ids);
        req->n_blocks = t->n_blocks;
    }
    if (req->n_blocks > ctx->cap) {
        uint64_t *n = realloc(ctx->ids, (size_t)req->n_blocks * sizeof *n);
        if (!n)
            return -1;
        ctx->ids = n;
        ctx->cap = req->n_blocks;
    }
    if (req->n_blocks)
        memcpy(ctx->ids, req->block_ids, (size_t)req->n_blocks * sizeof *ctx->ids);
    ctx->n = req->n_blocks;
    return 0;
}

/* ---- assembler ---- */

typedef struct asm_root {
    wl_script_t *script;
    size_t open;     /* scripts of the tree whose last turn has not been seen */
    size_t expected; /* children announced by forks, not seen yet */
    struct asm_root *next;
} asm_root_t;

typedef struct asm_node {
    wl_script_t *script;
    asm_root_t *root;
} asm_node_t;

struct wl_asm {
    u64map_t nodes; /* session id -> asm_node_t, for every script of an unfinished tree */
    asm_root_t *head, *tail;
    size_t pending;
};

wl_asm_t *wl_asm_new(void)
{
    wl_asm_t *a = calloc(1, sizeof *a);
    if (a)
        u64map_init(&a->nodes);
    return a;
}

static void asm_forget(wl_asm_t *a, wl_script_t *s)
{
    void *v;
    if (s->session_id != WL_NO_SESSION && (v = u64map_get_ptr(&a->nodes, s->session_id)) != NULL) {
        free(v);
        u64map_del(&a->nodes, s->session_id);
    }
    for (uint32_t i = 0; i < s->n_children; i++)
        asm_forget(a, s->children[i]);
}

void wl_asm_free(wl_asm_t *a)
{
    if (!a)
        return;
    while (a->head) {
        asm_root_t *r = a->head;
        a->head = r->next;
        asm_forget(a, r->script);
        wl_script_free(r->script);
        free(r);
    }
    u64map_free(&a->nodes);
    free(a);
}

static void asm_mark_complete(wl_script_t *s)
{
    s->complete = true;
    free(s->last_ids);
    s->last_ids = NULL;
    s->n_last = s->cap_last = 0;
}

/* Appends a top-level session to the queue of sessions waiting to be delivered. */
static void asm_append_root(wl_asm_t *a, asm_root_t *r)
{
    if (a->tail)
        a->tail->next = r;
    else
        a->head = r;
    a->tail = r;
    a->pending++;
}

int wl_asm_add(wl_asm_t *a, const wl_request_t *req, const wl_sess_info_t *info, char *err, size_t errlen)
{
    if (req->session_id == WL_NO_SESSION) {
        /* A request without a session is a session of one turn starting at its arrival. */
        wl_script_t *s = wl_script_new(WL_NO_SESSION, req->depth);
        asm_root_t *r = calloc(1, sizeof *r);
        if (!s || !r || wl_script_add_turn(s, req, info)) {
            wl_script_free(s);
            free(r);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        asm_mark_complete(s);
        r->script = s;
        asm_append_root(a, r);
        return 0;
    }
    asm_node_t *node = u64map_get_ptr(&a->nodes, req->session_id);
    if (!node) {
        if (req->turn != 0) {
            snprintf(err, errlen, "session %llu starts at turn %u; expected turn 0 first",
                     (unsigned long long)req->session_id, req->turn);
            return -1;
        }
        wl_script_t *s = wl_script_new(req->session_id, req->depth);
        node = calloc(1, sizeof *node);
        if (!s || !node) {
            wl_script_free(s);
            free(node);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        node->script = s;
        if (info->parent_session == WL_NO_SESSION) {
            asm_root_t *r = calloc(1, sizeof *r);
            if (!r) {
                wl_script_free(s);
                free(node);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            r->script = s;
            r->open = 1;
            node->root = r;
            asm_append_root(a, r);
        } else {
            asm_node_t *pn = u64map_get_ptr(&a->nodes, info->parent_session);
            const char *why = NULL;
            if (!pn)
                why = "its parent is unknown or already finished (the parent's forking turn must come first "
                      "and announce the sub-agents with \"fork\")";
            else if (pn->script->n_turns != info->parent_turn + 1)
                why = "the parent has no such turn, or has already gone past it (sub-agents must follow the "
                      "forking turn, before the parent's next turn)";
            if (why) {
                snprintf(err, errlen, "sub-agent session %llu of session %llu forked after turn %u: %s",
                         (unsigned long long)req->session_id, (unsigned long long)info->parent_session,
                         info->parent_turn, why);
                wl_script_free(s);
                free(node);
                return -1;
            }
            if (wl_script_add_child(pn->script, s)) {
                wl_script_free(s);
                free(node);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            node->root = pn->root;
            node->root->open++;
            if (node->root->expected > 0)
                node->root->expected--;
        }
        u64map_put_ptr(&a->nodes, req->session_id, node);
    } else {
        wl_script_t *s = node->script;
        if (s->complete) {
            snprintf(err, errlen, "session %llu turn %u comes after the turn marked last (%u)",
                     (unsigned long long)req->session_id, req->turn, s->n_turns - 1);
            return -1;
        }
        if (req->turn != s->n_turns) {
            snprintf(err, errlen, "session %llu turn %u follows turn %u; expected turn %u",
                     (unsigned long long)req->session_id, req->turn, s->n_turns - 1, s->n_turns);
            return -1;
        }
    }
    if (wl_script_add_turn(node->script, req, info)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    node->root->expected += info->fork;
    if (info->last) {
        asm_mark_complete(node->script);
        node->root->open--;
    }
    return 0;
}

wl_script_t *wl_asm_pop(wl_asm_t *a)
{
    asm_root_t *r = a->head;
    if (!r || r->open > 0 || r->expected > 0)
        return NULL;
    a->head = r->next;
    if (!a->head)
        a->tail = NULL;
    a->pending--;
    asm_forget(a, r->script);
    wl_script_t *s = r->script;
    free(r);
    return s;
}

static void asm_complete_tree(wl_script_t *s)
{
    if (!s->complete)
        asm_mark_complete(s);
    for (uint32_t i = 0; i < s->n_children; i++)
        asm_complete_tree(s->children[i]);
}

void wl_asm_finish(wl_asm_t *a)
{
    for (asm_root_t *r = a->head; r; r = r->next) {
        asm_complete_tree(r->script);
        r->open = 0;
        r->expected = 0;
    }
}

size_t wl_asm_pending(const wl_asm_t *a)
{
    return a->pending;
}
