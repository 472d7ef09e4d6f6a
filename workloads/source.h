/* A workload source: the one interface the simulation pulls requests from.
 *
 * It hides the trace format (through the reader registry) and the replay mode:
 *  - open loop: arrivals at the trace's timestamps (times a time-scale factor), whatever the system does;
 *  - closed loop: a session's next turn is issued when its previous turn completes plus its think/tool
 *    time (timing strategies think-only, original, api-scaled); sub-agents of one marker start together
 *    and the parent resumes when all have finished; a cap on concurrent sessions with a ramp-up.
 * The built-in synthetic agentic generator is a source too (format "synthetic").
 * Memory stays flat in trace length in open loop: records are streamed, never loaded whole.
 * Times are seconds of simulated time. */
#ifndef KVTWIN_SOURCE_H
#define KVTWIN_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "workloads/request.h"
#include "workloads/synth.h"

/* Workload formats are indices into wl_format_names (workloads/readers.c): WL_FMT_AUTO detects the format
 * from the file, 1..n are the registered readers in registry order, wl_format_synthetic is the generator. */
enum { WL_FMT_AUTO = 0 };
extern const int wl_format_synthetic;
/* The value of a format name ("auto", a reader's name, "synthetic"), or -1. */
int wl_format_find(const char *name);

typedef enum wl_replay { WL_OPEN_LOOP = 0, WL_CLOSED_LOOP } wl_replay_t;

typedef enum wl_timing { WL_TIMING_THINK_ONLY = 0, WL_TIMING_ORIGINAL, WL_TIMING_API_SCALED } wl_timing_t;

/* What a timed run does with a request whose context (input + output tokens) exceeds the model's window:
 * simulate it as given and warn at the end, cut its input to fit (keeping the leading tokens, the prefix
 * a cache can reuse), reject it (counted as rejected), or stop the run with an input error. */
typedef enum wl_overflow {
    WL_OVERFLOW_WARN = 0,
    WL_OVERFLOW_TRUNCATE,
    WL_OVERFLOW_REJECT,
    WL_OVERFLOW_ERROR
} wl_overflow_t;

typedef struct wl_config {
    int format;                    /* index into wl_format_names */
    char path[1024];               /* trace file or directory (unused for synthetic) */
    int replay;                    /* wl_replay_t */
    double time_scale;             /* open loop: arrival times are multiplied by this */
    int timing;                    /* wl_timing_t, closed loop */
    double api_scale;              /* api-scaled timing: recorded api time is multiplied by this */
    uint32_t max_sessions;         /* closed loop: concurrent sessions cap (0 = no cap) */
    double ramp_up_s;              /* closed loop: sessions start spread over this time */
    bool warm_shared_prefix;       /* share system/tool-prompt blocks across sessions */
    uint64_t max_requests;         /* stop after this many requests (0 = all) */
    double max_arrival_s;          /* ignore arrivals after this time (0 = no limit) */
    bool skip_bad;                 /* count and skip malformed records instead of failing */
    bool allow_backwards_time;     /* warn instead of failing on timestamps going backwards */
    int context_overflow;          /* wl_overflow_t: contexts beyond the model's window (timed runs) */
    double timestamp_bucket_s;     /* Mooncake: requests sharing a timestamp are spread over up to this (0 = not) */
    uint32_t default_block_tokens; /* block size for formats without block ids (Azure) */
    uint64_t seed;                 /* run seed: every random stream derives from it */
    wl_synth_cfg_t synth;          /* generator parameters (format synthetic) */
} wl_config_t;

/* Defaults for every field: auto format (an empty path means the synthetic generator), closed loop (for
 * traces without sessions it is the same as open loop: each request is a one-turn session starting at
 * its timestamp), time scale 1, think-only timing, no session cap, Mooncake buckets of 3 s. */
void wl_config_defaults(wl_config_t *cfg);

typedef struct wl_source wl_source_t;

/* Opens the source; on a bad file returns -1 with one line "FILE:LINE: what was expected" in err. */
int wl_source_open(wl_source_t **out, const wl_config_t *cfg, char *err, size_t errlen);

/* Arrival time of the next request the source can deliver now; INFINITY if none is pending
 * (in closed loop a completion may schedule one later). */
double wl_source_peek_time(wl_source_t *s);

/* Delivers the next pending request (the one peek announced) into req, reusing req's id buffer.
 * Returns 1 if a request was delivered, 0 if none is pending, -1 on a bad record (err: "FILE:LINE: ..."). */
int wl_source_next(wl_source_t *s, wl_request_t *req, char *err, size_t errlen);

/* Closed loop: the request completed (first token at t_first_s, done at t_done_s); schedules what follows
 * (next turn after think time, parent resume after its sub-agents). A no-op in open loop. */
void wl_source_complete(wl_source_t *s, const wl_request_t *req, double t_first_s, double t_done_s);

/* Closed loop: the turn the last wl_source_complete scheduled for an agent that had run before (the completed
 * agent's next turn, or its parent's resumption once its last sub-agent finished). 1 with that agent's session,
 * the turn and its arrival time; 0 if it scheduled none (a fork, the session's end, a cut, open loop: there
 * wl_request_t.next_arrival_s says it at delivery). The oracle prestage policy reads it: the future. */
int wl_source_scheduled(const wl_source_t *s, uint64_t *session, uint32_t *turn, double *t_s);

/* True if the source knows each session's next turn (closed loop, or scripted open loop); false for a
 * streamed request log in open loop. */
bool wl_source_knows_next(const wl_source_t *s);

/* True once no request will ever be delivered again. */
bool wl_source_finished(const wl_source_t *s);

typedef struct wl_source_counts {
    uint64_t delivered;      /* requests handed out */
    uint64_t skipped;        /* malformed records skipped (skip_bad) */
    uint64_t sessions;       /* sessions started */
    uint64_t backwards_time; /* timestamps that went backwards (allow_backwards_time) */
} wl_source_counts_t;

void wl_source_counts(const wl_source_t *s, wl_source_counts_t *out);

/* Same as wl_source_next, also giving the request's place in its session (parent, forks, last turn,
 * tool part of the delay, warm prefix tokens) for writers and statistics. */
struct wl_sess_info;
struct wl_run;
int wl_source_next_info(wl_source_t *s, wl_request_t *req, struct wl_sess_info *info, char *err, size_t errlen);

/* The token-stream runs behind the request last delivered, when it came from the generator (raw native
 * stream numbers); 0 runs otherwise. Valid until the next delivery. */
uint32_t wl_source_last_runs(const wl_source_t *s, const struct wl_run **runs);

/* Names of the choices, index = value (NULL-terminated), shared with the config binding. */
extern const char *const wl_format_names[]; /* workloads/readers.c */
extern const char *const wl_replay_names[];
extern const char *const wl_timing_names[];
extern const char *const wl_overflow_names[];

void wl_source_close(wl_source_t *s);

#endif
