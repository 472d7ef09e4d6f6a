/* How kvtwin names blocks: 64-bit prefix-chained ids, with namespaces so that ids from different
 * sources never collide.
 *
 * Layout of an id made from a trace's small integer ids: bits 63..40 = namespace, bits 39..0 = the
 * trace's id. Namespace 0 holds ids used as the trace gives them (Mooncake, global-scope sessions, native
 * block_ids); namespace c+1 holds the local ids of the c-th conversation of a session directory
 * (kv-cache-tester "local" scope: sub-agents share their conversation's namespace); WL_NS_UNIQUE holds
 * ids made up for traces without any (Azure); WL_NS_WARM holds the warm shared prefix.
 * Ids made from token-stream descriptors (native "prefix", the generator) are 64-bit hashes instead:
 * a block's id mixes its predecessor's id with what the block holds, so equal content after an equal
 * prefix gives an equal id, and anything else collides with probability ~2^-64 per pair. */
#ifndef KVTWIN_BLOCKID_H
#define KVTWIN_BLOCKID_H

#include <stddef.h>
#include <stdint.h>

#include "sim/base/mix.h"
#include "workloads/request.h"

#define WL_NS_SHIFT 40
#define WL_LOCAL_ID_MAX ((UINT64_C(1) << WL_NS_SHIFT) - 1)
#define WL_NS_MAX (UINT64_C(0xFFFFFD)) /* largest namespace a trace may take */
#define WL_NS_UNIQUE UINT64_C(0xFFFFFE)
#define WL_NS_WARM UINT64_C(0xFFFFFF)

static inline uint64_t wl_ns_id(uint64_t ns, uint64_t local)
{
    return (ns << WL_NS_SHIFT) | local;
}

#define WL_MAX_RUNS 64 /* runs per request */

/* A run of tokens taken from the start of a named token stream; an input is a sequence of runs. */
typedef struct wl_run {
    uint64_t stream;
    uint32_t tokens;
} wl_run_t;

/* Fills req->block_ids (ceil(input/block) ids) from runs covering the input; tokens past the runs come
 * from fresh_stream (unique to the request). Returns -1 on allocation failure. */
int wl_ids_from_runs(wl_request_t *req, const wl_run_t *runs, uint32_t n_runs, uint64_t fresh_stream);

/* Replaces the ids of the blocks lying wholly inside the first shared_tokens tokens with ids shared by
 * every session of the same depth class (main agents, sub-agents): the warm shared system and tool
 * prompt. */
void wl_apply_warm_prefix(wl_request_t *req, uint32_t shared_tokens);

/* Stream ids the generator and the native reader derive from (kind, a, b): distinct kinds never meet. */
static inline uint64_t wl_stream_id(uint64_t kind, uint64_t a, uint64_t b)
{
    return kvt_splitmix64(kvt_splitmix64(kind * UINT64_C(0x100000001B3) ^ a) ^ (b + UINT64_C(0x632BE59BD9B4E019)));
}

/* The stream a native "prefix" run names: a number, or a string (hashed with FNV-1a). */
static inline uint64_t wl_stream_of_number(uint64_t v)
{
    return wl_stream_id(1, v, 0);
}
static inline uint64_t wl_stream_of_name(const char *s, size_t len)
{
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001B3);
    return wl_stream_id(2, h, 0);
}
/* Tokens past a request's runs: unique to (session, turn). */
static inline uint64_t wl_stream_fresh(uint64_t session, uint64_t turn)
{
    return wl_stream_id(3, session, turn);
}

#endif
