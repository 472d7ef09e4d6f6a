/* The registry of trace formats: one line per reader, in the order `kvtwin trace formats` lists them; the
 * line's name is the reader's format name in configs (checked by the readers' tests). Auto-detection asks
 * every reader's probe, so a new format is one file plus one line here. */
#include <stddef.h>
#include <string.h>

#include "workloads/reader.h"
#include "workloads/source.h"

#define WL_READER_LIST                                                                                                 \
    R(mooncake) /* Mooncake request log (JSON Lines) */                                                                \
    R(kvtester) /* agentic sessions, kv-cache-tester JSON (file or directory) */                                       \
    R(azure)    /* Azure LLM inference CSV (lengths only) */                                                           \
    R(native)   /* kvtwin session JSON Lines */

#define R(n) extern const wl_reader_ops_t wl_reader_##n;
WL_READER_LIST
#undef R

#define R(n) &wl_reader_##n,
const wl_reader_ops_t *const wl_readers[] = {WL_READER_LIST NULL};
#undef R

/* Format choices of workload.format: "auto", every reader in registry order, "synthetic". */
#define R(n) #n,
const char *const wl_format_names[] = {"auto", WL_READER_LIST "synthetic", NULL};
#undef R

int wl_format_find(const char *name)
{
    for (int i = 0; wl_format_names[i]; i++)
        if (strcmp(wl_format_names[i], name) == 0)
            return i;
    return -1;
}

const int wl_format_synthetic = (int)(sizeof wl_format_names / sizeof wl_format_names[0]) - 2;
