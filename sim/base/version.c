/* Version strings; see version.h. */
#include "sim/base/version.h"

#include <simgrid/engine.h>
#include <simgrid/version.h>

const char *kvt_simgrid_version(void)
{
    static char buf[32];
    if (!buf[0]) {
        int major, minor, patch;
        sg_version_get(&major, &minor, &patch);
        snprintf(buf, sizeof buf, "%d.%d.%d", major, minor, patch);
    }
    return buf;
}

void kvt_print_version(FILE *out)
{
    fprintf(out, "kvtwin %s (SimGrid %s)\n", KVTWIN_VERSION, kvt_simgrid_version());
}
