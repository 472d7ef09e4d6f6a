/* libFuzzer harness: the scenario loader with presets (configs/), binding and cross-section checks.
 * The input is a scenario file. */
#include <stdlib.h>

#include "fuzz_common.h"
#include "sim/config/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_input("scenario.json", data, size);
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    if (scenario_load(sc, path, NULL, 0, -1, err, sizeof err))
        fz_check_error(err);
    else
        cJSON_Delete(scenario_to_json(sc));
    scenario_free(sc);
    free(sc);
    return 0;
}
