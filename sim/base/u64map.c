/* Open-addressing u64 map; see u64map.h. Load factor kept at or below 1/2. */
#include "sim/base/u64map.h"

#include <stdlib.h>

#include "sim/base/mix.h"

void u64map_init(u64map_t *m)
{
    m->keys = NULL;
    m->vals = NULL;
    m->used = NULL;
    m->cap = 0;
    m->n = 0;
}

void u64map_free(u64map_t *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    u64map_init(m);
}

static inline size_t wl_slot(const u64map_t *m, uint64_t key)
{
    return (size_t)kvt_splitmix64(key) & (m->cap - 1);
}

static int u64map_grow(u64map_t *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    u64map_t nm = {calloc(ncap, sizeof(uint64_t)), calloc(ncap, sizeof(void *)), calloc(ncap, 1), ncap, 0};
    if (!nm.keys || !nm.vals || !nm.used) {
        u64map_free(&nm);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->used[i])
            u64map_put(&nm, m->keys[i], m->vals[i]);
    u64map_free(m);
    *m = nm;
    return 0;
}

int u64map_put(u64map_t *m, uint64_t key, void *val)
{
    if ((m->n + 1) * 2 > m->cap && u64map_grow(m))
        return -1;
    size_t i = wl_slot(m, key);
    while (m->used[i]) {
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return 0;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->used[i] = 1;
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
    return 1;
}

bool u64map_get(const u64map_t *m, uint64_t key, void **val)
{
    if (!m->cap)
        return false;
    size_t i = wl_slot(m, key);
    while (m->used[i]) {
        if (m->keys[i] == key) {
            if (val)
                *val = m->vals[i];
            return true;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return false;
}

bool u64map_del(u64map_t *m, uint64_t key)
{
    if (!m->cap)
        return false;
    size_t mask = m->cap - 1;
    size_t i = wl_slot(m, key);
    while (m->used[i] && m->keys[i] != key)
        i = (i + 1) & mask;
    if (!m->used[i])
        return false;
    /* Backward-shift: pull later members of the probe run into the hole when their home allows it. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->used[j]; j = (j + 1) & mask) {
        size_t home = wl_slot(m, m->keys[j]);
        bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            m->keys[hole] = m->keys[j];
            m->vals[hole] = m->vals[j];
            hole = j;
        }
    }
    m->used[hole] = 0;
    m->n--;
    return true;
}
