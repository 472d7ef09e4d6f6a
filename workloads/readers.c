/* The registry of trace formats: one line per reader, in the order `kvtwin trace formats` lists them.
 * Auto-detection asks every reader's probe, so a new format is one file plus one line here. */
#include <stddef.h>

#include "workloads/reader.h"

extern const wl_reader_ops_t wl_reader_mooncake, wl_reader_kvtester, wl_reader_azure, wl_reader_native;

const wl_reader_ops_t *const wl_readers[] = {
    &wl_reader_mooncake, /* Mooncake request log (JSON Lines) */
    &wl_reader_kvtester, /* agentic sessions, kv-cache-tester JSON (file or directory) */
    &wl_reader_azure,    /* Azure LLM inference CSV (lengths only) */
    &wl_reader_native,   /* kvtwin session JSON Lines */
    NULL,
};
