/* No prefetch: blocks move only when a request is admitted (loads) or evicted (demotions). */
#include "sim/kv/prefetch.h"

const kv_prefetch_ops_t kv_prefetch_none = {
    .base =
        {
            .name = "none",
            .summary = "stage nothing ahead of use",
        },
};
