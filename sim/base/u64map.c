/* Open-addressing u64 map with backward-shift deletion; see u64map.h. */
#include "sim/base/u64map.h"

#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"

#define U64MAP_EMPTY UINT64_MAX

static inline size_t u64map_home(uint64_t key, uint32_t bits)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

void u64map_init(u64map_t *m)
{
    memset(m, 0, sizeof *m);
}

void u64map_free(u64map_t *m)
{
    free(m->cells);
    memset(m, 0, sizeof *m);
}

static void u64map_resize(u64map_t *m, uint32_t bits)
{
    size_t size = (size_t)1 << bits;
    u64map_cell_t *cells = kvt_realloc(NULL, size, sizeof *cells);
    for (size_t i = 0; i < size; i++)
        cells[i].key = U64MAP_EMPTY;
    size_t old = m->bits ? (size_t)1 << m->bits : 0;
    for (size_t i = 0; i < old; i++) {
        if (m->cells[i].key == U64MAP_EMPTY)
            continue;
        size_t j = u64map_home(m->cells[i].key, bits);
        while (cells[j].key != U64MAP_EMPTY)
            j = (j + 1) & (size - 1);
        cells[j] = m->cells[i];
    }
    free(m->cells);
    m->cells = cells;
    m->bits = bits;
}

bool u64map_get(const u64map_t *m, uint64_t key, uint64_t *val)
{
    if (key == U64MAP_EMPTY) {
        if (m->has_max && val)
            *val = m->max_val;
        return m->has_max;
    }
    if (!m->bits)
        return false;
    size_t mask = ((size_t)1 << m->bits) - 1;
    for (size_t i = u64map_home(key, m->bits);; i = (i + 1) & mask) {
        const u64map_cell_t *c = &m->cells[i];
        if (c->key == key) {
            if (val)
                *val = c->val;
            return true;
        }
        if (c->key == U64MAP_EMPTY)
            return false;
    }
}

bool u64map_put(u64map_t *m, uint64_t key, uint64_t val)
{
    if (key == U64MAP_EMPTY) {
        bool added = !m->has_max;
        m->has_max = true;
        m->max_val = val;
        m->n += added;
        return added;
    }
    if (!m->bits || (m->n + 1) * 4 > ((uint64_t)1 << m->bits) * 3)
        u64map_resize(m, m->bits ? m->bits + 1 : 4);
    size_t mask = ((size_t)1 << m->bits) - 1;
    size_t i = u64map_home(key, m->bits);
    while (m->cells[i].key != U64MAP_EMPTY && m->cells[i].key != key)
        i = (i + 1) & mask;
    bool added = m->cells[i].key == U64MAP_EMPTY;
    m->n += added;
    m->cells[i].key = key;
    m->cells[i].val = val;
    return added;
}

bool u64map_del(u64map_t *m, uint64_t key)
{
    if (key == U64MAP_EMPTY) {
        bool had = m->has_max;
        m->has_max = false;
        m->n -= had;
        return had;
    }
    if (!m->bits)
        return false;
    size_t mask = ((size_t)1 << m->bits) - 1;
    size_t i = u64map_home(key, m->bits);
    while (m->cells[i].key != key) {
        if (m->cells[i].key == U64MAP_EMPTY)
            return false;
        i = (i + 1) & mask;
    }
    /* Backward shift: pull later members of the probe run into the hole when their home allows it. */
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (m->cells[j].key == U64MAP_EMPTY)
            break;
        size_t h = u64map_home(m->cells[j].key, m->bits);
        /* j's entry may move to i if i lies cyclically in [h, j). */
        if (((j - h) & mask) >= ((j - i) & mask)) {
            m->cells[i] = m->cells[j];
            i = j;
        }
    }
    m->cells[i].key = U64MAP_EMPTY;
    m->n--;
    return true;
}

bool u64map_next(const u64map_t *m, size_t *pos, uint64_t *key, uint64_t *val)
{
    size_t size = m->bits ? (size_t)1 << m->bits : 0;
    while (*pos < size) {
        size_t i = (*pos)++;
        if (m->cells[i].key != U64MAP_EMPTY) {
            *key = m->cells[i].key;
            *val = m->cells[i].val;
            return true;
        }
    }
    if (*pos == size && m->has_max) {
        (*pos)++;
        *key = U64MAP_EMPTY;
        *val = m->max_val;
        return true;
    }
    return false;
}

size_t u64map_mem_bytes(const u64map_t *m)
{
    return m->bits ? ((size_t)1 << m->bits) * sizeof *m->cells : 0;
}
