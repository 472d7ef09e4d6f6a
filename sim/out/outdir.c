/* Atomic result folders; see outdir.h. */
#define _POSIX_C_SOURCE 200809L
#include "sim/out/outdir.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int outdir_begin(outdir_t *o, const char *final, char *err, size_t errlen)
{
    snprintf(o->final, sizeof o->final, "%s", final);
    size_t n = strlen(o->final);
    while (n > 1 && o->final[n - 1] == '/')
        o->final[--n] = '\0';
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp-%ld", o->final, (long)getpid());
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
    outdir_rmtree(o->tmp);
    if (mkdir(o->tmp, 0755) != 0) {
        snprintf(err, errlen, "%s: cannot create the results folder (%s)", o->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

void outdir_file(const outdir_t *o, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", o->tmp, name);
}

int outdir_commit(outdir_t *o, char *err, size_t errlen)
{
    char old[1200];
    snprintf(old, sizeof old, "%s.old-%ld", o->final, (long)getpid());
    bool had_old = access(o->final, F_OK) == 0;
    if (had_old && rename(o->final, old) != 0) {
        snprintf(err, errlen, "%s: cannot replace the previous results (%s)", o->final, strerror(errno));
        outdir_abort(o);
        return -1;
    }
    if (rename(o->tmp, o->final) != 0) {
        snprintf(err, errlen, "%s: cannot move the results into place (%s)", o->final, strerror(errno));
        if (had_old)
            rename(old, o->final);
        outdir_abort(o);
        return -1;
    }
    if (had_old)
        outdir_rmtree(old);
    return 0;
}

void outdir_abort(outdir_t *o)
{
    outdir_rmtree(o->tmp);
}
