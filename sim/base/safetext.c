/* One-line messages; see safetext.h. */
#define _POSIX_C_SOURCE 200809L
#include "sim/base/safetext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kvt_escape(const char *in, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    size_t o = 0;
    for (const unsigned char *s = (const unsigned char *)in; *s; s++) {
        char esc[5];
        size_t n;
        if (*s == '\n')
            n = (size_t)snprintf(esc, sizeof esc, "\\n");
        else if (*s == '\r')
            n = (size_t)snprintf(esc, sizeof esc, "\\r");
        else if (*s == '\t')
            n = (size_t)snprintf(esc, sizeof esc, "\\t");
        else if (*s < 0x20 || *s == 0x7f)
            n = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *s);
        else {
            esc[0] = (char)*s;
            esc[1] = '\0';
            n = 1;
        }
        if (o + n + 1 > outlen)
            break;
        memcpy(out + o, esc, n);
        o += n;
    }
    out[o] = '\0';
}

void kvt_escape_inplace(char *buf, size_t size)
{
    if (size == 0)
        return;
    const unsigned char *s = (const unsigned char *)buf;
    for (; *s; s++)
        if (*s < 0x20 || *s == 0x7f)
            break;
    if (!*s)
        return;
    char *copy = strdup(buf);
    if (!copy)
        return;
    kvt_escape(copy, buf, size);
    free(copy);
}
