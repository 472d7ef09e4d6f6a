/* Validating JSON scanner; see jsonscan.h. Follows RFC 8259's grammar; nesting is limited so that a
 * hostile line cannot exhaust the stack. */
#include "workloads/jsonscan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WL_JS_MAX_DEPTH 64

void wl_js_init(wl_js_t *j, const char *text, size_t len)
{
    j->s = text;
    j->p = text;
    j->end = text + len;
    j->msg[0] = '\0';
    j->err_off = 0;
}

size_t wl_js_offset(const wl_js_t *j)
{
    return (size_t)(j->p - j->s);
}

static int wl_js_fail(wl_js_t *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int wl_js_fail(wl_js_t *j, const char *fmt, ...)
{
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    j->err_off = wl_js_offset(j);
    if (j->p >= j->end)
        snprintf(j->msg, sizeof j->msg, "expected %s, found the end of the text", what);
    else
        snprintf(j->msg, sizeof j->msg, "expected %s, found '%c'", what, (*j->p >= 32 && *j->p < 127) ? *j->p : '?');
    return -1;
}

static inline void wl_js_ws(wl_js_t *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static inline bool wl_js_peek(wl_js_t *j, char c)
{
    wl_js_ws(j);
    return j->p < j->end && *j->p == c;
}

int wl_js_object_begin(wl_js_t *j)
{
    if (!wl_js_peek(j, '{'))
        return wl_js_fail(j, "a JSON object '{'");
    j->p++;
    return 0;
}

int wl_js_array_begin(wl_js_t *j)
{
    if (!wl_js_peek(j, '['))
        return wl_js_fail(j, "an array '['");
    j->p++;
    return 0;
}

static int wl_js_raw_string(wl_js_t *j, const char **s, size_t *len)
{
    if (!wl_js_peek(j, '"'))
        return -1;
    const char *start = ++j->p;
    while (j->p < j->end) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            *s = start;
            *len = (size_t)(j->p - start);
            j->p++;
            return 0;
        }
        if (c < 0x20)
            return wl_js_fail(j, "no control character inside a string");
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end)
                break;
            char e = *j->p;
            if (e == 'u') {
                for (int k = 1; k <= 4; k++) {
                    char h = j->p + k < j->end ? j->p[k] : '\0';
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) {
                        j->p += k;
                        return wl_js_fail(j, "four hex digits after \\u");
                    }
                }
                j->p += 4;
            } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
                return wl_js_fail(j, "a valid escape after '\\'");
            }
        }
        j->p++;
    }
    return wl_js_fail(j, "a closing '\"'");
}

int wl_js_object_next(wl_js_t *j, bool *first, const char **key, size_t *klen)
{
    wl_js_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return 0;
    }
    if (!*first) {
        if (j->p >= j->end || *j->p != ',')
            return wl_js_fail(j, "',' or '}'");
        j->p++;
        wl_js_ws(j);
    }
    *first = false;
    if (j->p >= j->end || *j->p != '"')
        return wl_js_fail(j, "a quoted key");
    if (wl_js_raw_string(j, key, klen))
        return -1;
    if (!wl_js_peek(j, ':'))
        return wl_js_fail(j, "':' after the key");
    j->p++;
    wl_js_ws(j);
    return 1;
}

int wl_js_array_next(wl_js_t *j, bool *first)
{
    wl_js_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++; /* a trailing comma never gets here: it is rejected right after the ',' */
        return 0;
    }
    if (!*first) {
        if (j->p >= j->end || *j->p != ',')
            return wl_js_fail(j, "',' or ']'");
        j->p++;
        wl_js_ws(j);
        if (j->p < j->end && *j->p == ']')
            return wl_js_fail(j, "a value after ','");
    }
    *first = false;
    return 1;
}

bool wl_js_null(wl_js_t *j)
{
    wl_js_ws(j);
    if (j->end - j->p >= 4 && memcmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return true;
    }
    return false;
}

/* Checks the number grammar at the cursor; *integer tells whether it has no fraction and no exponent. */
static int wl_js_number_span(wl_js_t *j, const char **start, bool *integer, bool *negative, const char *what)
{
    wl_js_ws(j);
    const char *p = j->p;
    *start = p;
    *negative = false;
    *integer = true;
    if (p < j->end && *p == '-') {
        *negative = true;
        p++;
    }
    if (p >= j->end || *p < '0' || *p > '9')
        return wl_js_fail(j, "%s (a number)", what);
    if (*p == '0')
        p++;
    else
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    if (p < j->end && *p == '.') {
        *integer = false;
        p++;
        if (p >= j->end || *p < '0' || *p > '9') {
            j->p = p;
            return wl_js_fail(j, "digits after the decimal point of %s", what);
        }
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < j->end && (*p == 'e' || *p == 'E')) {
        *integer = false;
        p++;
        if (p < j->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= j->end || *p < '0' || *p > '9') {
            j->p = p;
            return wl_js_fail(j, "digits in the exponent of %s", what);
        }
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    j->p = p;
    return 0;
}

int wl_js_number(wl_js_t *j, double *v, const char *what)
{
    const char *start;
    bool integer, negative;
    if (wl_js_number_span(j, &start, &integer, &negative, what))
        return -1;
    if (integer && j->p - start - negative <= 15) {
        /* Fast path: at most 15 digits are exact in a double. */
        uint64_t x = 0;
        for (const char *q = start + negative; q < j->p; q++)
            x = x * 10 + (uint64_t)(*q - '0');
        *v = negative ? -(double)x : (double)x;
        return 0;
    }
    /* The span was validated and is followed by a non-number byte (or the NUL after the line). */
    char tmp[64];
    size_t n = (size_t)(j->p - start);
    if (n >= sizeof tmp) {
        j->p = start;
        return wl_js_fail(j, "%s (a number of at most 63 characters)", what);
    }
    memcpy(tmp, start, n);
    tmp[n] = '\0';
    *v = strtod(tmp, NULL);
    return 0;
}

int wl_js_uint(wl_js_t *j, uint64_t *v, const char *what)
{
    const char *start;
    bool integer, negative;
    wl_js_ws(j);
    const char *at = j->p;
    if (wl_js_number_span(j, &start, &integer, &negative, what))
        return -1;
    if (negative) {
        j->p = at;
        return wl_js_fail(j, "%s (a non-negative integer)", what);
    }
    if (integer) {
        uint64_t x = 0;
        for (const char *q = start; q < j->p; q++) {
            uint64_t d = (uint64_t)(*q - '0');
            if (x > (UINT64_MAX - d) / 10) {
                j->p = at;
                return wl_js_fail(j, "%s (an integer below 2^64)", what);
            }
            x = x * 10 + d;
        }
        *v = x;
        return 0;
    }
    j->p = start;
    double d;
    if (wl_js_number(j, &d, what))
        return -1;
    if (!(d >= 0 && d < 18446744073709551616.0) || d != (double)(uint64_t)d) {
        j->p = at;
        return wl_js_fail(j, "%s (a non-negative integer)", what);
    }
    *v = (uint64_t)d;
    return 0;
}

int wl_js_string(wl_js_t *j, const char **s, size_t *len, const char *what)
{
    if (!wl_js_peek(j, '"'))
        return wl_js_fail(j, "%s (a string)", what);
    return wl_js_raw_string(j, s, len);
}

static int wl_js_skip_depth(wl_js_t *j, int depth)
{
    if (depth > WL_JS_MAX_DEPTH)
        return wl_js_fail(j, "at most %d nested levels", WL_JS_MAX_DEPTH);
    wl_js_ws(j);
    if (j->p >= j->end)
        return wl_js_fail(j, "a value");
    char c = *j->p;
    bool first = true;
    int rc;
    switch (c) {
    case '{':
        j->p++;
        const char *k;
        size_t kl;
        while ((rc = wl_js_object_next(j, &first, &k, &kl)) == 1)
            if (wl_js_skip_depth(j, depth + 1))
                return -1;
        return rc;
    case '[':
        j->p++;
        while ((rc = wl_js_array_next(j, &first)) == 1)
            if (wl_js_skip_depth(j, depth + 1))
                return -1;
        return rc;
    case '"': {
        const char *s;
        size_t n;
        return wl_js_raw_string(j, &s, &n);
    }
    case 't':
        if (j->end - j->p >= 4 && memcmp(j->p, "true", 4) == 0) {
            j->p += 4;
            return 0;
        }
        break;
    case 'f':
        if (j->end - j->p >= 5 && memcmp(j->p, "false", 5) == 0) {
            j->p += 5;
            return 0;
        }
        break;
    case 'n':
        if (wl_js_null(j))
            return 0;
        break;
    default: {
        double v;
        if ((c >= '0' && c <= '9') || c == '-')
            return wl_js_number(j, &v, "a value");
        break;
    }
    }
    return wl_js_fail(j, "a JSON value");
}

int wl_js_skip(wl_js_t *j)
{
    return wl_js_skip_depth(j, 0);
}

int wl_js_finish(wl_js_t *j)
{
    wl_js_ws(j);
    if (j->p != j->end)
        return wl_js_fail(j, "the end of the line after the object");
    return 0;
}
