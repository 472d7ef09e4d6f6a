/* libFuzzer harness: --set PATH=VALUE assignments (one per input line, at most 16) over a fixed scenario
 * that names presets, so overrides reach inside them. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "sim/config/scenario.h"

static const char base[] =
    "{\"name\": \"f\", \"hardware\": {\"preset\": \"dgx-h100\", \"nodes\": 2}, \"model\": \"llama-3.1-8b\",\n"
    " \"deployment\": {\"tp\": 2}, \"kv\": {\"g2\": {\"capacity_bytes\": 4e10}},\n"
    " \"workload\": {\"format\": \"synthetic\", \"synth\": {\"sessions\": 4}}}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *scen;
    if (!scen) {
        static char keep[1024];
        strncpy(keep, fz_write_input("base.json", (const uint8_t *)base, sizeof base - 1), sizeof keep - 1);
        scen = keep;
    }
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *sets[16];
    int n = 0;
    for (char *line = text; line && n < 16;) {
        char *nl = memchr(line, '\n', strlen(line));
        if (nl)
            *nl = '\0';
        sets[n++] = line;
        line = nl ? nl + 1 : NULL;
    }
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    if (scenario_load(sc, scen, sets, n, -1, err, sizeof err))
        fz_check_error(err);
    scenario_free(sc);
    free(sc);
    free(text);
    return 0;
}
