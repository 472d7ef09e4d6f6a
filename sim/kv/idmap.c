/* Open-addressing id map with backward-shift deletion; see idmap.h. */
#include "sim/kv/idmap.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define IDMAP_EMPTY UINT64_MAX

static inline size_t idmap_home(uint64_t key, uint32_t bits)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

void kv_idmap_init(kv_idmap_t *m)
{
    memset(m, 0, sizeof *m);
}

void kv_idmap_fini(kv_idmap_t *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static void idmap_resize(kv_idmap_t *m, uint32_t bits)
{
    size_t size = (size_t)1 << bits;
    uint64_t *keys = malloc(size * sizeof *keys);
    uint32_t *vals = malloc(size * sizeof *vals);
    assert(keys && vals && "out of memory");
    memset(keys, 0xff, size * sizeof *keys);
    size_t old = m->bits ? (size_t)1 << m->bits : 0;
    for (size_t i = 0; i < old; i++) {
        if (m->keys[i] == IDMAP_EMPTY)
            continue;
        size_t j = idmap_home(m->keys[i], bits);
        while (keys[j] != IDMAP_EMPTY)
            j = (j + 1) & (size - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->bits = bits;
}

bool kv_idmap_get(const kv_idmap_t *m, uint64_t key, uint32_t *val)
{
    if (!m->bits)
        return false;
    size_t mask = ((size_t)1 << m->bits) - 1;
    for (size_t i = idmap_home(key, m->bits);; i = (i + 1) & mask) {
        if (m->keys[i] == key) {
            if (val)
                *val = m->vals[i];
            return true;
        }
        if (m->keys[i] == IDMAP_EMPTY)
            return false;
    }
}

void kv_idmap_put(kv_idmap_t *m, uint64_t key, uint32_t val)
{
    assert(key != IDMAP_EMPTY);
    if (!m->bits || (m->n + 1) * 4 > ((uint64_t)1 << m->bits) * 3)
        idmap_resize(m, m->bits ? m->bits + 1 : 4);
    size_t mask = ((size_t)1 << m->bits) - 1;
    size_t i = idmap_home(key, m->bits);
    while (m->keys[i] != IDMAP_EMPTY && m->keys[i] != key)
        i = (i + 1) & mask;
    if (m->keys[i] == IDMAP_EMPTY)
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
}

bool kv_idmap_del(kv_idmap_t *m, uint64_t key)
{
    if (!m->bits)
        return false;
    size_t mask = ((size_t)1 << m->bits) - 1;
    size_t i = idmap_home(key, m->bits);
    while (m->keys[i] != key) {
        if (m->keys[i] == IDMAP_EMPTY)
            return false;
        i = (i + 1) & mask;
    }
    /* Backward shift: pull later members of the probe run into the hole when their home allows it. */
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (m->keys[j] == IDMAP_EMPTY)
            break;
        size_t h = idmap_home(m->keys[j], m->bits);
        /* j's entry may move to i if i lies cyclically in [h, j). */
        if (((j - h) & mask) >= ((j - i) & mask)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = IDMAP_EMPTY;
    m->n--;
    return true;
}

size_t kv_idmap_mem_bytes(const kv_idmap_t *m)
{
    return m->bits ? ((size_t)1 << m->bits) * (sizeof *m->keys + sizeof *m->vals) : 0;
}
