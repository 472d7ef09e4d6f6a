/* Messages stay one line: user text echoed in an error (a JSON key, a --set argument, a trace record) may
 * hold newlines, carriage returns or other control bytes, which would split the message or drive the
 * terminal. In workloads/ (the lowest layer that formats messages) so that readers and sim/ share it. */
#ifndef KVTWIN_BASE_SAFETEXT_H
#define KVTWIN_BASE_SAFETEXT_H

#include <stddef.h>

/* Rewrites buf in place (within size bytes, NUL included): every control byte becomes \n, \r, \t or \xNN.
 * Text that no longer fits is cut at a whole escape. */
void kvt_escape_inplace(char *buf, size_t size);

/* Copies in into out (outlen bytes) with the same escapes. */
void kvt_escape(const char *in, char *out, size_t outlen);

#endif
