/* Helpers shared by the Check suites: paths to shared data and fixtures, scratch folders, running the
 * kvtwin binary and reading files back. Every suite runs in Check's fork mode. */
#ifndef KVTWIN_TESTUTIL_H
#define KVTWIN_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* Path of a file under ../shared (traces, data); the suite fails if it is missing. */
const char *tu_shared(const char *rel);
/* Path of a file under tests/fixtures. */
const char *tu_fixture(const char *rel);
/* Path of a file under the source tree (configs/...). */
const char *tu_source(const char *rel);
/* A fresh empty folder under the build tree's scratch area, unique per call. */
const char *tu_scratch_dir(const char *tag);
/* Writes text to dir/name and returns the path. */
const char *tu_write_file(const char *dir, const char *name, const char *text);
/* Runs the kvtwin binary with the given arguments (NULL-terminated), capturing stdout and stderr into
 * malloc'd strings (may be NULL to discard). Returns the exit status, or -1 if it did not exit normally. */
int tu_run_kvtwin(char **out, char **err, const char *arg0, ...);
/* The same with the arguments as an array of nargs strings. */
int tu_run_kvtwin_argv(char **out, char **err, int nargs, const char *const *args);
/* Whole file into a malloc'd NUL-terminated string, or NULL. */
char *tu_read_file(const char *path, size_t *len);
int tu_file_exists(const char *path);
/* Number of entries in a folder (0 if missing). */
int tu_dir_entries(const char *path);
/* Runs a suite in fork mode and returns the process exit status for main(). */
int tu_run_suite(Suite *s);

#endif
