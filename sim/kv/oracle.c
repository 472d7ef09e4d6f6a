/* Next-use oracle: one backward pass over the reference stream; see oracle.h. */
#include "sim/kv/oracle.h"

#include "sim/base/u64map.h"

void kv_oracle_next_use(const uint64_t *ids, size_t n, uint64_t *next)
{
    u64map_t last;
    u64map_init(&last);
    for (size_t k = n; k-- > 0;) {
        uint64_t j;
        next[k] = u64map_get(&last, ids[k], &j) ? j : UINT64_MAX;
        u64map_put(&last, ids[k], k);
    }
    u64map_free(&last);
}
