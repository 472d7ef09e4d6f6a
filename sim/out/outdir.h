/* Result folders that appear whole or not at all: everything is written into a temporary sibling folder,
 * which replaces the final one only when complete. */
#ifndef KVTWIN_OUTDIR_H
#define KVTWIN_OUTDIR_H

#include <stddef.h>

typedef struct outdir {
    char final[1024];
    char tmp[1100];
} outdir_t;

/* Creates the parents of final and an empty temporary folder next to it. */
int outdir_begin(outdir_t *o, const char *final, char *err, size_t errlen);
/* Path of a file inside the temporary folder. */
void outdir_file(const outdir_t *o, const char *name, char *out, size_t outlen);
/* Moves the temporary folder into place, replacing a previous result. */
int outdir_commit(outdir_t *o, char *err, size_t errlen);
/* Removes the temporary folder (failed run). */
void outdir_abort(outdir_t *o);
/* Removes a folder and everything under it. */
void outdir_rmtree(const char *path);

#endif
