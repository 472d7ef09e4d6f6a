/* Allocation with the project's one out-of-memory policy: an allocation that fails prints one line
 * ("kvtwin: out of memory: N bytes") to stderr and exits with code 1 (a simulation failure), so no caller
 * checks for NULL and none can forget to. Sizes are multiplied with an overflow check. Inputs that would
 * need more memory than the machine has are refused before allocating, where they are read (file:line),
 * not here. */
#ifndef KVTWIN_BASE_ALLOC_H
#define KVTWIN_BASE_ALLOC_H

#include <stddef.h>

void *kvt_malloc(size_t bytes);
/* Zeroed count x size bytes. */
void *kvt_calloc(size_t count, size_t size);
/* Resizes p to count x size bytes (p may be NULL). */
void *kvt_realloc(void *p, size_t count, size_t size);
char *kvt_strdup(const char *s);

/* Grows the array *p of elements of elem bytes so that it holds at least need, doubling from at least
 * min_cap; *cap is its capacity in elements. */
void kvt_grow(void *p, size_t *cap, size_t need, size_t elem, size_t min_cap);

#endif
