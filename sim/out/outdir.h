/* Result folders that appear whole or not at all: everything is written into a temporary sibling folder,
 * which replaces the final one only when complete.
 *
 * Safety: an existing path is replaced only if it is a kvtwin results folder (every entry one that kvtwin
 * writes) or an empty folder, unless forced; a lock file beside it (FINAL.lock, flock) lets one process at
 * a time write it; temporary folders left by processes that died (FINAL.tmp-PID, FINAL.old-PID) are
 * removed, and reported, when the next run begins; a signal removes the temporary folder (sim/sigclean.h). */
#ifndef KVTWIN_OUTDIR_H
#define KVTWIN_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

typedef struct outdir {
    char final[1024];
    char tmp[1100];
    char lock[1100];
    int lock_fd; /* -1 when not held */
} outdir_t;

/* Creates the parents of final and an empty temporary folder next to it. Refuses (-1, err) a final path
 * that exists and is not a kvtwin results folder unless force, and a folder another process is writing. */
int outdir_begin_opts(outdir_t *o, const char *final, bool force, char *err, size_t errlen);
/* outdir_begin_opts without force. */
int outdir_begin(outdir_t *o, const char *final, char *err, size_t errlen);
/* Path of a file inside the temporary folder. */
void outdir_file(const outdir_t *o, const char *name, char *out, size_t outlen);
/* Moves the temporary folder into place, replacing a previous result, and releases the lock. */
int outdir_commit(outdir_t *o, char *err, size_t errlen);
/* Removes the temporary folder (failed run) and releases the lock. */
void outdir_abort(outdir_t *o);
/* Removes a folder and everything under it. */
void outdir_rmtree(const char *path);
/* True if path is a folder kvtwin may replace: empty, or holding only what a run or a study writes. */
bool outdir_is_results(const char *path);

#endif
