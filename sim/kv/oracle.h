/* The oracle pass for offline policies (Belady): the position of each block reference's next reference.
 *
 * References are numbered in trace order over the whole run: request r's block i is reference
 * off[r] + i. One backward pass with a hash map from block id to the latest position seen: O(1) per
 * reference, so linear in trace length (measured in docs/performance.md). The result feeds
 * kv_access_t.next_use (a request passes &next[off[r]]). */
#ifndef KVTWIN_KV_ORACLE_H
#define KVTWIN_KV_ORACLE_H

#include <stddef.h>
#include <stdint.h>

/* next[k] = smallest j > k with ids[j] == ids[k], or UINT64_MAX. n must be below 2^32. */
void kv_oracle_next_use(const uint64_t *ids, size_t n, uint64_t *next);

#endif
