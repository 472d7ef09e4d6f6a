/* Helpers of the harnesses; see fuzz_common.h. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_common.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *fz_write_input(const char *name, const uint8_t *data, size_t size)
{
    static char dir[512];
    static char path[1024];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/kvtwin-fuzz-%ld", t && *t ? t : "/tmp", (long)getpid());
        mkdir(dir, 0700);
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    return path;
}

void fz_check_error(const char *err)
{
    bool control = false;
    for (const unsigned char *c = (const unsigned char *)err; *c; c++)
        control |= *c < 0x20 || *c == 0x7f;
    if (!err[0] || control) {
        fprintf(stderr, "fuzz: bad error message: \"%s\"\n", err);
        abort();
    }
}
