/* Next-use oracle: one backward pass over the reference stream; see oracle.h. */
#include "sim/kv/oracle.h"

#include <assert.h>

#include "sim/kv/idmap.h"

void kv_oracle_next_use(const uint64_t *ids, size_t n, uint64_t *next)
{
    assert(n < UINT32_MAX);
    kv_idmap_t last;
    kv_idmap_init(&last);
    for (size_t k = n; k-- > 0;) {
        uint32_t j;
        next[k] = kv_idmap_get(&last, ids[k], &j) ? j : UINT64_MAX;
        kv_idmap_put(&last, ids[k], (uint32_t)k);
    }
    kv_idmap_fini(&last);
}
