/* Shared by the libFuzzer harnesses: the input as a file (every loader reads paths), and the rule every
 * error must keep: one line, never empty. */
#ifndef KVTWIN_FUZZ_COMMON_H
#define KVTWIN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Writes data to a per-process scratch file named name (its extension drives format detection). */
const char *fz_write_input(const char *name, const uint8_t *data, size_t size);

/* Aborts (a finding) if a failure's message is empty or holds a control byte (a newline would split it,
 * a carriage return or an escape sequence would rewrite the terminal). */
void fz_check_error(const char *err);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
