/* Fault injection; see faults.h. */
#include "sim/core/faults.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "sim/base/mix.h"
#include "sim/core/engine.h"
#include "sim/core/storage_path.h"
#include "sim/core/xfer.h"
#include "sim/out/metrics.h"
#include "sim/sched/route.h"

typedef struct faults_enc {
    uint32_t enc, n, width, drive, drives;
} faults_enc_t;

static bool faults_on_enclosure(uint64_t id, void *arg)
{
    const faults_enc_t *f = arg;
    return sp_stripe_enclosure(id, f->n, f->width) == f->enc;
}

static bool faults_on_drive(uint64_t id, void *arg)
{
    const faults_enc_t *f = arg;
    return sp_stripe_enclosure(id, f->n, f->width) == f->enc && faults_drive_of_block(id, f->drives) == f->drive;
}

static bool faults_on_g4_server(uint64_t id, void *arg)
{
    const faults_enc_t *f = arg;
    /* The G4 server map of platform.c (pf_g4_of_block), with its own hash salt. */
    return (uint32_t)(kvt_mix64(id ^ 0x5bd1e995u) % f->n) == f->enc;
}

static bool faults_all(uint64_t id, void *arg)
{
    (void)id;
    (void)arg;
    return true;
}

uint64_t faults_lose_enclosure(kv_mgr_t *kv, uint32_t enc, uint32_t n_enc, uint32_t stripe_width)
{
    if (n_enc == 0 || enc >= n_enc)
        return 0;
    faults_enc_t f = {enc, n_enc, stripe_width, 0, 0};
    return kv_drop_where(kv, KV_G35, faults_on_enclosure, &f);
}

uint32_t faults_drive_of_block(uint64_t id, uint32_t drives)
{
    return drives ? (uint32_t)(kvt_mix64(id ^ 0x2545f4914f6cdd1dull) % drives) : 0;
}

uint64_t faults_lose_drive(kv_mgr_t *kv, uint32_t enc, uint32_t drive, uint32_t n_enc, uint32_t stripe_width,
                           uint32_t drives)
{
    if (n_enc == 0 || enc >= n_enc || drive >= drives)
        return 0;
    faults_enc_t f = {enc, n_enc, stripe_width, drive, drives};
    return kv_drop_where(kv, KV_G35, faults_on_drive, &f);
}

static int faults_bad(pod_t *p, int i, const char *what, char *err, size_t errlen)
{
    char msg[256];
    snprintf(msg, sizeof msg, "fault %d: %s", i, what);
    cfg_doc_error(&p->sc->doc, "faults", msg, err, errlen);
    return -1;
}

/* Parses one target into f; 0, or -1 with what is wrong in what. */
static int faults_target(const pod_t *p, const char *t, fault_t *f, char *what, size_t wlen)
{
    const platform_t *pf = &p->pf;
    unsigned a, b;
    char tail;
    uint32_t count;
    const char *noun;
    if (sscanf(t, "icms:%u/drive:%u%c", &a, &b, &tail) == 2) {
        f->kind = FK_DRIVE;
        count = pf->n_icms;
        noun = "ICMS enclosures";
        uint32_t drives = pf->hw->icms.ssds_per_enclosure;
        if (a < count && b >= drives) {
            snprintf(what, wlen, "target %.60s: the enclosures have %u drives (hardware.icms.ssds_per_enclosure)", t,
                     drives);
            return -1;
        }
        f->sub = b;
    } else if (sscanf(t, "icms:%u%c", &a, &tail) == 1) {
        f->kind = FK_ICMS;
        count = pf->n_icms;
        noun = "ICMS enclosures";
    } else if (sscanf(t, "g4:%u%c", &a, &tail) == 1) {
        f->kind = FK_G4;
        count = pf->n_g4;
        noun = "G4 servers";
    } else if (sscanf(t, "leaf:%u%c", &a, &tail) == 1) {
        f->kind = FK_LEAF;
        count = pf->n_leaf;
        noun = "leaf switches";
    } else if (sscanf(t, "node:%u%c", &a, &tail) == 1) {
        f->kind = FK_NODE;
        count = pf->n_nodes;
        noun = "compute nodes";
        if (p->dg) {
            snprintf(what, wlen, "target %.60s: node faults are not modelled with disaggregation", t);
            return -1;
        }
        f->sub = a;
        if (a < count)
            a = pf->nodes_per_domain ? a / pf->nodes_per_domain : a;
    } else if (strncmp(t, "link:", 5) == 0) {
        f->kind = FK_LINK;
        for (uint32_t l = 0; l < pf->n_links; l++)
            if (strcmp(pf->links[l].name, t + 5) == 0) {
                f->idx = l;
                return 0;
            }
        snprintf(what, wlen, "target %.60s: no such link in the platform (names as in platform.xml, e.g. \"up-0\")", t);
        return -1;
    } else {
        snprintf(what, wlen,
                 "target \"%.60s\": expected \"icms:E\", \"icms:E/drive:D\", \"g4:S\", \"link:NAME\", \"leaf:L\" or "
                 "\"node:N\"",
                 t);
        return -1;
    }
    if (a >= count) {
        snprintf(what, wlen, "target %.60s: the pod has %u %s", t, count, noun);
        return -1;
    }
    f->idx = a;
    return 0;
}

/* ---- failed writes ------------------------------------------------------------------------------------- */

/* The cache's events: what enters a tier instance is recorded for the write that carries it; everything
 * goes on to a router that keeps its own view of the cache. */
static void faults_kv_event(void *ctx, double now_s, int tier, uint32_t loc, uint64_t id, bool added)
{
    pod_t *p = ctx;
    if (p->router.kv_events)
        sched_router_kv_event(&p->router, now_s, tier, loc, id, added);
    struct faults *f = p->faults;
    if (!added)
        return;
    if (f->n_added == f->cap_added) {
        f->cap_added = f->cap_added ? 2 * f->cap_added : 256;
        f->added = kvt_realloc(f->added, f->cap_added, sizeof *f->added);
    }
    f->added[f->n_added++] = (struct faults_added){id, loc, tier};
}

void faults_watch_writes(pod_t *p)
{
    kv_set_event_hook(p->kv, faults_kv_event, p); /* after the router's: it forwards to it */
}

xfer_wrec_t *faults_write_record(pod_t *p, const kv_move_t *m)
{
    struct faults *f = p->faults;
    if (!f)
        return NULL;
    uint32_t n = 0;
    for (size_t i = 0; i < f->n_added; i++)
        n += f->added[i].tier == m->dst_tier && f->added[i].loc == m->dst_loc;
    xfer_wrec_t *w = kvt_malloc(sizeof *w + (n ? n : 1) * sizeof w->ids[0]);
    *w = (xfer_wrec_t){.tier = m->dst_tier, .loc = m->dst_loc, .moves = 1, .cap = n};
    for (size_t i = 0; i < f->n_added; i++)
        if (f->added[i].tier == m->dst_tier && f->added[i].loc == m->dst_loc)
            w->ids[w->n++] = f->added[i].id;
    return w;
}

void faults_moves_drained(pod_t *p)
{
    if (p->faults)
        p->faults->n_added = 0;
}

static int faults_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct faults_ids {
    const uint64_t *ids;
    size_t n;
} faults_ids_t;

static bool faults_in_ids(uint64_t id, void *arg)
{
    const faults_ids_t *s = arg;
    return bsearch(&id, s->ids, s->n, sizeof *s->ids, faults_cmp_u64) != NULL;
}

void faults_write_failed(pod_t *p, xfer_wrec_t *w)
{
    struct faults *f = p->faults;
    if (!f)
        return;
    f->writes_failed += w->moves;
    bool any = false;
    for (uint32_t i = 0; i < w->n && !any; i++)
        any = kv_resident(p->kv, w->tier, w->loc, w->ids[i]);
    if (!any)
        return; /* evicted since, or dropped by the fault itself */
    qsort(w->ids, w->n, sizeof w->ids[0], faults_cmp_u64);
    faults_ids_t s = {w->ids, w->n};
    f->write_blocks_dropped += kv_drop_where_at(p->kv, w->tier, w->loc, faults_in_ids, &s);
}

int faults_prepare(pod_t *p, char *err, size_t errlen)
{
    p->faults = NULL;
    const cJSON *arr = p->sc->faults;
    int n = arr ? cJSON_GetArraySize(arr) : 0;
    if (n == 0)
        return 0;
    const platform_t *pf = &p->pf;
    struct faults *f = kvt_calloc(1, sizeof *f);
    f->list = kvt_calloc((size_t)n, sizeof *f->list);
    f->n_enc = pf->n_icms;
    f->width = pf->hw->icms.stripe_enclosures;
    f->drives = pf->hw->icms.ssds_per_enclosure;
    f->down = kvt_calloc(f->n_enc + 1, sizeof *f->down);
    f->drives_down = kvt_calloc(f->n_enc + 1, sizeof *f->drives_down);
    f->essd_base = kvt_calloc(2 * (size_t)f->n_enc + 1, sizeof *f->essd_base);
    for (uint32_t e = 0; e < f->n_enc; e++) {
        f->essd_base[2 * e] = pf->links[pf->l_essd + e].bw_byte_s;
        f->essd_base[2 * e + 1] = pf->links[pf->l_essdw + e].bw_byte_s;
    }
    f->g4_down = kvt_calloc(pf->n_g4 + 1, sizeof *f->g4_down);
    f->leaf_down = kvt_calloc(pf->n_leaf + 1, sizeof *f->leaf_down);
    f->dom_down = kvt_calloc(pf->n_domains + 1, sizeof *f->dom_down);
    p->faults = f;
    faults_watch_writes(p);
    for (int i = 0; i < n; i++) {
        const cJSON *o = cJSON_GetArrayItem(arr, i);
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "at_s");
        const cJSON *dur = cJSON_GetObjectItemCaseSensitive(o, "duration_s");
        const cJSON *tg = cJSON_GetObjectItemCaseSensitive(o, "target");
        if (!cJSON_IsObject(o) || cJSON_GetArraySize(o) != 3 || !cJSON_IsNumber(at) || !cJSON_IsNumber(dur) ||
            !cJSON_IsString(tg))
            return faults_bad(p, i,
                              "expected exactly {\"at_s\": seconds, \"target\": \"icms:E\", \"duration_s\": seconds}",
                              err, errlen);
        if (!(at->valuedouble >= 0) || !(dur->valuedouble >= 0) || !isfinite(at->valuedouble) ||
            !isfinite(dur->valuedouble))
            return faults_bad(p, i, "at_s and duration_s must be finite and >= 0", err, errlen);
        fault_t *ft = &f->list[i];
        *ft = (fault_t){.at_s = at->valuedouble, .duration_s = dur->valuedouble};
        snprintf(ft->name, sizeof ft->name, "%s", tg->valuestring);
        char what[200];
        if (faults_target(p, tg->valuestring, ft, what, sizeof what))
            return faults_bad(p, i, what, err, errlen);
        f->n++;
    }
    return 0;
}

/* ---- what a fault breaks -------------------------------------------------------------------------------- */

static bool faults_ep_in_domain(const pod_t *p, pf_ep_t ep, uint32_t d)
{
    switch (ep.kind) {
    case PF_INST:
        return p->pf.domain_of_inst[ep.idx] == d;
    case PF_CPU:
    case PF_SSD:
        return ep.idx == d;
    default:
        return false;
    }
}

static bool faults_ep_is(pf_ep_t ep, uint8_t kind, uint32_t idx)
{
    return ep.kind == kind && ep.idx == idx;
}

/* A hop of `blocks` blocks on an enclosure covers that many of its drives from its first block's (all of
 * them once it has as many blocks); blocks 0 (not given): all. */
static bool faults_job_on_drive(const xfer_job_t *job, uint32_t drive, uint32_t drives)
{
    if (drives == 0 || job->blocks == 0 || job->blocks >= drives)
        return true;
    uint32_t d0 = faults_drive_of_block(job->first_block, drives);
    return (drive + drives - d0) % drives < job->blocks;
}

static bool faults_route_has(const pf_route_t *r, uint32_t first, uint32_t count)
{
    for (uint8_t i = 0; r && i < r->n; i++)
        if (r->hop[i].link >= first && r->hop[i].link < first + count)
            return true;
    return false;
}

/* True if fault ft breaks the path of job (on route r, NULL if not routed yet). */
static bool faults_hits(const pod_t *p, const fault_t *ft, const xfer_job_t *job, const pf_route_t *r)
{
    const platform_t *pf = &p->pf;
    switch (ft->kind) {
    case FK_ICMS:
        return faults_ep_is(job->src, PF_ICMS, ft->idx) || faults_ep_is(job->dst, PF_ICMS, ft->idx);
    case FK_DRIVE:
        return (faults_ep_is(job->src, PF_ICMS, ft->idx) || faults_ep_is(job->dst, PF_ICMS, ft->idx)) &&
               faults_job_on_drive(job, ft->sub, p->faults->drives);
    case FK_G4:
        return faults_ep_is(job->src, PF_G4, ft->idx) || faults_ep_is(job->dst, PF_G4, ft->idx);
    case FK_LINK:
        return faults_route_has(r, ft->idx, 1);
    case FK_LEAF:
        if (faults_route_has(r, pf->l_up + ft->idx * pf->n_spine, pf->n_spine))
            return true;
        return pf_route_networked(pf, job->src, job->dst) &&
               (pf_ep_leaf(pf, job->src) == ft->idx || pf_ep_leaf(pf, job->dst) == ft->idx);
    case FK_NODE:
        return faults_ep_in_domain(p, job->src, ft->idx) || faults_ep_in_domain(p, job->dst, ft->idx);
    default:
        return false;
    }
}

bool faults_path_down(const pod_t *p, const xfer_job_t *job, const pf_route_t *r)
{
    const struct faults *f = p->faults;
    if (!f)
        return false;
    for (uint32_t i = 0; i < f->n; i++) {
        const fault_t *ft = &f->list[i];
        /* A failed drive's enclosure still serves from its other drives. */
        if (ft->active && ft->kind != FK_DRIVE && faults_hits(p, ft, job, r))
            return true;
    }
    return false;
}

void faults_redirect(pod_t *p, xfer_job_t *job)
{
    if (!p->faults)
        return;
    if (job->dst.kind == PF_ICMS)
        job->dst.idx = faults_enclosure(p, job->dst.idx);
    else if (job->dst.kind == PF_G4)
        job->dst.idx = faults_g4_server(p, job->dst.idx);
}

/* Cancels every transfer in flight that ft breaks. */
static void faults_cancel_in_flight(pod_t *p, const fault_t *ft)
{
    uint32_t n_pools = p->pf.n_inst + p->pf.n_domains + 1;
    for (uint32_t k = 0; k < n_pools; k++) {
        xfer_pool_t *pool = k < p->pf.n_inst ? &p->load_pool[k] : &p->wb_pool[k - p->pf.n_inst];
        for (uint32_t w = 0; w < pool->n_workers; w++) {
            const xfer_worker_t *wk = &pool->workers[w];
            if (wk->current && faults_hits(p, ft, wk->current, wk->routed ? &wk->route : NULL))
                xfer_fail_worker(pool, w);
        }
    }
}

/* ---- applying and repairing ------------------------------------------------------------------------------ */

static void faults_set_drives(pod_t *p, uint32_t e)
{
    struct faults *f = p->faults;
    platform_t *pf = &p->pf;
    double up = f->drives > f->drives_down[e] ? (double)(f->drives - f->drives_down[e]) / f->drives : 0;
    for (int w = 0; w < 2; w++) {
        pf_link_t *l = &pf->links[(w ? pf->l_essdw : pf->l_essd) + e];
        /* SimGrid wants a positive capacity: a fully failed enclosure crawls at one byte per second. */
        l->bw_byte_s = fmax(f->essd_base[2 * e + w] * up, 1.0);
        sgb_link_set_bandwidth(l->name, l->bw_byte_s);
    }
}

/* The node's KV: its instances' G1 (blocks no running request holds), its domain's G2 and G3. */
static void faults_drop_domain(pod_t *p, uint32_t d)
{
    struct faults *f = p->faults;
    for (uint32_t i = 0; i < p->pf.n_inst; i++)
        if (p->pf.domain_of_inst[i] == d)
            f->g1_blocks_lost += kv_drop_where_at(p->kv, KV_G1, i, faults_all, NULL);
    f->g2_blocks_lost += kv_drop_where_at(p->kv, KV_G2, d, faults_all, NULL);
    f->g3_blocks_lost += kv_drop_where_at(p->kv, KV_G3, d, faults_all, NULL);
}

static void faults_set_node(pod_t *p, uint32_t d, bool down)
{
    for (uint32_t i = 0; i < p->pf.n_inst; i++)
        if (p->pf.domain_of_inst[i] == d) {
            p->eng[i].down = down;
            engine_poke(&p->eng[i]);
        }
}

static void faults_apply(pod_t *p, fault_t *ft, int delta)
{
    struct faults *f = p->faults;
    platform_t *pf = &p->pf;
    ft->active = delta > 0;
    switch (ft->kind) {
    case FK_ICMS:
        f->down[ft->idx] += delta;
        if (delta > 0)
            f->g35_blocks_lost += faults_lose_enclosure(p->kv, ft->idx, f->n_enc, f->width);
        break;
    case FK_DRIVE:
        f->drives_down[ft->idx] += delta;
        if (delta > 0)
            f->g35_blocks_lost += faults_lose_drive(p->kv, ft->idx, ft->sub, f->n_enc, f->width, f->drives);
        faults_set_drives(p, ft->idx);
        break;
    case FK_G4:
        f->g4_down[ft->idx] += delta;
        if (delta > 0) {
            faults_enc_t g = {ft->idx, pf->n_g4, 0, 0, 0};
            f->g4_blocks_lost += kv_drop_where(p->kv, KV_G4, faults_on_g4_server, &g);
        }
        break;
    case FK_LINK:
        pf->links[ft->idx].down += delta;
        break;
    case FK_LEAF:
        f->leaf_down[ft->idx] += delta;
        for (uint32_t s = 0; s < pf->n_spine; s++)
            pf->links[pf_uplink(pf, ft->idx, s)].down += delta;
        break;
    case FK_NODE:
        f->dom_down[ft->idx] += delta;
        /* Down: its KV is lost now; up again: it comes back empty (what its evacuated requests held). */
        faults_drop_domain(p, ft->idx);
        if (delta > 0 || f->dom_down[ft->idx] == 0)
            faults_set_node(p, ft->idx, delta > 0);
        break;
    default:
        break;
    }
    if (delta > 0)
        faults_cancel_in_flight(p, ft);
}

typedef struct faults_arg {
    pod_t *p;
    fault_t *fault;
} faults_arg_t;

static void faults_actor(void *arg)
{
    faults_arg_t a = *(faults_arg_t *)arg;
    free(arg);
    sgb_sleep_until(a.fault->at_s);
    a.p->faults->applied++;
    faults_apply(a.p, a.fault, +1);
    sgb_sleep_for(a.fault->duration_s);
    faults_apply(a.p, a.fault, -1);
}

void faults_start(pod_t *p, sgb_host_t *h)
{
    if (!p->faults)
        return;
    for (uint32_t i = 0; i < p->faults->n; i++) {
        faults_arg_t *a = kvt_malloc(sizeof *a);
        a->p = p;
        a->fault = &p->faults->list[i];
        sgb_spawn("fault", h, faults_actor, a, true);
    }
}

/* ---- routing around failed parts ------------------------------------------------------------------------- */

static bool faults_leaf_down(const pod_t *p, pf_ep_t ep)
{
    const struct faults *f = p->faults;
    return f->leaf_down[pf_ep_leaf(&p->pf, ep)] > 0;
}

uint32_t faults_enclosure(const pod_t *p, uint32_t e)
{
    const struct faults *f = p->faults;
    if (!f || e >= f->n_enc || !(f->down[e] || faults_leaf_down(p, (pf_ep_t){PF_ICMS, e})))
        return e;
    for (uint32_t k = 1; k < f->n_enc; k++) {
        uint32_t c = (e + k) % f->n_enc;
        if (!f->down[c] && !faults_leaf_down(p, (pf_ep_t){PF_ICMS, c}))
            return c;
    }
    return e; /* every enclosure is down: the path stays (its blocks are gone) */
}

uint32_t faults_g4_server(const pod_t *p, uint32_t s)
{
    const struct faults *f = p->faults;
    uint32_t n = p->pf.n_g4;
    if (!f || s >= n || !(f->g4_down[s] || faults_leaf_down(p, (pf_ep_t){PF_G4, s})))
        return s;
    for (uint32_t k = 1; k < n; k++) {
        uint32_t c = (s + k) % n;
        if (!f->g4_down[c] && !faults_leaf_down(p, (pf_ep_t){PF_G4, c}))
            return c;
    }
    return s;
}

bool faults_instance_down(const pod_t *p, uint32_t inst)
{
    const struct faults *f = p->faults;
    return f && f->dom_down[p->pf.domain_of_inst[inst]] > 0;
}

uint32_t faults_instance(const pod_t *p, uint32_t inst)
{
    if (!faults_instance_down(p, inst))
        return inst;
    uint32_t best = inst;
    double best_load = INFINITY;
    for (uint32_t k = 1; k < p->pf.n_inst; k++) {
        uint32_t c = (inst + k) % p->pf.n_inst;
        if (faults_instance_down(p, c) || p->eng[c].exited)
            continue;
        double l = engine_load(&p->eng[c]);
        if (l < best_load) {
            best_load = l;
            best = c;
        }
    }
    return best;
}

/* ---- accounting ------------------------------------------------------------------------------------------ */

void faults_note_failed(pod_t *p, double bytes, bool in_flight)
{
    if (!p->faults)
        return;
    p->faults->transfers_failed++;
    p->faults->transfers_cancelled += in_flight;
    metrics_transfer_failed(p->m, sgb_now(), bytes);
    p->faults->bytes_failed += bytes;
}

void faults_note_recomputed(pod_t *p, double tokens)
{
    if (p->faults)
        p->faults->recomputed_tokens += tokens;
}

void faults_note_restarted(pod_t *p)
{
    if (p->faults)
        p->faults->requests_restarted++;
}

void faults_instance_cleared(pod_t *p, uint32_t inst)
{
    if (p->faults)
        p->faults->g1_blocks_lost += kv_drop_where_at(p->kv, KV_G1, inst, faults_all, NULL);
}

void faults_note_request(pod_t *p, const req_record_t *rec)
{
    struct faults *f = p->faults;
    if (!f || rec->outcome != RQ_COMPLETED || rec->first_token_s <= 0)
        return;
    if (f->n_ttft == f->cap_ttft) {
        f->cap_ttft = f->cap_ttft ? 2 * f->cap_ttft : 1024;
        f->ttft_at = kvt_realloc(f->ttft_at, f->cap_ttft, sizeof *f->ttft_at);
        f->ttft = kvt_realloc(f->ttft, f->cap_ttft, sizeof *f->ttft);
    }
    f->ttft_at[f->n_ttft] = rec->arrival_s;
    f->ttft[f->n_ttft++] = rec->first_token_s - rec->arrival_s;
}

static int faults_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* TTFT of the requests that arrived in [t0, t1) and the output tokens/s of the time series in (t0, t1]. */
static void faults_phase(const pod_t *p, cJSON *o, const char *name, double t0, double t1)
{
    const struct faults *f = p->faults;
    cJSON *ph = cJSON_AddObjectToObject(o, name);
    cJSON_AddNumberToObject(ph, "from_s", t0);
    cJSON_AddNumberToObject(ph, "to_s", t1);
    double *v = kvt_malloc((f->n_ttft + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < f->n_ttft; i++)
        if (f->ttft_at[i] >= t0 && f->ttft_at[i] < t1)
            v[n++] = f->ttft[i];
    qsort(v, n, sizeof *v, faults_cmp);
    cJSON_AddNumberToObject(ph, "requests", (double)n);
    cJSON_AddNumberToObject(ph, "ttft_p50_s", n ? v[(size_t)floor(0.50 * (double)(n - 1))] : 0);
    cJSON_AddNumberToObject(ph, "ttft_p99_s", n ? v[(size_t)floor(0.99 * (double)(n - 1))] : 0);
    free(v);
    double interval, tokens = 0;
    uint32_t rows = metrics_ts_rows(p->m, &interval);
    for (uint32_t i = 0; i < rows; i++) {
        ts_row_t row;
        metrics_ts_row(p->m, i, &row);
        if (row.t_s > t0 && row.t_s <= t1 + 1e-9)
            tokens += row.output_tokens;
    }
    cJSON_AddNumberToObject(ph, "output_tokens_per_s", t1 > t0 ? tokens / (t1 - t0) : 0);
}

void faults_summary(const pod_t *p, cJSON *summary)
{
    const struct faults *f = p->faults;
    if (!f)
        return;
    cJSON *o = cJSON_AddObjectToObject(summary, "faults");
    cJSON_AddNumberToObject(o, "listed", f->n);
    cJSON_AddNumberToObject(o, "applied", f->applied);
    cJSON_AddNumberToObject(o, "g1_blocks_lost", (double)f->g1_blocks_lost);
    cJSON_AddNumberToObject(o, "g2_blocks_lost", (double)f->g2_blocks_lost);
    cJSON_AddNumberToObject(o, "g3_blocks_lost", (double)f->g3_blocks_lost);
    cJSON_AddNumberToObject(o, "g35_blocks_lost", (double)f->g35_blocks_lost);
    cJSON_AddNumberToObject(o, "g4_blocks_lost", (double)f->g4_blocks_lost);
    cJSON_AddNumberToObject(o, "transfers_failed", (double)f->transfers_failed);
    cJSON_AddNumberToObject(o, "transfers_cancelled_in_flight", (double)f->transfers_cancelled);
    cJSON_AddNumberToObject(o, "failed_bytes", f->bytes_failed);
    cJSON_AddNumberToObject(o, "recomputed_tokens", f->recomputed_tokens);
    cJSON_AddNumberToObject(o, "requests_restarted", (double)f->requests_restarted);
    cJSON_AddNumberToObject(o, "writes_failed", (double)f->writes_failed);
    cJSON_AddNumberToObject(o, "write_blocks_dropped", (double)f->write_blocks_dropped);
    double end = sgb_now();
    cJSON *list = cJSON_AddArrayToObject(o, "by_fault");
    for (uint32_t i = 0; i < f->n; i++) {
        const fault_t *ft = &f->list[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "target", ft->name);
        cJSON_AddNumberToObject(x, "at_s", ft->at_s);
        cJSON_AddNumberToObject(x, "duration_s", ft->duration_s);
        double t1 = fmin(ft->at_s + ft->duration_s, end);
        faults_phase(p, x, "before", 0, fmin(ft->at_s, end));
        faults_phase(p, x, "during", fmin(ft->at_s, end), t1);
        faults_phase(p, x, "after", t1, end);
        cJSON_AddItemToArray(list, x);
    }
}

void faults_free(pod_t *p)
{
    struct faults *f = p->faults;
    if (!f)
        return;
    free(f->list);
    free(f->down);
    free(f->g4_down);
    free(f->drives_down);
    free(f->leaf_down);
    free(f->dom_down);
    free(f->essd_base);
    free(f->ttft_at);
    free(f->ttft);
    free(f->added);
    free(f);
    p->faults = NULL;
}
