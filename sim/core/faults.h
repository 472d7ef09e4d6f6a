/* Fault injection (scenario key `faults`: [{"at_s": T, "target": "icms:E" or "g4:S", "duration_s": D}]).
 * An ICMS enclosure that fails at T loses the G3.5 blocks it holds (the KV manager drops them, so their
 * requests recompute those tokens) and, until T + D, the moves that would go to or come from it are served
 * by the next enclosure that is up (routing avoids the failed part); it comes back empty. One actor per
 * fault, none per request. A G4 server ("g4:S") likewise loses its G4 blocks and its moves go to the next
 * server up. The summary's "faults" object counts faults applied and blocks lost.
 * Not modelled yet (an error naming the target): drives, links, leaf switches, nodes; transfers
 * in flight at T complete (they do not fail); before/during/after figures are in the time series only. */
#ifndef KVTWIN_FAULTS_H
#define KVTWIN_FAULTS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/core/pod.h"

typedef struct fault {
    double at_s, duration_s;
    uint8_t kind; /* PF_ICMS or PF_G4 */
    uint32_t enc; /* enclosure or server */
} fault_t;

struct faults {
    fault_t *list;
    uint32_t n;
    uint32_t n_enc, width;
    uint32_t *down;    /* per enclosure: faults active now */
    uint32_t *g4_down; /* per G4 server */
    uint64_t g4_blocks_lost;
    uint32_t applied;
    uint64_t g35_blocks_lost;
};

/* Drops from G3.5 every block that enclosure `enc` of n_enc holds under the stripe width (the per-block map
 * of storage_path.h); returns the blocks lost. Blocks being read for a promotion (pinned) stay. */
uint64_t faults_lose_enclosure(kv_mgr_t *kv, uint32_t enc, uint32_t n_enc, uint32_t stripe_width);

/* Reads the scenario's fault list into p->faults (NULL when there is none). Bad input: -1, one line. */
int faults_prepare(pod_t *p, char *err, size_t errlen);
/* Starts one daemon actor per fault on host h. */
void faults_start(pod_t *p, sgb_host_t *h);
/* The enclosure that serves for enclosure e now: e, or the next one up while e is down. */
uint32_t faults_enclosure(const pod_t *p, uint32_t e);
/* The same for G4 server s. */
uint32_t faults_g4_server(const pod_t *p, uint32_t s);
/* Adds the "faults" object to the summary (only when the scenario lists faults). */
void faults_summary(const pod_t *p, cJSON *summary);
void faults_free(pod_t *p);

#endif
