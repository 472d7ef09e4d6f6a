/* JSON positions: see jsonpos.h. The scanner understands just enough JSON to skip values and read keys;
 * it assumes the text already parsed with cJSON, so malformed input only needs to fail safely. */
#include "sim/base/jsonpos.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

jp_pos_t jp_pos_of_offset(const char *text, size_t off)
{
    jp_pos_t p = {1, 1};
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            p.line++;
            p.column = 1;
        } else {
            p.column++;
        }
    }
    return p;
}

jp_pos_t jp_parse_error_pos(const char *text)
{
    const char *at = cJSON_GetErrorPtr();
    size_t off = 0;
    if (at && at >= text && at <= text + strlen(text))
        off = (size_t)(at - text);
    return jp_pos_of_offset(text, off);
}

typedef struct jp_scan {
    const char *s;
    size_t len, i;
} jp_scan_t;

static void jp_ws(jp_scan_t *sc)
{
    while (sc->i < sc->len && isspace((unsigned char)sc->s[sc->i]))
        sc->i++;
}

/* Skips a string starting at the opening quote; copies its raw content to key (if non-NULL). */
static int jp_string(jp_scan_t *sc, char *key, size_t keylen)
{
    if (sc->i >= sc->len || sc->s[sc->i] != '"')
        return -1;
    sc->i++;
    size_t k = 0;
    while (sc->i < sc->len && sc->s[sc->i] != '"') {
        char c = sc->s[sc->i];
        if (c == '\\' && sc->i + 1 < sc->len) {
            if (key && k + 1 < keylen)
                key[k++] = sc->s[sc->i + 1];
            sc->i += 2;
            continue;
        }
        if (key && k + 1 < keylen)
            key[k++] = c;
        sc->i++;
    }
    if (key)
        key[k] = '\0';
    if (sc->i >= sc->len)
        return -1;
    sc->i++;
    return 0;
}

static int jp_skip_value(jp_scan_t *sc)
{
    jp_ws(sc);
    if (sc->i >= sc->len)
        return -1;
    char c = sc->s[sc->i];
    if (c == '"')
        return jp_string(sc, NULL, 0);
    if (c == '{' || c == '[') {
        int depth = 0;
        while (sc->i < sc->len) {
            c = sc->s[sc->i];
            if (c == '"') {
                if (jp_string(sc, NULL, 0))
                    return -1;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']')
                depth--;
            sc->i++;
            if (depth == 0)
                return 0;
        }
        return -1;
    }
    while (sc->i < sc->len && !strchr(",]} \t\r\n", sc->s[sc->i]))
        sc->i++;
    return 0;
}

/* With sc at an object, moves to the value of key. */
static int jp_enter_key(jp_scan_t *sc, const char *want)
{
    jp_ws(sc);
    if (sc->i >= sc->len || sc->s[sc->i] != '{')
        return -1;
    sc->i++;
    for (;;) {
        jp_ws(sc);
        if (sc->i >= sc->len || sc->s[sc->i] == '}')
            return -1;
        char key[256];
        if (jp_string(sc, key, sizeof key))
            return -1;
        jp_ws(sc);
        if (sc->i >= sc->len || sc->s[sc->i] != ':')
            return -1;
        sc->i++;
        jp_ws(sc);
        if (strcmp(key, want) == 0)
            return 0;
        if (jp_skip_value(sc))
            return -1;
        jp_ws(sc);
        if (sc->i < sc->len && sc->s[sc->i] == ',')
            sc->i++;
    }
}

/* With sc at an array, moves to element idx. */
static int jp_enter_index(jp_scan_t *sc, long idx)
{
    jp_ws(sc);
    if (sc->i >= sc->len || sc->s[sc->i] != '[')
        return -1;
    sc->i++;
    for (long n = 0;; n++) {
        jp_ws(sc);
        if (sc->i >= sc->len || sc->s[sc->i] == ']')
            return -1;
        if (n == idx)
            return 0;
        if (jp_skip_value(sc))
            return -1;
        jp_ws(sc);
        if (sc->i < sc->len && sc->s[sc->i] == ',')
            sc->i++;
    }
}

int jp_locate(const char *text, size_t len, const char *path, size_t *offset, int *depth)
{
    jp_scan_t sc = {text, len, 0};
    jp_ws(&sc);
    size_t found = sc.i;
    int matched = 0;
    if (depth)
        *depth = 0;
    const char *p = path ? path : "";
    while (*p) {
        if (*p == '.') {
            p++;
            continue;
        }
        size_t save = sc.i;
        int rc;
        if (*p == '[') {
            char *end;
            long idx = strtol(p + 1, &end, 10);
            if (*end != ']')
                break;
            p = end + 1;
            rc = jp_enter_index(&sc, idx);
        } else {
            char key[256];
            size_t k = 0;
            while (*p && *p != '.' && *p != '[' && k + 1 < sizeof key)
                key[k++] = *p++;
            key[k] = '\0';
            rc = jp_enter_key(&sc, key);
        }
        if (rc) {
            sc.i = save;
            *offset = found;
            return -1;
        }
        jp_ws(&sc);
        found = sc.i;
        if (depth)
            *depth = ++matched;
    }
    *offset = found;
    return *p ? -1 : 0;
}
