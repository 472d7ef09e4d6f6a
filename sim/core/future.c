/* The trace's future order; see future.h. */
#include "sim/core/future.h"

#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "sim/base/mix.h"
#include "sim/base/u64map.h"
#include "sim/config/config.h"
#include "sim/kv/oracle.h"
#include "sim/kv/policy.h"

struct future {
    u64map_t row;   /* request key -> row */
    uint64_t *off;  /* rows + 1 offsets into next */
    uint32_t *n;    /* blocks of each row */
    uint64_t *next; /* next use of every reference, in trace order */
    uint64_t rows;
};

static uint64_t future_key(const wl_request_t *w)
{
    if (w->session_id == WL_NO_SESSION)
        return kvt_splitmix64(w->id ^ 0x5bd1e995u);
    return kvt_splitmix64(w->session_id ^ kvt_splitmix64((uint64_t)w->turn + 1));
}

/* Block ids a request uses: at most ceil(input / block), as dispatch_prepare counts them. */
static uint32_t future_blocks(const wl_request_t *w, uint32_t bt)
{
    uint64_t covering = ((uint64_t)w->input_tokens + bt - 1) / bt;
    return w->n_blocks < covering ? w->n_blocks : (uint32_t)covering;
}

int future_build(pod_t *p, char *err, size_t errlen)
{
    bool needed = false;
    for (int t = 0; t < KV_NTIERS; t++) {
        const sc_kv_tier_t *tc = &p->sc->kv.tier[t];
        const kv_policy_ops_t *ops = tc->enabled && tc->policy[0] ? kv_policy_find(tc->policy) : NULL;
        needed |= ops && ops->needs_next_use;
    }
    if (!needed)
        return 0;
    wl_config_t wc = p->sc->workload;
    wc.replay = WL_OPEN_LOOP;
    wl_source_t *src = NULL;
    char msg[768];
    if (wl_source_open(&src, &wc, msg, sizeof msg)) {
        cfg_doc_error(&p->sc->doc, "workload", msg, err, errlen);
        return -1;
    }
    future_t *f = kvt_malloc(sizeof *f);
    memset(f, 0, sizeof *f);
    u64map_init(&f->row);
    uint64_t *ids = NULL, cap_ids = 0, cap_rows = 0, nref = 0;
    wl_request_t req;
    memset(&req, 0, sizeof req);
    int rc;
    while ((rc = wl_source_next(src, &req, msg, sizeof msg)) == 1) {
        uint32_t bt = req.block_tokens ? req.block_tokens : p->block_tokens;
        uint32_t n = future_blocks(&req, bt);
        if (f->rows + 1 >= cap_rows) {
            cap_rows = cap_rows ? cap_rows * 2 : 1024;
            f->off = kvt_realloc(f->off, cap_rows, sizeof *f->off);
            f->n = kvt_realloc(f->n, cap_rows, sizeof *f->n);
        }
        while (nref + n > cap_ids) {
            cap_ids = cap_ids ? cap_ids * 2 : 1 << 16;
            ids = kvt_realloc(ids, cap_ids, sizeof *ids);
        }
        memcpy(ids + nref, req.block_ids, (size_t)n * sizeof *ids);
        f->off[f->rows] = nref;
        f->n[f->rows] = n;
        u64map_put(&f->row, future_key(&req), f->rows);
        f->rows++;
        nref += n;
    }
    wl_request_free(&req);
    wl_source_close(src);
    if (rc < 0) {
        free(ids);
        future_free(f);
        cfg_doc_error(&p->sc->doc, "workload", msg, err, errlen);
        return -1;
    }
    f->next = kvt_malloc((size_t)(nref ? nref : 1) * sizeof *f->next);
    kv_oracle_next_use(ids, (size_t)nref, f->next);
    free(ids);
    p->future = f;
    return 0;
}

const uint64_t *future_next_use(const future_t *f, const wl_request_t *w, uint32_t n_blocks)
{
    uint64_t row;
    if (!f || !u64map_get(&f->row, future_key(w), &row) || f->n[row] < n_blocks)
        return NULL;
    return f->next + f->off[row];
}

void future_free(future_t *f)
{
    if (!f)
        return;
    u64map_free(&f->row);
    free(f->off);
    free(f->n);
    free(f->next);
    free(f);
}
