/* Trace readers: one file per format (workloads/reader_*.c), each a const ops table, all listed once in
 * workloads/readers.c. A reader streams records in file order into a caller-owned request; memory stays
 * flat in trace length (formats made of one JSON document per conversation hold one conversation).
 *
 * A record is a request plus its place in a session: which session and turn, the parent it was forked
 * from, how many sub-agents it forks, whether it is the last turn, and its think/tool delay. Formats
 * without sessions leave session_id = WL_NO_SESSION. Times are seconds; arrival_s is the trace's own
 * clock (absolute for request logs, from the conversation start for session files). */
#ifndef KVTWIN_READER_H
#define KVTWIN_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workloads/request.h"

typedef struct wl_sess_info {
    uint64_t parent_session;       /* WL_NO_SESSION for a top-level session */
    uint32_t parent_turn;          /* sub-agent: the parent's turn after which it was forked */
    uint32_t fork;                 /* sub-agents forked after this turn (they start together; the parent waits) */
    bool last;                     /* last turn of its session */
    bool delay_known;              /* think_s of the request comes from the trace's own figures */
    double tool_s;                 /* part of the request's think_s spent in tools (the rest is the user's) */
    double think_rec_s;            /* the think time exactly as the trace recorded it, -1 if absent */
    uint32_t shared_prefix_tokens; /* system + tool prompt tokens of the session (warm prefix), 0 if unknown */
    uint64_t line;                 /* line of the record in its file (for messages), 0 if none */
} wl_sess_info_t;

typedef struct wl_reader_opts {
    uint32_t default_block_tokens; /* block size for formats without block ids */
    bool allow_backwards_time;     /* warn (count) instead of failing when timestamps go backwards */
    double bucket_s;               /* Mooncake: identical timestamps are spread over up to this (0 = keep) */
    uint32_t conv_index;           /* session formats: index of the conversation for id namespaces */
    double time_offset_s;          /* session files: added to the conversation's clock */
} wl_reader_opts_t;

/* Return codes of next. */
enum { WL_REC_EOF = 0, WL_REC_OK = 1, WL_REC_BAD = -1, WL_REC_FATAL = -2 };

typedef struct wl_reader_ops {
    const char *name;        /* format name as in configs: "mooncake", ... */
    const char *description; /* one line for `kvtwin trace formats` */
    /* Each file is one conversation timed from its own start, sub-agents nested in their parent: open-loop
     * replay assembles it as a script, and its statistics use conversation-relative time. */
    bool whole_conversations;
    bool sessions;          /* records carry session structure */
    const char *extensions; /* file names it recognises, for the docs ("*.jsonl[.gz]") */
    /* How sure the reader is that a file with this name and first line is its format: 0 (no) .. 100. */
    int (*probe)(const char *path, const char *first_line);
    int (*open)(void **state, const char *path, const wl_reader_opts_t *opts, char *err, size_t errlen);
    /* WL_REC_OK with req (and info, never NULL) filled; WL_REC_EOF; WL_REC_BAD for a record that can be
     * skipped (err: "FILE:LINE: what was expected"); WL_REC_FATAL when reading cannot go on. */
    int (*next)(void *state, wl_request_t *req, wl_sess_info_t *info, char *err, size_t errlen);
    /* Timestamps that went backwards and were let through (allow_backwards_time). */
    uint64_t (*backwards)(void *state);
    void (*close)(void *state);
} wl_reader_ops_t;

/* NULL-terminated registry (workloads/readers.c). */
extern const wl_reader_ops_t *const wl_readers[];

const wl_reader_ops_t *wl_reader_by_format(int format);
const wl_reader_ops_t *wl_reader_by_name(const char *name);

/* Picks the reader for path (a directory means session files); err explains a failure. */
const wl_reader_ops_t *wl_reader_detect(const char *path, char *err, size_t errlen);

/* Lists the trace files of a directory (sorted by name; *.json, *.json.gz, *.jsonl, *.jsonl.gz) or the
 * path itself; the caller frees each name and the array. */
int wl_list_inputs(const char *path, char ***names, size_t *n, char *err, size_t errlen);
void wl_free_inputs(char **names, size_t n);

/* A reader over a trace file or a directory of session files (one conversation each, read in name
 * order), with --skip-bad handling: bad records are counted and skipped, the first message kept. */
typedef struct wl_stream wl_stream_t;

typedef struct wl_stream_opts {
    int format; /* index into wl_format_names; WL_FMT_AUTO detects per file */
    bool skip_bad;
    wl_reader_opts_t reader;
    double stagger_s; /* session files: conversation k's clock starts at k * stagger_s */
} wl_stream_opts_t;

int wl_stream_open(wl_stream_t **out, const char *path, const wl_stream_opts_t *o, char *err, size_t errlen);
/* WL_REC_OK, WL_REC_EOF or WL_REC_FATAL (bad records are fatal unless skip_bad). */
int wl_stream_next(wl_stream_t *s, wl_request_t *req, wl_sess_info_t *info, char *err, size_t errlen);
/* The reader of the file being read. */
const wl_reader_ops_t *wl_stream_reader(const wl_stream_t *s);
/* Index of the current file (conversation) and how many there are. */
size_t wl_stream_file_index(const wl_stream_t *s);
size_t wl_stream_files(const wl_stream_t *s);
const char *wl_stream_file_name(const wl_stream_t *s);
uint64_t wl_stream_skipped(const wl_stream_t *s);
const char *wl_stream_first_skip(const wl_stream_t *s); /* "" if none */
uint64_t wl_stream_backwards(const wl_stream_t *s);
void wl_stream_close(wl_stream_t *s);

#endif
