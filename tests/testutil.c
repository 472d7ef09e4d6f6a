/* Test helpers: see testutil.h. Paths come from CMake so tests run from any working folder. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include "sim/out/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TU_PATHS 64
static char tu_paths[TU_PATHS][1024];
static int tu_next;

static char *tu_path_slot(void)
{
    char *p = tu_paths[tu_next];
    tu_next = (tu_next + 1) % TU_PATHS;
    return p;
}

const char *tu_shared(const char *rel)
{
    char *p = tu_path_slot();
    snprintf(p, 1024, "%s/%s", KVTWIN_SHARED_DIR, rel);
    ck_assert_msg(access(p, R_OK) == 0, "shared file missing: %s", p);
    return p;
}

const char *tu_fixture(const char *rel)
{
    char *p = tu_path_slot();
    snprintf(p, 1024, "%s/%s", KVTWIN_FIXTURE_DIR, rel);
    return p;
}

const char *tu_source(const char *rel)
{
    char *p = tu_path_slot();
    snprintf(p, 1024, "%s/%s", KVTWIN_SOURCE_DIR, rel);
    return p;
}

static void tu_mkdirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = buf + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(buf, 0755);
            *s = '/';
        }
    }
    mkdir(buf, 0755);
}

const char *tu_scratch_dir(const char *tag)
{
    static int counter;
    char *p = tu_path_slot();
    snprintf(p, 1024, "%s/tests-scratch/%s-%ld-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", tag, (long)getpid(),
             counter++);
    outdir_rmtree(p);
    tu_mkdirs(p);
    return p;
}

const char *tu_write_file(const char *dir, const char *name, const char *text)
{
    char *p = tu_path_slot();
    snprintf(p, 1024, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", p);
    fputs(text, f);
    fclose(f);
    return p;
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int tu_file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

int tu_dir_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static char *tu_slurp_fd(int fd)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while ((got = read(fd, buf + n, cap - n - 1)) > 0) {
        n += (size_t)got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[n] = '\0';
    return buf;
}

int tu_run_kvtwin(char **out, char **err, const char *arg0, ...)
{
    const char *args[64];
    int n = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && n < 62; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    return tu_run_kvtwin_argv(out, err, n, args);
}

int tu_run_kvtwin_argv(char **out, char **err, int nargs, const char *const *args)
{
    /* execv wants char *const[]; the strings are never modified. */
    char *argv[64];
    int argc = 0;
    static char bin[] = KVTWIN_BIN;
    argv[argc++] = bin;
    for (int i = 0; i < nargs && argc < 63; i++)
        argv[argc++] = strdup(args[i]);
    argv[argc] = NULL;

    /* Capture through temporary files: pipes could fill up and deadlock on long outputs. */
    char out_path[] = "/tmp/kvtwin-test-out-XXXXXX", err_path[] = "/tmp/kvtwin-test-err-XXXXXX";
    int ofd = mkstemp(out_path), efd = mkstemp(err_path);
    ck_assert(ofd >= 0 && efd >= 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        dup2(ofd, 1);
        dup2(efd, 2);
        execv(KVTWIN_BIN, argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    for (int i = 1; i < argc; i++)
        free(argv[i]);
    lseek(ofd, 0, SEEK_SET);
    lseek(efd, 0, SEEK_SET);
    char *o = tu_slurp_fd(ofd), *e = tu_slurp_fd(efd);
    close(ofd);
    close(efd);
    unlink(out_path);
    unlink(err_path);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int tu_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

void tu_require(const char *what, const char *probe, const char *how)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "(%s) >/dev/null 2>&1", probe);
    int rc = system(cmd);
    if (rc == 0)
        return;
    const char *must = getenv("KVTWIN_TEST_SERVICES");
    if (must && strcmp(must, "1") == 0) {
        fprintf(stderr, "FAIL: %s is required (KVTWIN_TEST_SERVICES=1) but `%s` fails; %s\n", what, probe, how);
        exit(1);
    }
    printf("SKIP: %s is not available (`%s` fails); %s. ./scripts/test.sh installs and starts it.\n", what, probe, how);
    exit(TU_SKIP);
}

int tu_sh(char **out, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[8300];
    snprintf(full, sizeof full, "(%s) 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p)
        return -1;
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[len] = '\0';
    int st = pclose(p);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

cJSON *tu_read_summary(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *text = tu_read_file(path, NULL);
    ck_assert_msg(text != NULL, "no %s", path);
    cJSON *j = cJSON_Parse(text);
    free(text);
    ck_assert_msg(j != NULL, "%s is not JSON", path);
    return j;
}

size_t tu_h5_column(const char *dir, const char *dataset, const char *column, double *out, size_t cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/run.h5", dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_msg(f >= 0, "cannot open %s", path);
    hid_t ds = H5Dopen2(f, dataset, H5P_DEFAULT);
    ck_assert_msg(ds >= 0, "no dataset %s in %s", dataset, path);
    hid_t sp = H5Dget_space(ds);
    hsize_t rows = 0;
    H5Sget_simple_extent_dims(sp, &rows, NULL);
    ck_assert_uint_le(rows, cap);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(double));
    H5Tinsert(t, column, 0, H5T_NATIVE_DOUBLE);
    ck_assert_msg(H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0, "cannot read %s.%s", dataset, column);
    H5Tclose(t);
    H5Sclose(sp);
    H5Dclose(ds);
    H5Fclose(f);
    return (size_t)rows;
}

double tu_num(const cJSON *j, const char *a, const char *b, const char *c)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b)
        x = x ? cJSON_GetObjectItemCaseSensitive(x, b) : NULL;
    if (c)
        x = x ? cJSON_GetObjectItemCaseSensitive(x, c) : NULL;
    ck_assert_msg(x && cJSON_IsNumber(x), "summary lacks %s.%s.%s", a, b ? b : "", c ? c : "");
    return x->valuedouble;
}
