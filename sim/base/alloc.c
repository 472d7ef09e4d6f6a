/* Allocation wrappers; see alloc.h. */
#include "sim/base/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/exitcodes.h"

static void kvt_out_of_memory(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        fprintf(stderr, "kvtwin: out of memory: %zu x %zu bytes overflows the address space\n", count, size);
    else
        fprintf(stderr, "kvtwin: out of memory: %zu bytes\n", count * size);
    exit(KVT_EXIT_FAIL);
}

void *kvt_malloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p)
        kvt_out_of_memory(bytes, 1);
    return p;
}

void *kvt_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        kvt_out_of_memory(count, size);
    return p;
}

void *kvt_realloc(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        kvt_out_of_memory(count, size);
    size_t bytes = count * size;
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q)
        kvt_out_of_memory(count, size);
    return q;
}

char *kvt_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = kvt_malloc(n);
    memcpy(d, s, n);
    return d;
}

void kvt_grow(void *p, size_t *cap, size_t need, size_t elem, size_t min_cap)
{
    if (need <= *cap)
        return;
    size_t nc = *cap > min_cap ? *cap : (min_cap ? min_cap : 1);
    while (nc < need)
        nc = nc > SIZE_MAX / 2 ? need : nc * 2;
    void **pp = p;
    *pp = kvt_realloc(*pp, nc, elem);
    *cap = nc;
}
