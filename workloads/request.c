/* Request buffer helpers; see request.h. */
#include "workloads/request.h"

#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"

int wl_grow(void **p, size_t elem, size_t need, size_t *cap)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc *= 2;
    *p = kvt_realloc(*p, nc, elem);
    *cap = nc;
    return 0;
}

int wl_request_reserve(wl_request_t *r, uint32_t n)
{
    if (n <= r->blocks_cap)
        return 0;
    uint32_t cap = r->blocks_cap ? r->blocks_cap : 64;
    while (cap < n)
        cap = cap > UINT32_MAX / 2 ? n : cap * 2;
    r->block_ids = kvt_realloc(r->block_ids, (size_t)cap, sizeof *r->block_ids);
    r->blocks_cap = cap;
    return 0;
}

int wl_request_copy(wl_request_t *dst, const wl_request_t *src)
{
    uint64_t *ids = dst->block_ids;
    uint32_t cap = dst->blocks_cap;
    *dst = *src;
    dst->block_ids = ids;
    dst->blocks_cap = cap;
    if (wl_request_reserve(dst, src->n_blocks))
        return -1;
    if (src->n_blocks)
        memcpy(dst->block_ids, src->block_ids, (size_t)src->n_blocks * sizeof *ids);
    return 0;
}

void wl_request_free(wl_request_t *r)
{
    free(r->block_ids);
    memset(r, 0, sizeof *r);
}
