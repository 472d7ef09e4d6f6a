/* libFuzzer harness: one trace reader (FUZZ_FORMAT_NAME, a workload.format name), or the auto-detecting one
 * ("auto", where the input's first byte picks the file name the detection sees), through the
 * workload source as a run reads it: open loop, up to 20,000 requests. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "workloads/source.h"

#ifndef FUZZ_FORMAT_NAME
#define FUZZ_FORMAT_NAME "auto"
#endif
#ifndef FUZZ_NAME
#define FUZZ_NAME "trace.jsonl"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *name = FUZZ_NAME;
    int format = wl_format_find(FUZZ_FORMAT_NAME);
    if (format < 0)
        abort(); /* the harness names a format the registry lacks */
    if (format == WL_FMT_AUTO && size > 0) {
        static const char *const names[] = {"trace.jsonl", "session.json", "azure.csv", "trace.jsonl.gz", "trace.txt"};
        name = names[data[0] % 5];
        data++;
        size--;
    }
    const char *path = fz_write_input(name, data, size);
    wl_config_t cfg;
    wl_config_defaults(&cfg);
    cfg.format = format;
    snprintf(cfg.path, sizeof cfg.path, "%s", path);
    cfg.replay = WL_OPEN_LOOP;
    cfg.skip_bad = size % 2; /* both ways of meeting a bad record */
    wl_source_t *src = NULL;
    char err[2048];
    if (wl_source_open(&src, &cfg, err, sizeof err)) {
        fz_check_error(err);
        return 0;
    }
    wl_request_t req = {0};
    for (int i = 0; i < 20000; i++) {
        int rc = wl_source_next(src, &req, err, sizeof err);
        if (rc < 0) {
            fz_check_error(err);
            break;
        }
        if (rc == 0 && wl_source_finished(src))
            break;
        if (rc == 0)
            break;
        if (req.n_blocks > req.blocks_cap)
            abort();
    }
    wl_request_free(&req);
    wl_source_close(src);
    return 0;
}
