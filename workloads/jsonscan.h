/* A small validating JSON scanner, without building a tree.
 * cJSON allocates a node per value, which for a Mooncake line (tens of ids) costs more than the rest of the
 * replay; this scanner walks the text once, reads numbers in place and skips unknown values while still
 * checking their grammar. On failure msg says what was expected and err_off where (byte offset), for a
 * FILE:LINE:COLUMN message. */
#ifndef KVTWIN_JSONSCAN_H
#define KVTWIN_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct wl_js {
    const char *s;   /* start of the text */
    const char *p;   /* cursor */
    const char *end; /* one past the last byte */
    char msg[192];   /* what was expected, after a failure */
    size_t err_off;  /* offset of the failure from the start of the text */
} wl_js_t;

void wl_js_init(wl_js_t *j, const char *text, size_t len);

/* Container iteration: set first = true before the first call. Returns 1 when a member follows
  * (objects: key and klen hold the raw key text, the cursor is at the value), 0 at the closing bracket
 * (consumed), -1 on a syntax error. */
int wl_js_object_begin(wl_js_t *j);
int wl_js_object_next(wl_js_t *j, bool *first, const char **key, size_t *klen);
int wl_js_array_begin(wl_js_t *j);
int wl_js_array_next(wl_js_t *j, bool *first);

/* True (and consumed) if the next value is null. */
bool wl_js_null(wl_js_t *j);
/* A JSON number; -1 with msg naming what if the value is not one. */
int wl_js_number(wl_js_t *j, double *v, const char *what);
/* A non-negative integer below 2^64 (written without fraction or exponent, or with an integral value). */
int wl_js_uint(wl_js_t *j, uint64_t *v, const char *what);
/* A string value: raw text between the quotes (escapes validated, not decoded). */
int wl_js_string(wl_js_t *j, const char **s, size_t *len, const char *what);
/* Any value, grammar checked. */
int wl_js_skip(wl_js_t *j);
/* Only whitespace left. */
int wl_js_finish(wl_js_t *j);

/* Offset of the cursor from the start of the text. */
size_t wl_js_offset(const wl_js_t *j);

/* True if the raw key equals lit. */
static inline bool wl_js_key_is(const char *key, size_t klen, const char *lit, size_t litlen)
{
    return klen == litlen && memcmp(key, lit, klen) == 0;
}
#define WL_JS_KEY(key, klen, lit) wl_js_key_is(key, klen, lit, sizeof(lit) - 1)

#endif
