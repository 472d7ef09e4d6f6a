/* Fault injection (scenario key `faults`: [{"at_s": T, "target": TARGET, "duration_s": D}]), one actor per
 * fault, none per request. Targets:
 *   "icms:E"          an ICMS enclosure: it loses the G3.5 blocks it holds under the stripe map; until T + D
 *                     the writes that would go to it go to the next enclosure up; it comes back empty;
 *   "icms:E/drive:D"  one SSD of enclosure E: the blocks on that drive (a deterministic share of the
 *                     enclosure's blocks, faults_drive_of_block) are lost and the enclosure's flash links lose
 *                     1/ssds_per_enclosure of their rate until T + D;
 *   "g4:S"            a G4 server, as an enclosure (the server map of pf_g4_of_block);
 *   "link:NAME"       a platform link by its name in platform.xml ("up-3", "eport-0", "fe-1"): transfers that
 *                     cross it fail; with per-flow paths new flows take a spine around a failed uplink;
 *   "leaf:L"          a leaf switch: its uplinks and every network route to or from an endpoint behind it;
 *   "node:N"          a compute node: the instances on it stop (their requests restart on instances that are
 *                     up, recomputing what they had), its domain's G1, G2 and G3 are lost, the dispatcher
 *                     routes around it; it comes back empty (not with disaggregation: an input error).
 * At T every transfer in flight whose path the fault breaks is cancelled (its SimGrid activity ends, its
 * bytes are booked as failed: conserve.h) and the request that waited for it recomputes the KV it had
 * counted on; transfers queued before T whose path is broken fail when a worker takes them. The summary's
 * "faults" object counts what was lost and, per fault, TTFT and throughput before, during and after. */
#ifndef KVTWIN_FAULTS_H
#define KVTWIN_FAULTS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/core/pod.h"

struct xfer_job;
struct xfer_wrec;
struct req_record;

typedef enum fault_kind { FK_ICMS = 0, FK_DRIVE, FK_G4, FK_LINK, FK_LEAF, FK_NODE } fault_kind_t;

typedef struct fault {
    double at_s, duration_s;
    uint8_t kind;  /* fault_kind_t */
    uint32_t idx;  /* enclosure, server, link, leaf or domain */
    uint32_t sub;  /* drive (FK_DRIVE); node (FK_NODE) */
    bool active;   /* between at_s and at_s + duration_s */
    char name[40]; /* the target as the scenario gave it */
} fault_t;

struct faults {
    fault_t *list;
    uint32_t n;
    uint32_t n_enc, width, drives;
    uint32_t *down;        /* per enclosure: faults active now */
    uint32_t *g4_down;     /* per G4 server */
    uint32_t *drives_down; /* per enclosure: failed drives now */
    uint32_t *leaf_down;   /* per leaf */
    uint32_t *dom_down;    /* per domain (node faults) */
    double *essd_base;     /* per enclosure: flash read and write rates before drive faults (2 each) */
    uint32_t applied;
    uint64_t g35_blocks_lost, g4_blocks_lost, g1_blocks_lost, g2_blocks_lost, g3_blocks_lost;
    uint64_t transfers_failed, transfers_cancelled, requests_restarted;
    double bytes_failed, recomputed_tokens;
    double *ttft_at, *ttft; /* completed requests: arrival and TTFT, for the before/during/after split */
    size_t n_ttft, cap_ttft;
    /* Blocks that entered a tier instance since the moves were last drained (the cache's event hook): the
     * blocks of the writes those moves become (faults_write_record). */
    struct faults_added {
        uint64_t id;
        uint32_t loc;
        int tier;
    } * added;
    size_t n_added, cap_added;
    uint64_t writes_failed, write_blocks_dropped;
};

/* Drops from G3.5 every block that enclosure `enc` of n_enc holds under the stripe width (the per-block map
 * of storage_path.h); returns the blocks lost. Blocks being read for a promotion (pinned) stay. */
uint64_t faults_lose_enclosure(kv_mgr_t *kv, uint32_t enc, uint32_t n_enc, uint32_t stripe_width);
/* The drive of its enclosure a block lies on: a hash of its id over the enclosure's `drives` SSDs, so each
 * drive holds a deterministic 1/drives share of the enclosure's blocks. */
uint32_t faults_drive_of_block(uint64_t id, uint32_t drives);
/* Drops the G3.5 blocks of drive `drive` of enclosure `enc`; returns the blocks lost. */
uint64_t faults_lose_drive(kv_mgr_t *kv, uint32_t enc, uint32_t drive, uint32_t n_enc, uint32_t stripe_width,
                           uint32_t drives);

/* Reads the scenario's fault list into p->faults (NULL when there is none). Bad input: -1, one line. */
int faults_prepare(pod_t *p, char *err, size_t errlen);
/* Starts one daemon actor per fault on host h. */
void faults_start(pod_t *p, sgb_host_t *h);
/* The enclosure that serves for enclosure e now: e, or the next one up while e is down. */
uint32_t faults_enclosure(const pod_t *p, uint32_t e);
/* The same for G4 server s. */
uint32_t faults_g4_server(const pod_t *p, uint32_t s);
/* The instance that takes a request routed to inst: inst, or while its node is down the least loaded
 * instance that is up (inst itself if none is). */
uint32_t faults_instance(const pod_t *p, uint32_t inst);
bool faults_instance_down(const pod_t *p, uint32_t inst);

/* Transfer layer: a queued write whose destination failed goes to the stand-in; true if an active fault
 * breaks the job's path r (it then fails without moving). */
void faults_redirect(pod_t *p, struct xfer_job *job);
bool faults_path_down(const pod_t *p, const struct xfer_job *job, const pf_route_t *r);
/* A transfer failed with its bytes: cancelled in flight, or failed when a worker took it. */
void faults_note_failed(pod_t *p, double bytes, bool in_flight);
/* Engine: tokens whose KV a fault destroyed under a request (they are recomputed); a request restarted on
 * another instance; instance inst of a failed node emptied (its G1 is dropped). */
void faults_note_recomputed(pod_t *p, double tokens);
void faults_note_restarted(pod_t *p);
void faults_instance_cleared(pod_t *p, uint32_t inst);
/* A request left the system (its TTFT counts in the before/during/after split). */
void faults_note_request(pod_t *p, const struct req_record *rec);

/* Failed writes. While faults are listed the cache's event hook records the blocks each move puts into its
 * destination's index before the bytes are there. faults_write_record: the blocks move m lists at its
 * destination (moves to the same destination drained together share them), NULL when no faults are listed;
 * faults_moves_drained: the moves drained so far have their records. faults_write_failed: the write failed
 * (its path went down, or it was cancelled in flight): its blocks are dropped from the destination's index
 * at that location (a copy elsewhere stays), counted as writes_failed and write_blocks_dropped. */
void faults_watch_writes(pod_t *p); /* installs the hook (faults_prepare does, when faults are listed) */
struct xfer_wrec *faults_write_record(pod_t *p, const kv_move_t *m);
void faults_moves_drained(pod_t *p);
void faults_write_failed(pod_t *p, struct xfer_wrec *w);

/* Adds the "faults" object to the summary (only when the scenario lists faults). */
void faults_summary(const pod_t *p, cJSON *summary);
void faults_free(pod_t *p);

#endif
