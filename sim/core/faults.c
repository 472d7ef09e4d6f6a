/* Fault injection, KV side; see faults.h. */
#include "sim/core/faults.h"

#include <stdbool.h>

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
