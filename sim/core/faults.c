/* Fault injection; see faults.h. */
#include "sim/core/faults.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "sim/core/storage_path.h"

typedef struct faults_enc {
    uint32_t enc, n, width;
} faults_enc_t;

static bool faults_on_enclosure(uint64_t id, void *arg)
{
    const faults_enc_t *f = arg;
    return sp_stripe_enclosure(id, f->n, f->width) == f->enc;
}

uint64_t faults_lose_enclosure(kv_mgr_t *kv, uint32_t enc, uint32_t n_enc, uint32_t stripe_width)
{
    if (n_enc == 0 || enc >= n_enc)
        return 0;
    faults_enc_t f = {enc, n_enc, stripe_width};
    return kv_drop_where(kv, KV_G35, faults_on_enclosure, &f);
}

static int faults_bad(pod_t *p, int i, const char *what, char *err, size_t errlen)
{
    char msg[256], path[32];
    snprintf(path, sizeof path, "faults");
    snprintf(msg, sizeof msg, "fault %d: %s", i, what);
    cfg_doc_error(&p->sc->doc, path, msg, err, errlen);
    return -1;
}

int faults_prepare(pod_t *p, char *err, size_t errlen)
{
    p->faults = NULL;
    const cJSON *arr = p->sc->faults;
    int n = arr ? cJSON_GetArraySize(arr) : 0;
    if (n == 0)
        return 0;
    struct faults *f = kvt_calloc(1, sizeof *f);
    f->list = kvt_calloc((size_t)n, sizeof *f->list);
    f->n_enc = p->pf.n_icms;
    f->width = p->pf.hw->icms.stripe_enclosures;
    f->down = kvt_calloc(f->n_enc + 1, sizeof *f->down);
    p->faults = f;
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
        unsigned e;
        char tail;
        if (sscanf(tg->valuestring, "icms:%u%c", &e, &tail) != 1) {
            char what[160];
            snprintf(what, sizeof what,
                     "target \"%.60s\": expected \"icms:E\" (drives, links, leaves, G4 servers and nodes are not "
                     "modelled yet)",
                     tg->valuestring);
            return faults_bad(p, i, what, err, errlen);
        }
        if (e >= f->n_enc) {
            char what[128];
            snprintf(what, sizeof what, "target icms:%u: the pod has %u ICMS enclosures", e, f->n_enc);
            return faults_bad(p, i, what, err, errlen);
        }
        f->list[i] = (fault_t){at->valuedouble, dur->valuedouble, e};
        f->n++;
    }
    return 0;
}

typedef struct faults_arg {
    pod_t *p;
    const fault_t *fault;
} faults_arg_t;

static void faults_actor(void *arg)
{
    faults_arg_t a = *(faults_arg_t *)arg;
    free(arg);
    struct faults *f = a.p->faults;
    sgb_sleep_until(a.fault->at_s);
    f->down[a.fault->enc]++;
    f->applied++;
    f->g35_blocks_lost += faults_lose_enclosure(a.p->kv, a.fault->enc, f->n_enc, f->width);
    sgb_sleep_for(a.fault->duration_s);
    f->down[a.fault->enc]--;
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

uint32_t faults_enclosure(const pod_t *p, uint32_t e)
{
    const struct faults *f = p->faults;
    if (!f || e >= f->n_enc || !f->down[e])
        return e;
    for (uint32_t k = 1; k < f->n_enc; k++) {
        uint32_t c = (e + k) % f->n_enc;
        if (!f->down[c])
            return c;
    }
    return e; /* every enclosure is down: the path stays (its blocks are gone) */
}

void faults_summary(const pod_t *p, cJSON *summary)
{
    if (!p->faults)
        return;
    cJSON *o = cJSON_AddObjectToObject(summary, "faults");
    cJSON_AddNumberToObject(o, "listed", p->faults->n);
    cJSON_AddNumberToObject(o, "applied", p->faults->applied);
    cJSON_AddNumberToObject(o, "g35_blocks_lost", (double)p->faults->g35_blocks_lost);
}

void faults_free(pod_t *p)
{
    if (!p->faults)
        return;
    free(p->faults->list);
    free(p->faults->down);
    free(p->faults);
    p->faults = NULL;
}
