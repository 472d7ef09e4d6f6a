/* A map from 64-bit keys to pointers (or, with NULL values, a set), open addressing with linear probing
 * and backward-shift deletion (no tombstones, so a long replay that adds and removes sessions does not
 * degrade). Keys are spread with a mixer, so dense or patterned ids probe as well as random ones. */
#ifndef KVTWIN_BASE_U64MAP_H
#define KVTWIN_BASE_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct u64map {
    uint64_t *keys;
    void **vals;
    uint8_t *used;
    size_t cap; /* power of two */
    size_t n;
} u64map_t;

void u64map_init(u64map_t *m);
void u64map_free(u64map_t *m);
/* Inserts or replaces; returns 1 if the key was new, 0 if replaced, -1 on allocation failure. */
int u64map_put(u64map_t *m, uint64_t key, void *val);
/* True if present; *val (may be NULL) receives its value. */
bool u64map_get(const u64map_t *m, uint64_t key, void **val);
/* Removes the key; returns true if it was there. */
bool u64map_del(u64map_t *m, uint64_t key);

#endif
