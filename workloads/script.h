/* Session scripts: what a session will ask for, turn by turn, before any timing is decided.
 *
 * A script is one agent (a top-level session or a sub-agent): its turns in order, each with its tokens,
 * its block ids, its think/tool delay, the service time the trace recorded, and the sub-agents it forks
 * after it (child scripts, which start together; the parent's next turn waits for all of them). The
 * source replays scripts open-loop (at their recorded times) or closed-loop (each turn after the previous
 * one completes). Memory: ids are stored as a delta against the previous turn of the same agent (the
 * leading ids they share plus the new ones), since a growing context repeats its prefix every turn; or as
 * token-stream runs (the generator), from which ids are computed on delivery.
 *
 * The assembler turns a reader's records back into scripts: one complete top-level tree at a time, in the
 * order sessions first appear, buffering interleaved sessions until each is complete. */
#ifndef KVTWIN_SCRIPT_H
#define KVTWIN_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workloads/blockid.h"
#include "workloads/reader.h"
#include "workloads/request.h"

typedef struct wl_sturn {
    uint32_t input_tokens;
    uint32_t output_tokens;
    uint32_t block_tokens;
    uint32_t n_blocks;  /* ids of the turn (ignored when n_runs > 0: computed from the runs) */
    uint32_t n_same;    /* leading ids equal to the previous turn's */
    uint32_t n_runs;    /* > 0: ids come from runs[off ..] (raw native stream numbers, at most WL_MAX_RUNS) */
    size_t off;         /* new ids at ids[off ..] (n_blocks - n_same of them), or the runs at runs[off ..] */
    double rec_t_s;     /* arrival on the trace's clock (absolute seconds); NAN if unknown */
    double delay_s;     /* think + tool delay before the turn (see wl_script_t) */
    double tool_s;      /* part of delay_s spent in tools */
    double think_rec_s; /* think time as recorded, -1 if absent (statistics only) */
    double api_s;       /* service time the trace recorded (or the generator's nominal one), -1 if unknown */
    bool delay_known;
    uint32_t fork; /* children forked after this turn: children[child0 .. child0 + fork) */
    uint32_t child0;
} wl_sturn_t;

/* Delays: turn 0 of a top-level script has none (it starts at start_s); turn 0 of a sub-agent waits
 * delay_s after the parent's forking turn completes; a turn after a fork waits delay_s after the last
 * child finishes; any other turn waits delay_s after the previous turn completes. */
typedef struct wl_script {
    uint64_t session_id;
    uint64_t parent_session; /* WL_NO_SESSION for a top-level script */
    uint32_t parent_turn;
    uint32_t depth;
    uint32_t shared_prefix_tokens; /* system + tool prompt tokens (warm shared prefix), 0 if unknown */
    double start_s;                /* top level: arrival of turn 0 on the trace's clock */
    uint32_t first_turn;           /* the session's index of turns[0]: > 0 for a session that the generator's
                                      warm start begins in progress (workloads/synth.h), else 0 */
    double origin_s;               /* when the session began (before 0 for one begun in progress); NAN unknown */
    bool complete;                 /* its last turn has been seen */
    wl_sturn_t *turns;
    uint32_t n_turns, cap_turns;
    uint32_t n_cut; /* turns after turns[n_turns - 1] not built: the generator's horizon (workloads/synth.h)
                       showed that none of them can arrive before the run ends; they still count in
                       turns_left */
    uint64_t *ids;
    size_t n_ids, cap_ids;
    wl_run_t *runs;
    size_t n_runs, cap_runs;
    struct wl_script **children;
    uint32_t n_children, cap_children;
    /* assembler bookkeeping */
    uint64_t *last_ids; /* ids of the last turn added (for the delta); freed when complete */
    uint32_t n_last, cap_last;
    uint32_t forks_expected; /* children announced by forks and not yet seen */
} wl_script_t;

wl_script_t *wl_script_new(uint64_t session_id, uint32_t depth);
/* Frees the script and its children. */
void wl_script_free(wl_script_t *s);

/* Appends a turn holding req's ids (delta-encoded) and times; returns -1 on allocation failure. */
int wl_script_add_turn(wl_script_t *s, const wl_request_t *req, const wl_sess_info_t *info);
/* Appends a turn whose ids come from runs. */
int wl_script_add_run_turn(wl_script_t *s, const wl_sturn_t *t, const wl_run_t *runs, uint32_t n_runs);
/* Attaches child as forked after turn parent_turn (which must be the script's last turn). */
int wl_script_add_child(wl_script_t *s, wl_script_t *child);

/* Rebuilds turn k's request into req: ids (from ctx, the ids of turn k-1, for delta turns) and tokens.
 * For delta turns ctx is updated to turn k's ids (run turns do not use it). Arrival and session_ref are
 * left to the caller. */
typedef struct wl_ctx {
    uint64_t *ids;
    uint32_t n, cap;
} wl_ctx_t;
int wl_script_fill(const wl_script_t *s, uint32_t k, wl_ctx_t *ctx, wl_request_t *req);
void wl_ctx_free(wl_ctx_t *c);

/* Bytes held by a script tree (for memory accounting in benchmarks and tests). */
size_t wl_script_bytes(const wl_script_t *s);

/* ---- assembler ---- */
typedef struct wl_asm wl_asm_t;

wl_asm_t *wl_asm_new(void);
void wl_asm_free(wl_asm_t *a);
/* Adds one record. Returns 0, or -1 with err ("what was expected", without file:line) on inconsistent
 * structure (an unknown parent, a turn out of order). */
int wl_asm_add(wl_asm_t *a, const wl_request_t *req, const wl_sess_info_t *info, char *err, size_t errlen);
/* Pops the oldest complete top-level script (NULL if none is complete yet). */
wl_script_t *wl_asm_pop(wl_asm_t *a);
/* At the end of input: marks every open script complete (sessions without a "last" mark end here). */
void wl_asm_finish(wl_asm_t *a);
/* Scripts waiting (complete or not). */
size_t wl_asm_pending(const wl_asm_t *a);

#endif
