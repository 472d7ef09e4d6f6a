/* Buffered reading of trace files, plain or gzip-compressed (zlib reads both transparently).
 * Lines are handed out in place from one growing buffer, so memory stays flat in file length: the buffer
 * only grows to the longest line. A truncated or corrupt gzip stream is an error, never a silent EOF. */
#ifndef KVTWIN_LINEIO_H
#define KVTWIN_LINEIO_H

#include <stddef.h>
#include <stdint.h>

typedef struct wl_lines wl_lines_t;

/* Opens path for line reading; on failure err holds "PATH: cannot open (reason)". */
int wl_lines_open(wl_lines_t **out, const char *path, char *err, size_t errlen);

/* Next line, without its end of line ("\n" or "\r\n"), NUL-terminated and writable until the next call.
 * Returns 1, 0 at the end of the file, -1 on a read error (err: "PATH:LINE: corrupt gzip data (...)"). */
int wl_lines_next(wl_lines_t *l, char **line, size_t *len, char *err, size_t errlen);

/* 1-based number of the line last returned (0 before the first). */
uint64_t wl_lines_lineno(const wl_lines_t *l);
/* Bytes of (uncompressed) text consumed so far. */
uint64_t wl_lines_bytes(const wl_lines_t *l);
const char *wl_lines_path(const wl_lines_t *l);

void wl_lines_close(wl_lines_t *l);

/* Whole file (gzip transparently) into a malloc'd NUL-terminated buffer; *len excludes the NUL.
 * Fails on a corrupt gzip stream or if the file holds more than max_bytes of text. */
int wl_slurp(const char *path, size_t max_bytes, char **buf, size_t *len, char *err, size_t errlen);

#endif
