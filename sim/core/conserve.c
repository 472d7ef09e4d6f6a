/* In-run conservation checks; see conserve.h. Sums of doubles are compared with a relative tolerance
 * (they are accumulated in different orders); counts exactly. */
#include "sim/core/conserve.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/xfer.h"
#include "sim/out/metrics.h"

#define CONS_MAX_CLASSES 24
#define CONS_REL_TOL 1e-9

struct cons_ledger {
    uint8_t *link_class; /* per link */
    char class_name[CONS_MAX_CLASSES][24];
    int n_classes;
    double submitted[KV_MOVE_KINDS][KV_NTIERS]; /* bytes queued for transfer */
    double failed[KV_MOVE_KINDS][KV_NTIERS];    /* bytes of transfers that failed (faults.h) */
    double link_in[CONS_MAX_CLASSES], link_out[CONS_MAX_CLASSES], link_failed[CONS_MAX_CLASSES];
};

void conserve_init(pod_t *p)
{
    struct cons_ledger *l = calloc(1, sizeof *l);
    l->link_class = calloc(p->pf.n_links + 1, 1);
    for (uint32_t i = 0; i < p->pf.n_links; i++) {
        char name[24];
        snprintf(name, sizeof name, "%s", p->pf.links[i].name);
        name[strcspn(name, "-")] = '\0';
        int c = 0;
        while (c < l->n_classes && strcmp(l->class_name[c], name) != 0)
            c++;
        if (c == l->n_classes && l->n_classes < CONS_MAX_CLASSES)
            snprintf(l->class_name[l->n_classes++], sizeof l->class_name[0], "%s", name);
        l->link_class[i] = (uint8_t)(c < CONS_MAX_CLASSES ? c : CONS_MAX_CLASSES - 1);
    }
    p->ledger = l;
}

void conserve_free(pod_t *p)
{
    if (!p->ledger)
        return;
    free(p->ledger->link_class);
    free(p->ledger);
    p->ledger = NULL;
}

void conserve_submit(pod_t *p, const xfer_job_t *job)
{
    if (p->ledger && job->kind >= 0 && job->kind < KV_MOVE_KINDS && job->src_tier >= 0 && job->src_tier < KV_NTIERS)
        p->ledger->submitted[job->kind][job->src_tier] += job->bytes;
}

static void cons_links(double *acc, const struct cons_ledger *l, const pf_route_t *r, double bytes)
{
    for (uint8_t i = 0; i < r->n; i++)
        acc[l->link_class[r->hop[i].link]] += bytes;
}

void conserve_begin(pod_t *p, const xfer_job_t *job, const pf_route_t *r)
{
    if (p->ledger)
        cons_links(p->ledger->link_in, p->ledger, r, job->bytes);
}

void conserve_end(pod_t *p, const xfer_job_t *job, const pf_route_t *r)
{
    if (p->ledger)
        cons_links(p->ledger->link_out, p->ledger, r, job->bytes);
}

void conserve_fail(pod_t *p, const xfer_job_t *job, const pf_route_t *r)
{
    if (!p->ledger)
        return;
    if (job->kind >= 0 && job->kind < KV_MOVE_KINDS && job->src_tier >= 0 && job->src_tier < KV_NTIERS)
        p->ledger->failed[job->kind][job->src_tier] += job->bytes;
    if (r)
        cons_links(p->ledger->link_failed, p->ledger, r, job->bytes);
}

static bool cons_close(double a, double b)
{
    return fabs(a - b) <= CONS_REL_TOL * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static double jnum(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = x ? cJSON_GetObjectItemCaseSensitive(x, b) : NULL;
    return x && cJSON_IsNumber(x) ? x->valuedouble : (double)NAN;
}

/* Bytes of the jobs still queued or in flight in a pool, by kind and source tier; and by link class. */
static void cons_pending(const pod_t *p, const xfer_pool_t *pool, double pend[KV_MOVE_KINDS][KV_NTIERS], double *links)
{
    for (const xfer_job_t *j = pool->head; j; j = j->next)
        if (j->kind >= 0 && j->kind < KV_MOVE_KINDS && j->src_tier >= 0 && j->src_tier < KV_NTIERS)
            pend[j->kind][j->src_tier] += j->bytes;
    /* Parts of striped hops waiting for a part worker (xfer.h). */
    for (const xfer_job_t *j = pool->part_head; j; j = j->next)
        if (j->kind >= 0 && j->kind < KV_MOVE_KINDS && j->src_tier >= 0 && j->src_tier < KV_NTIERS)
            pend[j->kind][j->src_tier] += j->bytes;
    for (uint32_t w = 0; w < pool->n_workers; w++) {
        const xfer_worker_t *wk = &pool->workers[w];
        if (!wk->current)
            continue;
        const xfer_job_t *c = wk->current;
        if (c->kind >= 0 && c->kind < KV_MOVE_KINDS && c->src_tier >= 0 && c->src_tier < KV_NTIERS)
            pend[c->kind][c->src_tier] += c->bytes;
        if (wk->routed)
            cons_links(links, p->ledger, &wk->route, wk->current->bytes);
    }
}

#define CONS_FAIL(...)                                                                                                 \
    do {                                                                                                               \
        char what_[768];                                                                                               \
        snprintf(what_, sizeof what_, __VA_ARGS__);                                                                    \
        snprintf(err, errlen, "conservation check failed: %s (a kvtwin bug: no results were written)", what_);         \
        return -1;                                                                                                     \
    } while (0)

int conserve_check(const pod_t *p, const cJSON *s, char *err, size_t errlen)
{
    metrics_totals_t t;
    metrics_totals(p->m, &t);
    const char *inject = getenv("KVTWIN_CONSERVE_INJECT");
    inject = inject ? inject : "";
    static const char *const kinds[KV_MOVE_KINDS] = {"load", "demote", "write-through", "prestage"};

    /* requests */
    uint64_t arrived = t.arrived + (strcmp(inject, "requests") == 0);
    if (arrived != t.completed + t.rejected + t.unfinished)
        CONS_FAIL("requests: %llu arrived but %llu completed + %llu rejected + %llu unfinished = %llu",
                  (unsigned long long)arrived, (unsigned long long)t.completed, (unsigned long long)t.rejected,
                  (unsigned long long)t.unfinished, (unsigned long long)(t.completed + t.rejected + t.unfinished));
    if ((double)t.arrived != t.bucket_arrivals || (double)t.completed != t.bucket_completions)
        CONS_FAIL("requests: %llu arrivals and %llu completions, but the time series counts %.0f and %.0f",
                  (unsigned long long)t.arrived, (unsigned long long)t.completed, t.bucket_arrivals,
                  t.bucket_completions);
    if (jnum(s, "requests", "arrived") != (double)t.arrived || jnum(s, "requests", "completed") != (double)t.completed)
        CONS_FAIL("requests: summary.json disagrees with the run's counters");

    /* tokens */
    double input = t.tok_input + (strcmp(inject, "tokens") == 0);
    if (!cons_close(input, t.tok_reused + t.tok_computed))
        CONS_FAIL("tokens: completed requests hold %.17g input tokens but %.17g reused + %.17g computed", input,
                  t.tok_reused, t.tok_computed);
    if (!cons_close(t.end_output_tokens, t.bucket_output_tokens))
        CONS_FAIL("tokens: %.17g output tokens decoded by the requests, but the time series counts %.17g",
                  t.end_output_tokens, t.bucket_output_tokens);

    /* bytes per tier and kind of move */
    double pend[KV_MOVE_KINDS][KV_NTIERS] = {{0}};
    double links_pend[CONS_MAX_CLASSES] = {0};
    for (uint32_t i = 0; p->load_pool && i < p->pf.n_inst; i++)
        cons_pending(p, &p->load_pool[i], pend, links_pend);
    for (uint32_t d = 0; p->wb_pool && d <= p->pf.n_domains; d++)
        cons_pending(p, &p->wb_pool[d], pend, links_pend);
    const struct cons_ledger *l = p->ledger;
    for (int k = 0; k < KV_MOVE_KINDS; k++) {
        for (int tier = 0; tier < KV_NTIERS; tier++) {
            double sub = l->submitted[k][tier] + (strcmp(inject, "bytes") == 0 && k == 0 && tier == 0);
            double moved = t.move_bytes[k][tier], failed = l->failed[k][tier];
            if (!cons_close(sub, moved + pend[k][tier] + failed))
                CONS_FAIL("bytes: %s from %s: %.17g bytes submitted but %.17g moved + %.17g queued or in flight + "
                          "%.17g failed",
                          kinds[k], kv_tier_name(tier), sub, moved, pend[k][tier], failed);
        }
    }
    for (int tier = 0; tier < KV_NTIERS; tier++)
        if (!cons_close(t.move_bytes[KV_MOVE_LOAD][tier], t.bucket_load_bytes[tier]))
            CONS_FAIL("bytes: %.17g bytes loaded from %s, but the time series holds %.17g",
                      t.move_bytes[KV_MOVE_LOAD][tier], kv_tier_name(tier), t.bucket_load_bytes[tier]);
    double wb = 0, pre = 0;
    for (int tier = 0; tier < KV_NTIERS; tier++) {
        wb += t.move_bytes[KV_MOVE_DEMOTE][tier] + t.move_bytes[KV_MOVE_WRITE_THROUGH][tier];
        pre += t.move_bytes[KV_MOVE_PRESTAGE][tier];
    }
    if (!cons_close(wb, t.bucket_writeback_bytes) || !cons_close(pre, t.bucket_prefetch_bytes))
        CONS_FAIL("bytes: %.17g written back and %.17g prestaged, but the time series holds %.17g and %.17g", wb, pre,
                  t.bucket_writeback_bytes, t.bucket_prefetch_bytes);

    /* bytes per link class */
    for (int c = 0; c < l->n_classes; c++) {
        double in = l->link_in[c] + (strcmp(inject, "links") == 0 && c == 0);
        if (!cons_close(in, l->link_out[c] + links_pend[c] + l->link_failed[c]))
            CONS_FAIL("bytes on %s links: %.17g entered but %.17g left + %.17g in flight + %.17g cancelled",
                      l->class_name[c], in, l->link_out[c], links_pend[c], l->link_failed[c]);
    }

    /* joules per component */
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(s, "energy_j");
    double sum = strcmp(inject, "joules") == 0 ? 1.0 : 0.0;
    for (int c = 0; c < EN_CLASSES; c++) {
        double v = jnum(e, en_class_name(c), NULL);
        if (!isfinite(v) || v < 0)
            CONS_FAIL("joules: %s energy is %g", en_class_name(c), v);
        sum += v;
    }
    double it = jnum(e, "total_it", NULL), fac = jnum(e, "total_facility", NULL), pue = jnum(s, "pue", NULL);
    if (!cons_close(sum, it))
        CONS_FAIL("joules: the components sum to %.17g J but the IT total is %.17g J", sum, it);
    if (!cons_close(fac, it * pue))
        CONS_FAIL("joules: the facility total %.17g J is not the IT total %.17g J x PUE %g", fac, it, pue);
    double tj = 0;
    for (int c = 0; c < EN_CLASSES; c++)
        tj += t.transfer_j[c];
    if (!cons_close(tj, t.bucket_transfer_j))
        CONS_FAIL("joules: transfers drew %.17g J by component but %.17g J in the time series", tj,
                  t.bucket_transfer_j);
    if (!cons_close(t.gpu_busy_j, t.bucket_gpu_busy_j))
        CONS_FAIL("joules: busy GPUs drew %.17g J but %.17g J in the time series", t.gpu_busy_j, t.bucket_gpu_busy_j);
    return 0;
}
