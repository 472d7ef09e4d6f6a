/* One inference request as every trace reader, the session model and the generator deliver it.
 * Block ids are prefix-chained (a block's id names its content and its whole prefix), 64-bit, and
 * already namespaced by the reader where a trace's ids are local (per conversation). */
#ifndef KVTWIN_REQUEST_H
#define KVTWIN_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#define WL_NO_SESSION UINT64_MAX

typedef struct wl_request {
    uint64_t id;           /* sequence number within the workload, from 0 */
    double arrival_s;      /* simulated arrival time (open loop: from the trace; closed loop: set by the source) */
    uint32_t input_tokens; /* prompt tokens */
    uint32_t output_tokens;
    uint32_t block_tokens; /* tokens per block of block_ids */
    uint32_t n_blocks;     /* ids in block_ids; may differ from ceil(input/block): hits are clamped to input */
    uint32_t blocks_cap;   /* capacity of block_ids; readers grow it with realloc */
    uint64_t *block_ids;   /* owned by the request */
    uint64_t session_id;   /* WL_NO_SESSION for independent requests */
    uint32_t turn;         /* turn index within its session (or sub-agent) */
    uint32_t depth;        /* 0 = main agent, 1 = sub-agent, ... */
    double think_s;        /* think/tool time that preceded this turn (informational in open loop) */
    double recorded_api_s; /* service time the trace recorded for this request, or -1 */
    void *session_ref;     /* opaque: handed back to the source on completion (closed loop) */
    /* Its place in the session's life, where the workload knows it (the session model and the generator do;
     * request logs only know a session's last turn when they mark it): */
    uint64_t parent_session; /* a sub-agent's parent session, WL_NO_SESSION otherwise */
    uint32_t turns_left;     /* turns of its session (agent) after this one; WL_TURNS_UNKNOWN if not known */
    uint32_t fork;           /* sub-agents forked when this turn completes (the parent waits for them) */
    double next_arrival_s;   /* open loop: arrival of its session's next turn, NAN if none or unknown (closed
                              loop: known only at completion, wl_source_scheduled) */
} wl_request_t;

#define WL_TURNS_UNKNOWN UINT32_MAX

/* Grows a malloc'd array *p of elem-byte items to hold at least need items (capacity doubles, from 16).
 * Returns 0, or -1 on allocation failure (the array is then unchanged). */
int wl_grow(void **p, size_t elem, size_t need, size_t *cap);

/* Makes room for n ids; returns 0 or -1 on allocation failure. */
int wl_request_reserve(wl_request_t *r, uint32_t n);
/* Copies everything, including the ids, into dst (dst's buffer is reused or grown). */
int wl_request_copy(wl_request_t *dst, const wl_request_t *src);
/* Frees the id buffer and zeroes the request. */
void wl_request_free(wl_request_t *r);

#endif
