/* Block ids from token-stream descriptors and the warm shared prefix; see blockid.h.
 * A block is described by the pieces of streams it holds: (stream, offset in the stream, length). The
 * last block of an input may be partial; its id then differs from the id the full block gets once the
 * context has grown, which is what a prefix cache sees too (a partial block is not reusable as full). */
#include "workloads/blockid.h"

#include <assert.h>

int wl_ids_from_runs(wl_request_t *req, const wl_run_t *runs, uint32_t n_runs, uint64_t fresh_stream)
{
    assert(req->block_tokens > 0);
    uint32_t bt = req->block_tokens;
    uint32_t n = req->input_tokens / bt + (req->input_tokens % bt != 0);
    if (wl_request_reserve(req, n))
        return -1;
    uint32_t r = 0;      /* current run */
    uint64_t in_run = 0; /* tokens of run r already placed */
    uint64_t prev = UINT64_C(0x6B767477696E0001);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t want = req->input_tokens - j * bt < bt ? req->input_tokens - j * bt : bt;
        uint64_t h = kvt_splitmix64(prev);
        while (want > 0) {
            while (r < n_runs && in_run >= runs[r].tokens) {
                r++;
                in_run = 0;
            }
            uint64_t stream;
            uint64_t avail;
            if (r < n_runs) {
                stream = runs[r].stream;
                avail = runs[r].tokens - in_run;
            } else {
                stream = fresh_stream;
                avail = want;
            }
            uint32_t take = avail < want ? (uint32_t)avail : want;
            h = kvt_splitmix64(h ^ stream);
            h = kvt_splitmix64(h + (in_run << 24) + take);
            in_run += take;
            want -= take;
        }
        req->block_ids[j] = h;
        prev = h;
    }
    req->n_blocks = n;
    return 0;
}

void wl_apply_warm_prefix(wl_request_t *req, uint32_t shared_tokens)
{
    if (!req->block_tokens)
        return;
    uint64_t full = shared_tokens / req->block_tokens;
    uint64_t cls = req->depth > 0 ? 1 : 0;
    for (uint32_t j = 0; j < req->n_blocks && j < full; j++)
        req->block_ids[j] = wl_ns_id(WL_NS_WARM, (cls << 32) | j);
}
