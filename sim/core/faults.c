/* Fault injection; see faults.h. */
#include "sim/core/faults.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "sim/base/mix.h"
#include "sim/core/storage_path.h"

typedef struct faults_enc {
    uint32_t enc, n, width;
} faults_enc_t;

static bool faults_on_enclosure(uint64_t id, void *arg)
{
    const faults_enc_t *f = arg;
    return sp_stripe_enclosure(id, f->n, f->width) == f->enc;
}

static bool faults_on_g4_server(uint64_t id, void *arg)
{
    const faults_enc_t *f = arg;
    /* The G4 server map of platform.c (pf_g4_of_block), with its own hash salt. */
    return (uint32_t)(kvt_mix64(id ^ 0x5bd1e995u) % f->n) == f->enc;
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
    f->g4_down = kvt_calloc(p->pf.n_g4 + 1, sizeof *f->g4_down);
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
        uint8_t kind = PF_ICMS;
        if (sscanf(tg->valuestring, "icms:%u%c", &e, &tail) != 1) {
            kind = PF_G4;
            if (sscanf(tg->valuestring, "g4:%u%c", &e, &tail) != 1) {
                char what[160];
                snprintf(what, sizeof what,
                         "target \"%.60s\": expected \"icms:E\" or \"g4:S\" (drives, links, leaves and nodes are "
                         "not modelled yet)",
                         tg->valuestring);
                return faults_bad(p, i, what, err, errlen);
            }
        }
        uint32_t count = kind == PF_ICMS ? f->n_enc : p->pf.n_g4;
        if (e >= count) {
            char what[128];
            snprintf(what, sizeof what, "target %s:%u: the pod has %u %s", kind == PF_ICMS ? "icms" : "g4", e, count,
                     kind == PF_ICMS ? "ICMS enclosures" : "G4 servers");
            return faults_bad(p, i, what, err, errlen);
        }
        f->list[i] = (fault_t){at->valuedouble, dur->valuedouble, kind, e};
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
    f->applied++;
    if (a.fault->kind == PF_G4) {
        f->g4_down[a.fault->enc]++;
        faults_enc_t g = {a.fault->enc, a.p->pf.n_g4, 0};
        f->g4_blocks_lost += kv_drop_where(a.p->kv, KV_G4, faults_on_g4_server, &g);
        sgb_sleep_for(a.fault->duration_s);
        f->g4_down[a.fault->enc]--;
        return;
    }
    f->down[a.fault->enc]++;
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

uint32_t faults_g4_server(const pod_t *p, uint32_t s)
{
    const struct faults *f = p->faults;
    uint32_t n = p->pf.n_g4;
    if (!f || s >= n || !f->g4_down[s])
        return s;
    for (uint32_t k = 1; k < n; k++) {
        uint32_t c = (s + k) % n;
        if (!f->g4_down[c])
            return c;
    }
    return s;
}

void faults_summary(const pod_t *p, cJSON *summary)
{
    if (!p->faults)
        return;
    cJSON *o = cJSON_AddObjectToObject(summary, "faults");
    cJSON_AddNumberToObject(o, "listed", p->faults->n);
    cJSON_AddNumberToObject(o, "applied", p->faults->applied);
    cJSON_AddNumberToObject(o, "g35_blocks_lost", (double)p->faults->g35_blocks_lost);
    cJSON_AddNumberToObject(o, "g4_blocks_lost", (double)p->faults->g4_blocks_lost);
}

void faults_free(pod_t *p)
{
    if (!p->faults)
        return;
    free(p->faults->list);
    free(p->faults->down);
    free(p->faults->g4_down);
    free(p->faults);
    p->faults = NULL;
}
