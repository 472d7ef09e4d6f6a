/* Atomic result folders; see outdir.h. */
#define _DEFAULT_SOURCE
#include "sim/out/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/out/sigclean.h"

void outdir_rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[2048];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            outdir_rmtree(sub);
        else
            unlink(sub);
    }
    closedir(d);
    rmdir(path);
}

static int mkdirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Names a run writes, and those a study adds around its variants' folders. */
static bool known_entry(const char *dir, const char *name, bool *has_marker)
{
    static const char *const run_files[] = {"summary.json", "run.h5", "scenario.json", "platform.xml", NULL};
    /* The first of each list marks the folder as kvtwin's; study-index.json is a study's while it runs. */
    static const char *const study_files[] = {"study.json", "comparison.txt", "study.png", "plots.gp",
                                              "study-index.json", "comparison.csv", "study.png.tmp", "study.svg",
                                              "pareto.png", "pareto.gp", "pareto_points.dat", "size.txt", "size.json",
                                              "report.html", "report.md",
                                              /* kvtwin compare's, beside its study's */
                                              "compare.txt", "compare.csv", "compare.gp", "compare.png",
                                              "compare-summary.txt", "compare-study.json", "hit_by_tier.dat", NULL};
    for (int i = 0; run_files[i]; i++)
        if (strcmp(name, run_files[i]) == 0) {
            *has_marker |= i == 0;
            return true;
        }
    for (int i = 0; study_files[i]; i++)
        if (strcmp(name, study_files[i]) == 0) {
            *has_marker |= i == 0 || strcmp(name, "study-index.json") == 0;
            return true;
        }
    if ((strncmp(name, "ttft_cdf_", 9) == 0 || strncmp(name, "throughput_", 11) == 0) && has_suffix(name, ".dat"))
        return true;
    char sub[2048];
    snprintf(sub, sizeof sub, "%s/%s", dir, name);
    struct stat st;
    if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
        char marker[2100];
        snprintf(marker, sizeof marker, "%s/summary.json", sub);
        if (strcmp(name, "evals") == 0 || strcmp(name, "slurm") == 0 || strstr(name, ".tmp-") || strstr(name, ".old-"))
            return true; /* kvtwin size's evaluations, Slurm job scripts and logs, temporaries of an interrupted study */
        if (access(marker, F_OK) == 0)
            return outdir_is_results(sub); /* a study's run */
        /* A study's run left half written: only files a run writes, summary.json not yet among them. */
        DIR *d = opendir(sub);
        if (!d)
            return false;
        bool only_run_files = true;
        struct dirent *e;
        while (only_run_files && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            bool known = false;
            for (int i = 0; run_files[i]; i++)
                known |= strcmp(e->d_name, run_files[i]) == 0;
            only_run_files = known;
        }
        closedir(d);
        return only_run_files;
    }
    return false;
}

bool outdir_is_results(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool ok = true, marker = false;
    int n = 0;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n++;
        ok = known_entry(path, e->d_name, &marker);
    }
    closedir(d);
    /* Every entry is one kvtwin writes; a run folder whose summary.json is missing (half written by a process
     * that died) is still kvtwin's to replace. */
    (void)marker;
    return ok;
}

/* First entry of a folder that kvtwin did not write, for the message. */
static void foreign_entry(const char *path, char *out, size_t outlen)
{
    out[0] = '\0';
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    bool marker = false;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (!known_entry(path, e->d_name, &marker)) {
            snprintf(out, outlen, "%s", e->d_name);
            break;
        }
    }
    closedir(d);
}

/* Takes FINAL.lock. The file is removed when the lock is released, so a holder checks that the file it
 * locked is still the one at the path (else another process removed it in between and it retries). */
static int take_lock(outdir_t *o, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        int fd = open(o->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(err, errlen, "%s: cannot create the lock file (%s)", o->lock, strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            char pid[32] = "";
            ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
            pid[n > 0 ? n : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            close(fd);
            snprintf(err, errlen,
                     "%s: another kvtwin%s%s is writing these results (lock %s); wait for it or choose another "
                     "--out",
                     o->final, pid[0] ? " process " : "", pid, o->lock);
            return -1;
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(o->lock, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
            char pid[32];
            int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
                /* The lock holds without the process id in it; only the message of a loser is poorer. */
            }
            o->lock_fd = fd;
            return 0;
        }
        close(fd);
    }
    snprintf(err, errlen, "%s: cannot take the lock %s (it keeps changing)", o->final, o->lock);
    return -1;
}

static void release_lock(outdir_t *o)
{
    if (o->lock_fd < 0)
        return;
    unlink(o->lock); /* while still held: a waiting process then retries on a fresh file */
    close(o->lock_fd);
    o->lock_fd = -1;
}

/* Removes FINAL.tmp-PID and FINAL.old-PID of processes that no longer exist (we hold FINAL's lock, so no
 * live kvtwin writes them); one line on stderr says what went. */
static void remove_stale(const outdir_t *o)
{
    char parent[1024];
    snprintf(parent, sizeof parent, "%s", o->final);
    char *slash = strrchr(parent, '/');
    const char *base = o->final;
    if (slash) {
        base = o->final + (slash - parent) + 1;
        if (slash == parent)
            slash[1] = '\0';
        else
            *slash = '\0';
    } else {
        snprintf(parent, sizeof parent, ".");
    }
    DIR *d = opendir(parent);
    if (!d)
        return;
    size_t bl = strlen(base);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, base, bl) != 0)
            continue;
        const char *rest = e->d_name + bl;
        if (strncmp(rest, ".tmp-", 5) != 0 && strncmp(rest, ".old-", 5) != 0)
            continue;
        char *end;
        long pid = strtol(rest + 5, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid())
            continue;
        char path[2100];
        snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) {
            fprintf(stderr, "kvtwin: warning: %s belongs to process %ld, which still runs; left in place\n", path, pid);
            continue;
        }
        outdir_rmtree(path);
        fprintf(stderr, "kvtwin: removed %s, left by process %ld which ended before finishing\n", path, pid);
    }
    closedir(d);
}

int outdir_begin_opts(outdir_t *o, const char *final, bool force, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->lock_fd = -1;
    if (!final[0] || strlen(final) >= sizeof o->final) {
        snprintf(err, errlen, "%s: expected a results folder path of 1 to %zu characters", final, sizeof o->final - 1);
        return -1;
    }
    snprintf(o->final, sizeof o->final, "%s", final);
    size_t n = strlen(o->final);
    while (n > 1 && o->final[n - 1] == '/')
        o->final[--n] = '\0';
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp-%ld", o->final, (long)getpid());
    snprintf(o->lock, sizeof o->lock, "%s.lock", o->final);
    char parent[1024];
    snprintf(parent, sizeof parent, "%s", o->final);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (mkdirs(parent)) {
            snprintf(err, errlen, "%s: cannot create the results folder (%s)", parent, strerror(errno));
            return -1;
        }
    }
    kvt_cleanup_init();
    if (take_lock(o, err, errlen))
        return -1;
    struct stat st;
    if (!force && lstat(o->final, &st) == 0 && !outdir_is_results(o->final)) {
        char what[300];
        if (!S_ISDIR(st.st_mode)) {
            snprintf(what, sizeof what, "is a file");
        } else {
            char name[256];
            foreign_entry(o->final, name, sizeof name);
            snprintf(what, sizeof what, "holds \"%s\"", name);
        }
        snprintf(err, errlen,
                 "%s: exists and is not a kvtwin results folder (it %s); choose another --out or pass --force to "
                 "replace it",
                 o->final, what);
        release_lock(o);
        return -1;
    }
    remove_stale(o);
    outdir_rmtree(o->tmp);
    if (kvt_cleanup_mkdir_tmp(o->tmp, o->lock) != 0) {
        snprintf(err, errlen, "%s: cannot create the results folder (%s)", o->tmp, strerror(errno));
        kvt_cleanup_set_paths(NULL, NULL);
        release_lock(o);
        return -1;
    }
    return 0;
}

int outdir_begin(outdir_t *o, const char *final, char *err, size_t errlen)
{
    return outdir_begin_opts(o, final, false, err, errlen);
}

void outdir_file(const outdir_t *o, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", o->tmp, name);
}

int outdir_commit(outdir_t *o, char *err, size_t errlen)
{
    char old[1200];
    snprintf(old, sizeof old, "%s.old-%ld", o->final, (long)getpid());
    struct stat st;
    bool had_old = lstat(o->final, &st) == 0;
    kvt_cleanup_hold();
    if (had_old && rename(o->final, old) != 0) {
        snprintf(err, errlen, "%s: cannot replace the previous results (%s)", o->final, strerror(errno));
        kvt_cleanup_release();
        outdir_abort(o);
        return -1;
    }
    if (rename(o->tmp, o->final) != 0) {
        snprintf(err, errlen, "%s: cannot move the results into place (%s)", o->final, strerror(errno));
        if (had_old)
            rename(old, o->final);
        kvt_cleanup_release();
        outdir_abort(o);
        return -1;
    }
    kvt_cleanup_release();
    if (had_old)
        outdir_rmtree(old);
    kvt_cleanup_set_paths(NULL, NULL);
    release_lock(o);
    return 0;
}

void outdir_abort(outdir_t *o)
{
    outdir_rmtree(o->tmp);
    kvt_cleanup_set_paths(NULL, NULL);
    release_lock(o);
}
