/* Positions in JSON text, for error messages that name file:line:column.
 * cJSON keeps no source positions, so a value is found again by walking the text along its JSON path.
 * Used by the config loader and by the JSON trace readers. */
#ifndef KVTWIN_BASE_JSONPOS_H
#define KVTWIN_BASE_JSONPOS_H

#include <stddef.h>

typedef struct jp_pos {
    int line;   /* 1-based */
    int column; /* 1-based */
} jp_pos_t;

/* Line and column of byte offset off in text. */
jp_pos_t jp_pos_of_offset(const char *text, size_t off);

/* Where cJSON stopped when text failed to parse (uses cJSON_GetErrorPtr, which points into text). */
jp_pos_t jp_parse_error_pos(const char *text);

/* Finds the value at path ("a.b[2].c"; "" is the root) in text. On success returns 0 and the offset of the
 * value's first character. If the path is absent, returns -1 and the offset of the deepest ancestor found.
 * depth (may be NULL) receives the number of path components matched. */
int jp_locate(const char *text, size_t len, const char *path, size_t *offset, int *depth);

#endif
