/* Helpers shared by the Check suites: paths to shared data and fixtures, scratch folders, running the
 * kvtwin binary and reading files back. Every suite runs in Check's fork mode. */
#ifndef KVTWIN_TESTUTIL_H
#define KVTWIN_TESTUTIL_H

#include <check.h>
#include <cjson/cJSON.h>
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
/* The number at j.a[.b[.c]] (b and c may be NULL); the test fails if it is missing or not a number. */
double tu_num(const cJSON *j, const char *a, const char *b, const char *c);
/* The summary.json of a results folder, parsed; the test fails if it is missing or not JSON. */
cJSON *tu_read_summary(const char *dir);
/* One double column of a compound dataset of dir/run.h5 (e.g. "/requests", "ttft_s") into out (at most cap
 * rows; the test fails beyond); returns the rows. */
size_t tu_h5_column(const char *dir, const char *dataset, const char *column, double *out, size_t cap);
/* Number of entries in a folder (0 if missing). */
int tu_dir_entries(const char *path);
/* Exit status CTest reads as "skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt). */
#define TU_SKIP 77
/* For suites that need a tool or service outside the build (Chromium, Slurm, Python's h5py): returns when
 * the shell command probe succeeds. Otherwise the suite is skipped (exit TU_SKIP, naming what is missing and
 * how to get it), or fails when KVTWIN_TEST_SERVICES=1 says the tools must be there (scripts/test.sh sets
 * it after installing and starting them, so CI never skips). */
void tu_require(const char *what, const char *probe, const char *how);
/* Runs a shell command, capturing stdout and stderr together into a malloc'd string (may be NULL).
 * Returns the exit status, or -1. */
int tu_sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs a suite in fork mode and returns the process exit status for main(). */
int tu_run_suite(Suite *s);

#endif
