/* Reuse analysis of a trace (kvtwin trace stats --reuse): every block reference counted on its own, in
 * file order (the convention of general cache analysis; the prefix semantics of kvtwin's hit rates do not
 * enter here).
 *
 *  - reuse distance: distinct other blocks referenced since the block's previous reference (Mattson's
 *    stack distance: an LRU cache of C blocks hits exactly the references of distance < C); a Fenwick tree
 *    over reference times, O(log n) each. Histogram in powers of two; first references counted apart.
 *  - reuse time: seconds of trace time since the previous reference (arrival times; a session directory has
 *    one clock per conversation, its ids are local to it, so times stay within one conversation).
 *  - popularity: references per block, ranked; Zipf fit f(r) ~ r^-alpha by least squares of log f on
 *    log r over the ranks of blocks referenced at least twice (single-use blocks form the flat tail that a
 *    Zipf law does not describe), with its R^2.
 *  - working set: distinct blocks referenced in each window of window_s seconds, and the footprint
 *    (distinct blocks so far) at each window's end.
 * Memory: 8 bytes per reference (times), 24 per distinct block, for the analysis's duration. */
#ifndef KVTWIN_REUSE_H
#define KVTWIN_REUSE_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "workloads/request.h"

#define WL_REUSE_BINS 48

typedef struct wl_reuse wl_reuse_t;

wl_reuse_t *wl_reuse_new(double window_s);
void wl_reuse_free(wl_reuse_t *r);
void wl_reuse_add(wl_reuse_t *r, const wl_request_t *req);
/* Every figure as JSON (also computes the popularity ranking and the fit). */
cJSON *wl_reuse_json(wl_reuse_t *r);
void wl_reuse_print(wl_reuse_t *r, FILE *out);
/* Writes the plot data into dir: reuse-distance.dat, reuse-time.dat, popularity.dat, working-set.dat
 * (whitespace-separated columns, a # header). 0, or -1 with err. */
int wl_reuse_write(wl_reuse_t *r, const char *dir, char *err, size_t errlen);

#endif
