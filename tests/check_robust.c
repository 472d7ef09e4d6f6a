/* Bad input and faults of the process and the disk (issue "nothing crashes, nothing silently wrong, nothing
 * lost"): strict --set values, one-line errors, duplicate keys, impossible settings, 64-bit sizes, results
 * folders that are never clobbered, locked, cleaned after signals and dead processes, a full disk while
 * run.h5 is written, byte-identical run.h5, gzip trailing data and the in-run conservation check.
 * Every test drives the kvtwin binary as a user would. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <dirent.h>

#include "models/hw.h"
#include "sim/out/outdir.h"
#include "testutil.h"

static const char *tiny(void)
{
    return tu_fixture("scenarios/tiny-synthetic.json");
}

/* Lines of stderr, not counting AddressSanitizer's notes about SimGrid's stack switching (sanitizer builds). */
static int lines_in(const char *s)
{
    int n = 0;
    for (const char *line = s; line && *line;) {
        const char *nl = strchr(line, '\n');
        bool asan = strncmp(line, "==", 2) == 0 || strncmp(line, "False positive error reports", 28) == 0 ||
                    strncmp(line, "For details see https://github.com/google/sanitizers", 52) == 0;
        n += !asan;
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

/* One-line error on stderr containing every given fragment. */
static void expect_one_line(const char *err, ...)
{
    ck_assert_msg(err && lines_in(err) == 1, "expected one line on stderr, got: %s", err ? err : "(null)");
    va_list ap;
    va_start(ap, err);
    for (const char *frag = va_arg(ap, const char *); frag; frag = va_arg(ap, const char *))
        ck_assert_msg(strstr(err, frag), "error \"%s\" lacks \"%s\"", err, frag);
    va_end(ap);
}

static void run_set_expect(const char *set, const char *frag1, const char *frag2)
{
    const char *dir = tu_scratch_dir("set");
    char out[1100];
    snprintf(out, sizeof out, "%s/res", dir);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", out, "--set", set, NULL);
    ck_assert_msg(rc == 2, "--set %s: expected exit 2, got %d (%s)", set, rc, err);
    expect_one_line(err, "--set ", frag1, frag2, NULL);
    ck_assert(!tu_file_exists(out));
    free(err);
}

START_TEST(set_values_parse_whole)
{
    run_set_expect("sim.duration_s=10m", "sim.duration_s", "write the number in s");
    run_set_expect("sim.duration_s=0x10", "sim.duration_s", "expected a number");
    run_set_expect("kv.g2.enabled=truex", "kv.g2.enabled", "expected true or false");
    run_set_expect("deployment.max_batch_seqs=64x", "deployment.max_batch_seqs", "expected an integer");
    run_set_expect(".=1", "keys joined by dots", "PATH=VALUE");
    run_set_expect("a..b=1", "keys joined by dots", "PATH=VALUE");
    /* A bad value given by --set is blamed on the --set, not on the scenario file it replaced. */
    run_set_expect("hardware=no-such-preset", "hardware.preset", "unknown hardware preset");
    run_set_expect("foo.bar=1", "foo", "unknown key");
    /* Good values still pass. */
    const char *dir = tu_scratch_dir("set-ok");
    char out[1100];
    snprintf(out, sizeof out, "%s/res", dir);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", out, "--set", "sim.duration_s=10", "--set",
                           "kv.g2.enabled=true", "--set", "kv.g2.policy=lru", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
}
END_TEST

START_TEST(errors_are_one_line_and_keys_unique)
{
    const char *dir = tu_scratch_dir("oneline");
    const char *nl = tu_write_file(dir, "nl.json",
                                   "{\"name\": \"x\", \"hardware\": \"dgx-h100\", \"model\": \"llama-3.1-8b\",\n"
                                   " \"bad\\nkey\": 1}\n");
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", nl, "--quiet", NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "nl.json:", "bad\\nkey", "unknown key", NULL);
    free(err);
    rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--set", "na\nme=3", NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "na\\nme", NULL);
    free(err);

    const char *dup = tu_write_file(dir, "dup.json",
                                    "{\"name\": \"x\", \"hardware\": \"dgx-h100\", \"model\": \"llama-3.1-8b\",\n"
                                    " \"sim\": {\"duration_s\": 10,\n"
                                    "         \"duration_s\": 20}}\n");
    rc = tu_run_kvtwin(NULL, &err, "run", dup, "--quiet", NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "dup.json:2:", "sim.duration_s", "duplicate key", NULL);
    free(err);
}
END_TEST

static const char *write_scenario(const char *dir, const char *name, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"name\": \"t\", \"seed\": 7, \"hardware\": {\"preset\": \"dgx-h100\", \"nodes\": 2},\n"
             " \"model\": \"llama-3.1-8b\",\n"
             " \"deployment\": {\"tp\": 2, \"max_batch_seqs\": 32, \"max_batch_tokens\": 4096,"
             " \"prefill_chunk_tokens\": 2048},\n"
             " \"workload\": {\"format\": \"synthetic\", \"replay\": \"closed\","
             " \"synth\": {\"sessions\": 20, \"session_rate_per_s\": 2.0, \"turns_mean\": 3,"
             " \"max_context_tokens\": 65536, \"block_tokens\": 256}}%s%s}\n",
             extra[0] ? ",\n " : "", extra);
    return tu_write_file(dir, name, text);
}

START_TEST(impossible_settings_are_errors)
{
    const char *dir = tu_scratch_dir("impossible");
    struct {
        const char *extra;
        const char *frag1, *frag2;
    } cases[] = {
        /* 20 TB of G2 per node on nodes of 2 TB DRAM */
        {"\"kv\": {\"g2\": {\"capacity_bytes\": 2e13}}", "kv.g2.capacity_bytes", "host DRAM"},
        {"\"kv\": {\"g1\": {\"capacity_bytes\": 1e12}}", "kv.g1.capacity_bytes", "HBM"},
        /* ICMS keys on a preset without ICMS */
        {"\"hardware\": {\"preset\": \"dgx-h100\", \"nodes\": 2, \"icms\": {\"enclosures\": 8}}",
         "hardware.icms.enclosures", "no ICMS"},
        {"\"kv\": {\"g35\": {\"capacity_bytes\": 1e12}}", "kv.g35.capacity_bytes", "no ICMS"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "s%zu.json", i);
        /* A later "hardware" key would be a duplicate: the case replaces the whole scenario's hardware. */
        const char *path;
        if (strncmp(cases[i].extra, "\"hardware\"", 10) == 0) {
            char text[2048];
            snprintf(text, sizeof text,
                     "{\"name\": \"t\", %s, \"model\": \"llama-3.1-8b\", \"deployment\": {\"tp\": 2},"
                     " \"workload\": {\"format\": \"synthetic\"}}\n",
                     cases[i].extra);
            path = tu_write_file(dir, name, text);
        } else {
            path = write_scenario(dir, name, cases[i].extra);
        }
        char *err = NULL;
        int rc = tu_run_kvtwin(NULL, &err, "run", path, "--quiet", NULL);
        ck_assert_msg(rc == 2, "case %zu: exit %d (%s)", i, rc, err);
        expect_one_line(err, name, cases[i].frag1, cases[i].frag2, NULL);
        free(err);
    }
    /* Switched off on purpose (what the default study's variants do): no error. */
    const char *off = write_scenario(dir, "off.json", "\"kv\": {\"g35\": {\"enabled\": false, \"policy\": \"lru\"}}");
    char out[1100];
    snprintf(out, sizeof out, "%s/off-res", dir);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", off, "--quiet", "--out", out, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    /* A trace path with the synthetic format would silently simulate the generator instead. */
    rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--set", "workload.path=trace.jsonl", NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "workload.path", "synthetic", NULL);
    free(err);
}
END_TEST

/* A Mooncake fixture replayed on a model whose window some requests exceed. */
static int run_window(const char *policy, const char *out, char **err)
{
    const char *dir = tu_scratch_dir("window");
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\": \"w\", \"hardware\": {\"preset\": \"dgx-h100\", \"nodes\": 1},\n"
             " \"model\": {\"preset\": \"llama-3.1-8b\", \"max_context_tokens\": 1200},\n"
             " \"deployment\": {\"tp\": 1},\n"
             " \"workload\": {\"format\": \"mooncake\", \"path\": \"%s\", \"replay\": \"open\"%s%s%s}}\n",
             tu_fixture("workloads/mooncake_small.jsonl"), policy ? ", \"context_overflow\": \"" : "",
             policy ? policy : "", policy ? "\"" : "");
    const char *path = tu_write_file(dir, "w.json", text);
    return tu_run_kvtwin(NULL, err, "run", path, "--quiet", "--out", out, NULL);
}

static double summary_num(const char *out, const char *a, const char *b)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/summary.json", out);
    char *text = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, a), b);
    ck_assert(cJSON_IsNumber(x));
    double v = x->valuedouble;
    cJSON_Delete(j);
    return v;
}

START_TEST(contexts_beyond_the_window)
{
    const char *dir = tu_scratch_dir("window-out");
    char out[1100];
    char *err = NULL;
    /* Default (warn): simulated as given, said on stderr. */
    snprintf(out, sizeof out, "%s/warn", dir);
    int rc = run_window(NULL, out, &err);
    ck_assert_msg(rc == 0, "%s", err);
    expect_one_line(err, "warning:", "beyond", "1200-token window", "context_overflow", NULL);
    ck_assert_double_eq(summary_num(out, "requests", "rejected"), 0);
    double in_warn = summary_num(out, "tokens_completed_requests", "input");
    free(err);
    /* reject: counted as rejected. */
    snprintf(out, sizeof out, "%s/reject", dir);
    rc = run_window("reject", out, &err);
    ck_assert_msg(rc == 0, "%s", err);
    expect_one_line(err, "were rejected", NULL);
    ck_assert(summary_num(out, "requests", "rejected") > 0);
    free(err);
    /* truncate: fewer input tokens, nothing rejected. */
    snprintf(out, sizeof out, "%s/truncate", dir);
    rc = run_window("truncate", out, &err);
    ck_assert_msg(rc == 0, "%s", err);
    expect_one_line(err, "cut to fit", NULL);
    ck_assert_double_eq(summary_num(out, "requests", "rejected"), 0);
    ck_assert(summary_num(out, "tokens_completed_requests", "input") < in_warn);
    free(err);
    /* error: no results. */
    snprintf(out, sizeof out, "%s/error", dir);
    rc = run_window("error", out, &err);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "w.json:", "workload.context_overflow", "window", NULL);
    ck_assert(!tu_file_exists(out));
    free(err);
    /* A model whose window holds every request: no word. */
    rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", out, "--set", "workload.context_overflow=error",
                       NULL);
    ck_assert_msg(rc == 0 && lines_in(err) == 0, "%d %s", rc, err);
    free(err);
}
END_TEST

START_TEST(gen_caps_contexts_or_warns)
{
    const char *dir = tu_scratch_dir("gen");
    char out[1100];
    snprintf(out, sizeof out, "%s/g.jsonl", dir);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "gen", "-o", out, "--sessions", "2", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(err, "warning:") && strstr(err, "--model"), "%s", err);
    free(err);
    rc = tu_run_kvtwin(NULL, &err, "gen", "-o", out, "--sessions", "2", "--model", "llama-3.1-8b", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(!strstr(err, "warning"), "%s", err);
    free(err);
    char *text = tu_read_file(out, NULL);
    ck_assert_msg(strstr(text, "\"max_context_tokens\":131072"), "header lacks the capped window");
    free(text);
    rc = tu_run_kvtwin(NULL, &err, "gen", "-o", out, "--model", "llama-3.1-8b", "--set", "max_context_tokens=200000",
                       NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "max_context_tokens", "131072", NULL);
    free(err);
}
END_TEST

START_TEST(counts_are_64_bit_and_sized_before_allocating)
{
    hw_pod_t p;
    memset(&p, 0, sizeof p);
    p.nodes = (1u << 29) + 1;
    p.node.gpus = 8;
    ck_assert_uint_eq(hw_pod_gpus(&p), (uint64_t)((1u << 29) + 1) * 8);

    const char *dir = tu_scratch_dir("sizes");
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, NULL, "hw", "show", "dgx-h100", "--set", "nodes=536870913", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(out, "536870913 nodes x 8 GPUs = 4294967304 "), "%s", out);
    free(out);
    rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--set", "hardware.nodes=536870913", NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "hardware.nodes", "instances", NULL);
    free(err);
    /* 1e9 nodes from a file: refused at once, located at its line. */
    const char *big = tu_write_file(dir, "big.json",
                                    "{\"name\": \"big\",\n \"hardware\": {\"preset\": \"dgx-h100\",\n"
                                    "  \"nodes\": 1000000000},\n \"model\": \"llama-3.1-8b\"}\n");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = tu_run_kvtwin(NULL, &err, "run", big, "--quiet", NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "big.json:3:", "hardware.nodes", NULL);
    ck_assert((double)(t1.tv_sec - t0.tv_sec) < 10);
    free(err);
}
END_TEST

START_TEST(out_never_clobbers_foreign_paths)
{
    const char *dir = tu_scratch_dir("clobber");
    char mine[1100], file[1100], res[1100];
    snprintf(mine, sizeof mine, "%s/mine", dir);
    mkdir(mine, 0755);
    tu_write_file(mine, "notes.txt", "precious\n");
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", mine, NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "not a kvtwin results folder", "notes.txt", "--force", NULL);
    free(err);
    snprintf(file, sizeof file, "%s/notes.txt", mine);
    ck_assert(tu_file_exists(file));
    /* A plain file. */
    const char *plain = tu_write_file(dir, "plain", "data\n");
    rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", plain, NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "is a file", NULL);
    free(err);
    /* --force replaces it. */
    rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", plain, "--force", NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    /* A kvtwin results folder is replaced without --force, and so is an empty folder. */
    rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", plain, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    snprintf(res, sizeof res, "%s/empty", dir);
    mkdir(res, 0755);
    rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", res, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    /* Nothing is left beside the results. */
    ck_assert_int_eq(tu_dir_entries(dir), 3);
    /* An output folder that cannot be made is an output error: exit 2. */
    char under[1100];
    snprintf(under, sizeof under, "%s/sub", file);
    rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", under, NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "cannot create", NULL);
    free(err);
}
END_TEST

START_TEST(study_out_is_checked_too)
{
    const char *dir = tu_scratch_dir("study-clobber");
    char mine[1100];
    snprintf(mine, sizeof mine, "%s/mine", dir);
    mkdir(mine, 0755);
    tu_write_file(mine, "notes.txt", "precious\n");
    char study[2048];
    snprintf(study, sizeof study, "{\"name\": \"s\", \"scenario\": \"%s\", \"variants\": [{\"name\": \"a\"}]}\n",
             tiny());
    const char *path = tu_write_file(dir, "s.json", study);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "study", path, "--quiet", "--out", mine, NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "not a kvtwin results folder", NULL);
    free(err);
}
END_TEST

START_TEST(a_lock_guards_the_folder)
{
    const char *dir = tu_scratch_dir("lock");
    char out[1100], lock[1200];
    snprintf(out, sizeof out, "%s/res", dir);
    snprintf(lock, sizeof lock, "%s.lock", out);
    int fd = open(lock, O_RDWR | O_CREAT, 0644);
    ck_assert(fd >= 0);
    ck_assert_int_eq(write(fd, "4242\n", 5), 5);
    ck_assert_int_eq(flock(fd, LOCK_EX), 0);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", out, NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "another kvtwin process 4242", "res.lock", NULL);
    free(err);
    ck_assert(!tu_file_exists(out));
    close(fd); /* the holder died: the next run proceeds and removes the lock file */
    rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", out, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    free(err);
    ck_assert(!tu_file_exists(lock));
    ck_assert_int_eq(tu_dir_entries(dir), 1);
}
END_TEST

static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

START_TEST(stale_temporary_folders_are_removed)
{
    const char *dir = tu_scratch_dir("stale");
    char out[1100], tmp[1200], old[1200];
    snprintf(out, sizeof out, "%s/res", dir);
    pid_t dead = dead_pid();
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out, (long)dead);
    snprintf(old, sizeof old, "%s.old-%ld", out, (long)dead);
    mkdir(tmp, 0755);
    tu_write_file(tmp, "summary.json", "{}");
    mkdir(old, 0755);
    /* One of a live process (this one) stays. */
    char live[1200];
    snprintf(live, sizeof live, "%s.tmp-%ld", out, (long)getpid());
    mkdir(live, 0755);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", out, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_msg(strstr(err, "removed") && strstr(err, ".tmp-") && strstr(err, ".old-"), "%s", err);
    ck_assert_msg(strstr(err, "still runs"), "%s", err);
    free(err);
    ck_assert(!tu_file_exists(tmp));
    ck_assert(!tu_file_exists(old));
    ck_assert(tu_file_exists(live));
    rmdir(live);
}
END_TEST

static pid_t spawn_kvtwin(const char *const *argv)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        union {
            const char *const *in;
            char *const *out;
        } a = {argv};
        execv(KVTWIN_BIN, a.out);
        _exit(127);
    }
    return pid;
}

/* Waits (up to 20 s) until dir holds an entry starting with prefix; returns its PID suffix or -1. */
static long wait_for_entry(const char *dir, const char *prefix)
{
    for (int i = 0; i < 2000; i++) {
        DIR *d = opendir(dir);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
                    long pid = strtol(e->d_name + strlen(prefix), NULL, 10);
                    closedir(d);
                    return pid;
                }
            }
            closedir(d);
        }
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return -1;
}

START_TEST(a_signal_removes_the_temporary_folder)
{
    const char *dir = tu_scratch_dir("signal");
    char out[1100];
    snprintf(out, sizeof out, "%s/res", dir);
    const char *argv[] = {KVTWIN_BIN, "run", tiny(), "--quiet", "--out", out, "--set", "workload.synth.sessions=200000",
                          NULL};
    pid_t pid = spawn_kvtwin(argv);
    ck_assert(wait_for_entry(dir, "res.tmp-") == (long)pid);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "status %d", status);
    ck_assert_int_eq(tu_dir_entries(dir), 0);
}
END_TEST

START_TEST(a_signal_stops_a_study_and_its_children)
{
    const char *dir = tu_scratch_dir("signal-study");
    char study[2048];
    snprintf(study, sizeof study,
             "{\"name\": \"s\", \"scenario\": \"%s\", \"variants\": ["
             "{\"name\": \"a\", \"set\": {\"workload.synth.sessions\": 200000}},"
             "{\"name\": \"b\", \"set\": {\"workload.synth.sessions\": 200001}}]}\n",
             tiny());
    const char *path = tu_write_file(dir, "s.json", study);
    char out[1100], tmp[1200];
    snprintf(out, sizeof out, "%s/res", dir);
    const char *argv[] = {KVTWIN_BIN, "study", path, "--quiet", "--jobs", "2", "--out", out, NULL};
    pid_t pid = spawn_kvtwin(argv);
    /* The study folder is written in place (it resumes); each run writes its own temporary folder in it. */
    long a = wait_for_entry(out, "a.tmp-"), b = wait_for_entry(out, "b.tmp-");
    ck_assert(a > 0 && b > 0);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "status %d", status);
    /* The children were stopped and reaped by the study before it ended, and left nothing half written. */
    ck_assert_msg(kill((pid_t)a, 0) != 0 && errno == ESRCH, "variant a (%ld) still runs", a);
    ck_assert_msg(kill((pid_t)b, 0) != 0 && errno == ESRCH, "variant b (%ld) still runs", b);
    snprintf(tmp, sizeof tmp, "%s/a.tmp-%ld", out, a);
    ck_assert_msg(!tu_file_exists(tmp), "%s left behind", tmp);
    snprintf(tmp, sizeof tmp, "%s/b.tmp-%ld", out, b);
    ck_assert_msg(!tu_file_exists(tmp), "%s left behind", tmp);
    ck_assert(!tu_file_exists(out) || outdir_is_results(out));
}
END_TEST

/* The signal thread removes the temporary folder while the main thread goes on writing into it (a run is
 * killed while it writes its first files). Removal must win: nothing of the folder may be left. */
START_TEST(a_signal_while_files_are_written_leaves_nothing)
{
    const char *dir = tu_scratch_dir("signal-busy");
    char final[1100], tmp[1200];
    snprintf(final, sizeof final, "%s/res", dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        outdir_t o;
        char err[512];
        if (outdir_begin(&o, final, err, sizeof err) != 0)
            _exit(3);
        for (long i = 0;; i++) {
            char name[1300];
            if (i % 16 == 0) {
                snprintf(name, sizeof name, "%s/d%ld", o.tmp, i);
                mkdir(name, 0755); /* fails once the folder has gone: ignored, as a run would fail */
            }
            snprintf(name, sizeof name, "%s/d%ld/f%ld", o.tmp, i - i % 16, i);
            int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0)
                close(fd);
        }
    }
    ck_assert(pid > 0);
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", final, (long)pid);
    for (int i = 0; i < 2000 && tu_dir_entries(tmp) < 64; i++) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    ck_assert_int_ge(tu_dir_entries(tmp), 64);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "status %d", status);
    ck_assert_msg(tu_dir_entries(dir) == 0, "%d entries left in %s", tu_dir_entries(dir), dir);
}
END_TEST

/* A native trace is read inside the dispatcher actor: a line nested as deep as the JSON parser allows is a
 * one-line error (exit 2), not an overflow of the actor's stack. */
START_TEST(deep_json_in_a_trace_is_an_error)
{
    const char *dir = tu_scratch_dir("deep-json");
    enum { DEPTH = 990 };
    static char line[2 * DEPTH + 16];
    size_t n = 0;
    n += (size_t)snprintf(line + n, sizeof line - n, "{\"x\": ");
    for (int i = 0; i < DEPTH; i++)
        line[n++] = '[';
    for (int i = 0; i < DEPTH; i++)
        line[n++] = ']';
    snprintf(line + n, sizeof line - n, "}\n");
    char trace[4096];
    snprintf(trace, sizeof trace,
             "{\"session\": 1, \"turn\": 0, \"arrival_s\": 0, \"input_tokens\": 512, \"output_tokens\": 8}\n%s", line);
    tu_write_file(dir, "deep.jsonl", trace);
    char sc[1024];
    snprintf(sc, sizeof sc,
             "{\"name\": \"deep\", \"seed\": 1, \"hardware\": {\"preset\": \"dgx-a100\", \"nodes\": 1}, "
             "\"model\": \"opt-13b\", \"deployment\": {\"tp\": 1, \"instances\": 1, \"weight_dtype\": \"bf16\", "
             "\"kv_dtype\": \"bf16\", \"compute_dtype\": \"bf16\"}, "
             "\"workload\": {\"format\": \"native\", \"path\": \"deep.jsonl\", \"replay\": \"open\"}}\n");
    const char *path = tu_write_file(dir, "deep.json", sc);
    char out[1100];
    snprintf(out, sizeof out, "%s/res", dir);
    char *o = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&o, &err, "run", path, "--quiet", "--out", out, NULL);
    ck_assert_msg(rc == 2, "exit %d: %s", rc, err ? err : "");
    ck_assert_msg(lines_in(err) == 1 && strstr(err, "deep.jsonl:2:"), "%s", err);
    ck_assert(!tu_file_exists(out));
    free(o);
    free(err);
}
END_TEST

/* Runs kvtwin with a file-size limit (a full disk as a process sees it: writes fail with EFBIG). */
static int run_with_fsize(rlim_t bytes, const char *out, char **err)
{
    char err_path[] = "/tmp/kvtwin-test-fsize-XXXXXX";
    int efd = mkstemp(err_path);
    ck_assert(efd >= 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(efd, 2);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {bytes, bytes};
        setrlimit(RLIMIT_FSIZE, &rl);
        execl(KVTWIN_BIN, KVTWIN_BIN, "run", tiny(), "--quiet", "--out", out, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    close(efd);
    *err = tu_read_file(err_path, NULL);
    unlink(err_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

START_TEST(a_full_disk_fails_cleanly)
{
    const char *dir = tu_scratch_dir("full");
    /* platform.xml is ~70 KB and run.h5 ~1.3 MB: limits that fail inside each file, HDF5's included. */
    const rlim_t limits[] = {8 << 10, 100 << 10, 400 << 10, 1000 << 10};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        char out[1100];
        snprintf(out, sizeof out, "%s/res%zu", dir, i);
        char *err = NULL;
        int rc = run_with_fsize(limits[i], out, &err);
        ck_assert_msg(rc == 2, "limit %llu: exit %d (%s)", (unsigned long long)limits[i], rc, err);
        expect_one_line(err, "File too large", NULL);
        free(err);
    }
    ck_assert_int_eq(tu_dir_entries(dir), 0);
}
END_TEST

START_TEST(run_h5_is_byte_identical)
{
    const char *dir = tu_scratch_dir("h5");
    char a[1100], b[1100];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    ck_assert_int_eq(tu_run_kvtwin(NULL, NULL, "run", tiny(), "--quiet", "--out", a, NULL), 0);
    struct timespec ts = {1, 200 * 1000000L}; /* HDF5 stamps objects to the second */
    nanosleep(&ts, NULL);
    ck_assert_int_eq(tu_run_kvtwin(NULL, NULL, "run", tiny(), "--quiet", "--out", b, NULL), 0);
    char pa[1200], pb[1200];
    snprintf(pa, sizeof pa, "%s/run.h5", a);
    snprintf(pb, sizeof pb, "%s/run.h5", b);
    size_t la, lb;
    char *ta = tu_read_file(pa, &la), *tb = tu_read_file(pb, &lb);
    ck_assert(ta && tb);
    ck_assert_uint_eq(la, lb);
    ck_assert_msg(memcmp(ta, tb, la) == 0, "run.h5 differs between two runs of one scenario and seed");
    free(ta);
    free(tb);
}
END_TEST

START_TEST(gzip_trailing_garbage_is_an_error)
{
    const char *dir = tu_scratch_dir("gz");
    char plain[1200], gz[1200], cmd[4000];
    snprintf(plain, sizeof plain, "%s/t.jsonl", dir);
    snprintf(gz, sizeof gz, "%s/t.jsonl.gz", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && gzip -kf '%s' && printf 'garbage\\n' >> '%s'",
             tu_fixture("workloads/mooncake_small.jsonl"), plain, plain, gz);
    ck_assert_int_eq(system(cmd), 0);
    char *err = NULL;
    int rc = tu_run_kvtwin(NULL, &err, "trace", "stats", gz, NULL);
    ck_assert_int_eq(rc, 2);
    expect_one_line(err, "t.jsonl.gz:", "trailing data after the gzip stream", NULL);
    free(err);
    /* Two members one after the other are one valid gzip file. */
    snprintf(cmd, sizeof cmd, "head -n 3 '%s' | gzip -c > '%s' && tail -n +4 '%s' | gzip -c >> '%s'", plain, gz, plain,
             gz);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(tu_run_kvtwin(NULL, NULL, "trace", "stats", gz, NULL), 0);
}
END_TEST

START_TEST(conservation_is_checked_in_every_run)
{
    static const char *const quantities[] = {"requests", "tokens", "bytes", "links", "joules"};
    const char *dir = tu_scratch_dir("conserve");
    for (size_t i = 0; i < sizeof quantities / sizeof quantities[0]; i++) {
        char out[1100];
        snprintf(out, sizeof out, "%s/res", dir);
        setenv("KVTWIN_CONSERVE_INJECT", quantities[i], 1);
        char *err = NULL;
        int rc = tu_run_kvtwin(NULL, &err, "run", tiny(), "--quiet", "--out", out, NULL);
        unsetenv("KVTWIN_CONSERVE_INJECT");
        ck_assert_msg(rc == 1, "%s: exit %d", quantities[i], rc);
        char want[64];
        snprintf(want, sizeof want, "conservation check failed: %s", quantities[i]);
        if (strcmp(quantities[i], "links") == 0)
            snprintf(want, sizeof want, "conservation check failed: bytes on");
        expect_one_line(err, want, "no results", NULL);
        free(err);
        ck_assert_int_eq(tu_dir_entries(dir), 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("robust");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, set_values_parse_whole);
    tcase_add_test(tc, errors_are_one_line_and_keys_unique);
    tcase_add_test(tc, impossible_settings_are_errors);
    tcase_add_test(tc, contexts_beyond_the_window);
    tcase_add_test(tc, gen_caps_contexts_or_warns);
    tcase_add_test(tc, counts_are_64_bit_and_sized_before_allocating);
    tcase_add_test(tc, out_never_clobbers_foreign_paths);
    tcase_add_test(tc, study_out_is_checked_too);
    tcase_add_test(tc, a_lock_guards_the_folder);
    tcase_add_test(tc, stale_temporary_folders_are_removed);
    tcase_add_test(tc, a_signal_removes_the_temporary_folder);
    tcase_add_test(tc, a_signal_stops_a_study_and_its_children);
    tcase_add_test(tc, a_signal_while_files_are_written_leaves_nothing);
    tcase_add_test(tc, deep_json_in_a_trace_is_an_error);
    tcase_add_test(tc, a_full_disk_fails_cleanly);
    tcase_add_test(tc, run_h5_is_byte_identical);
    tcase_add_test(tc, gzip_trailing_garbage_is_an_error);
    tcase_add_test(tc, conservation_is_checked_in_every_run);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
