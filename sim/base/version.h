/* Version strings that every output file carries: kvtwin's own and the SimGrid it was built with. */
#ifndef KVTWIN_BASE_VERSION_H
#define KVTWIN_BASE_VERSION_H

#include <stdio.h>

#ifndef KVTWIN_VERSION
#define KVTWIN_VERSION "0.0.0-unknown"
#endif

/* "3.32.0": the SimGrid library linked at run time. */
const char *kvt_simgrid_version(void);
void kvt_print_version(FILE *out);

#endif
