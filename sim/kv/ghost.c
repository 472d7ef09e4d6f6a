/* Ghost lists: a node pool with a free list, one doubly linked age order per list and a shared id index.
 * See ghost.h. */
#include "sim/kv/ghost.h"
#include "sim/base/alloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define GH_NONE UINT32_MAX

void kv_ghost_init(kv_ghost_t *g, uint64_t cap)
{
    memset(g, 0, sizeof *g);
    assert(cap < GH_NONE);
    g->cap = (uint32_t)cap;
    g->free_head = GH_NONE;
    for (int l = 0; l < KV_GHOST_LISTS; l++)
        g->oldest[l] = g->newest[l] = GH_NONE;
    u64map_init(&g->index);
}

void kv_ghost_fini(kv_ghost_t *g)
{
    free(g->v);
    free(g->list);
    u64map_free(&g->index);
    memset(g, 0, sizeof *g);
}

static void gh_unlink(kv_ghost_t *g, uint32_t k)
{
    kv_ghost_node_t *x = &g->v[k];
    int l = g->list[k];
    if (x->prev != GH_NONE)
        g->v[x->prev].next = x->next;
    else
        g->oldest[l] = x->next;
    if (x->next != GH_NONE)
        g->v[x->next].prev = x->prev;
    else
        g->newest[l] = x->prev;
    g->n[l]--;
}

static void gh_link(kv_ghost_t *g, int l, uint32_t k)
{
    kv_ghost_node_t *x = &g->v[k];
    g->list[k] = (uint8_t)l;
    x->prev = g->newest[l];
    x->next = GH_NONE;
    if (g->newest[l] != GH_NONE)
        g->v[g->newest[l]].next = k;
    else
        g->oldest[l] = k;
    g->newest[l] = k;
    g->n[l]++;
}

static void gh_free(kv_ghost_t *g, uint32_t k)
{
    gh_unlink(g, k);
    u64map_del(&g->index, g->v[k].id);
    g->v[k].next = g->free_head;
    g->free_head = k;
}

bool kv_ghost_drop_oldest(kv_ghost_t *g, int l)
{
    if (g->oldest[l] == GH_NONE)
        return false;
    gh_free(g, g->oldest[l]);
    return true;
}

static uint64_t gh_total(const kv_ghost_t *g)
{
    uint64_t t = 0;
    for (int l = 0; l < KV_GHOST_LISTS; l++)
        t += g->n[l];
    return t;
}

void kv_ghost_add(kv_ghost_t *g, int l, uint64_t id)
{
    assert(l >= 0 && l < KV_GHOST_LISTS);
    if (g->cap == 0)
        return;
    uint64_t k;
    if (u64map_get(&g->index, id, &k)) {
        gh_unlink(g, k);
        gh_link(g, l, k);
        return;
    }
    if (gh_total(g) == g->cap && !kv_ghost_drop_oldest(g, l))
        kv_ghost_drop_oldest(g, 1 - l);
    if (g->free_head != GH_NONE) {
        k = g->free_head;
        g->free_head = g->v[k].next;
    } else {
        if (g->nfresh == g->nalloc) {
            uint64_t want = g->nalloc ? (uint64_t)g->nalloc + g->nalloc / 4 : 64;
            if (want > g->cap)
                want = g->cap;
            g->v = kvt_realloc(g->v, (size_t)want, sizeof *g->v);
            g->list = kvt_realloc(g->list, (size_t)want, 1);
            g->nalloc = (uint32_t)want;
        }
        k = g->nfresh++;
    }
    g->v[k].id = id;
    u64map_put(&g->index, id, k);
    gh_link(g, l, k);
}

int kv_ghost_which(const kv_ghost_t *g, uint64_t id)
{
    uint64_t k;
    return u64map_get(&g->index, id, &k) ? g->list[k] : -1;
}

bool kv_ghost_del(kv_ghost_t *g, uint64_t id)
{
    uint64_t k;
    if (!u64map_get(&g->index, id, &k))
        return false;
    gh_free(g, k);
    return true;
}

size_t kv_ghost_mem_bytes(const kv_ghost_t *g)
{
    return (size_t)g->nalloc * (sizeof *g->v + 1) + u64map_mem_bytes(&g->index);
}
