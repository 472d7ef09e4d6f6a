/* The study folder and the local runner; see study_int.h. Each run is its own `kvtwin run` process (SimGrid
 * allows one simulation per process) writing its own folder whole or not at all, so an interrupted study
 * leaves complete folders and temporaries; the next start removes the temporaries of processes that are
 * gone and redoes those runs. Replicates of a configuration are averaged leaf by leaf over their
 * summary.json, with a 95 % Student-t interval. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "sim/base/alloc.h"
#include "sim/base/exitcodes.h"
#include "sim/out/outdir.h"
#include "sim/out/sigclean.h"
#include "sim/study/study_int.h"

static int mkdirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* A temporary of outdir.c (NAME.tmp-PID, NAME.old-PID) whose process is gone. */
static bool stale_temp(const char *name)
{
    const char *t = strstr(name, ".tmp-");
    if (!t)
        t = strstr(name, ".old-");
    if (!t)
        return false;
    char *end;
    long pid = strtol(t + 5, &end, 10);
    if (*end || pid <= 0)
        return false;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int st_folder_prepare(study_t *s, bool fresh, char *err, size_t errlen)
{
    if (mkdirs(s->dir)) {
        snprintf(err, errlen, "%s: cannot create the study folder (%s)", s->dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(s->dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot read the study folder (%s)", s->dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!stale_temp(e->d_name))
            continue;
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", s->dir, e->d_name);
        outdir_rmtree(p);
    }
    closedir(d);
    if (fresh)
        for (int r = 0; r < s->nruns; r++) {
            char p[1300];
            snprintf(p, sizeof p, "%s/%s", s->dir, s->runs[r].name);
            outdir_rmtree(p);
        }
    st_scan(s);
    for (int r = 0; r < s->nruns; r++)
        s->runs[r].was_done = s->runs[r].state == ST_DONE;
    return 0;
}

/* Whether run r's folder is complete and holds that run's scenario. */
static bool run_complete(const study_t *s, int r)
{
    const st_run_t *run = &s->runs[r];
    char p[1300], h[17];
    snprintf(p, sizeof p, "%s/%s/summary.json", s->dir, run->name);
    if (access(p, R_OK) != 0)
        return false;
    snprintf(p, sizeof p, "%s/%s/scenario.json", s->dir, run->name);
    st_hash_scenario_file(p, h);
    return strcmp(h, run->hash) == 0;
}

void st_scan(study_t *s)
{
    for (int r = 0; r < s->nruns; r++) {
        bool done = run_complete(s, r);
        if (done)
            s->runs[r].state = ST_DONE;
        else if (s->runs[r].state == ST_DONE)
            s->runs[r].state = ST_PENDING;
    }
}

const char **st_run_argv(const study_t *s, int r, const char *self_exe, char *seed_buf, size_t seed_len, char *dir_buf,
                         size_t dir_len)
{
    const st_run_t *run = &s->runs[r];
    const char **sets;
    int n = st_config_sets(s, run->config, &sets);
    const char **argv = kvt_calloc((size_t)(2 * n + 12), sizeof *argv);
    int a = 0;
    argv[a++] = self_exe;
    argv[a++] = "run";
    argv[a++] = s->scenario;
    for (int k = 0; k < n; k++) {
        argv[a++] = "--set";
        argv[a++] = sets[k];
    }
    free(sets);
    snprintf(seed_buf, seed_len, "%lld", run->seed);
    argv[a++] = "--seed";
    argv[a++] = seed_buf;
    snprintf(dir_buf, dir_len, "%s/%s", s->dir, run->name);
    argv[a++] = "--out";
    argv[a++] = dir_buf;
    argv[a++] = "--quiet";
    argv[a] = NULL;
    return argv;
}

static pid_t spawn(const study_t *s, int r, const char *self)
{
    char seed[32], dir[1300];
    const char **argv = st_run_argv(s, r, self, seed, sizeof seed, dir, sizeof dir);
    fflush(NULL);
    pid_t pid = kvt_fork_child();
    if (pid == 0) {
        /* execv's prototype predates const; the strings are not modified. */
        union {
            const char **in;
            char *const *out;
        } args = {argv};
        execv(self, args.out);
        fprintf(stderr, "kvtwin study: cannot run %s (%s)\n", self, strerror(errno));
        _exit(KVT_EXIT_FAIL);
    }
    free(argv);
    return pid;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

int st_run_local(study_t *s, const study_opts_t *o)
{
    int jobs = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1)
        jobs = 1;
    int pending = 0, done_before = 0;
    for (int r = 0; r < s->nruns; r++) {
        pending += s->runs[r].state == ST_PENDING;
        done_before += s->runs[r].state == ST_DONE;
    }
    if (!o->quiet && done_before)
        fprintf(stderr, "kvtwin study: %d of %d runs already complete in %s, %d to run\n", done_before, s->nruns,
                s->dir, pending);
    double *t0 = kvt_calloc((size_t)s->nruns, sizeof *t0);
    int next = 0, running = 0, finished = 0, failed = 0;
    for (;;) {
        while (running < jobs) {
            while (next < s->nruns && s->runs[next].state != ST_PENDING)
                next++;
            if (next >= s->nruns)
                break;
            st_run_t *run = &s->runs[next];
            run->pid = spawn(s, next, o->self_exe);
            if (run->pid < 0) {
                fprintf(stderr, "kvtwin study: %s: cannot start a process (%s)\n", run->name, strerror(errno));
                run->state = ST_FAILED;
                run->exit_code = KVT_EXIT_FAIL;
                failed++;
                next++;
                continue;
            }
            t0[next] = now_s();
            next++;
            running++;
        }
        if (running == 0)
            break;
        int status;
        pid_t pid = wait(&status);
        if (pid < 0)
            break;
        kvt_cleanup_remove_child(pid);
        for (int r = 0; r < s->nruns; r++) {
            st_run_t *run = &s->runs[r];
            if (run->pid != pid || run->state != ST_PENDING)
                continue;
            running--;
            finished++;
            run->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : KVT_EXIT_FAIL;
            if (run->exit_code == 0 && !run_complete(s, r)) {
                fprintf(stderr, "kvtwin study: %s exited 0 but its folder is incomplete\n", run->name);
                run->exit_code = KVT_EXIT_FAIL;
            }
            if (run->exit_code != 0) {
                run->state = ST_FAILED;
                failed++;
                fprintf(stderr,
                        "kvtwin study: [%d/%d] %s FAILED (exit code %d%s); its error is above; the other runs go on\n",
                        finished, pending, run->name, run->exit_code,
                        WIFSIGNALED(status) ? ", killed by a signal" : "");
            } else {
                run->state = ST_DONE;
                if (!o->quiet)
                    fprintf(stderr, "kvtwin study: [%d/%d] %s done (%.1f s)\n", finished, pending, run->name,
                            now_s() - t0[r]);
            }
        }
    }
    free(t0);
    return failed;
}

/* ---- summaries and replicates ---------------------------------------------------------------------------- */

/* mean and ci get the mean and the 95 % half-width of every numeric leaf present in all n summaries. */
static void aggregate(cJSON *const *sum, int n, const cJSON *first, cJSON *mean, cJSON *ci, const char *const *path,
                      int depth)
{
    for (const cJSON *x = first->child; x; x = x->next) {
        if (!x->string)
            continue;
        if (depth == 0 && !strcmp(x->string, "scenario")) {
            cJSON_AddItemToObject(mean, x->string, cJSON_Duplicate(x, 1));
            continue;
        }
        const char *p[16];
        for (int d = 0; d < depth; d++)
            p[d] = path[d];
        p[depth] = x->string;
        if (cJSON_IsObject(x) && depth < 14) {
            cJSON *m = cJSON_AddObjectToObject(mean, x->string);
            cJSON *c = cJSON_AddObjectToObject(ci, x->string);
            aggregate(sum, n, x, m, c, p, depth + 1);
            continue;
        }
        if (!cJSON_IsNumber(x)) {
            cJSON_AddItemToObject(mean, x->string, cJSON_Duplicate(x, 1));
            continue;
        }
        double s1 = 0, s2 = 0;
        int k = 0;
        for (int i = 0; i < n; i++) {
            const cJSON *y = sum[i];
            for (int d = 0; d <= depth && y; d++)
                y = cJSON_GetObjectItemCaseSensitive(y, p[d]);
            if (!cJSON_IsNumber(y) || !isfinite(y->valuedouble))
                break;
            s1 += y->valuedouble;
            k++;
        }
        if (k < n) {
            cJSON_AddItemToObject(mean, x->string, cJSON_Duplicate(x, 1));
            continue;
        }
        double mu = s1 / n;
        for (int i = 0; i < n; i++) {
            const cJSON *y = sum[i];
            for (int d = 0; d <= depth; d++)
                y = cJSON_GetObjectItemCaseSensitive(y, p[d]);
            s2 += (y->valuedouble - mu) * (y->valuedouble - mu);
        }
        double sd = n > 1 ? sqrt(s2 / (n - 1)) : 0;
        cJSON_AddNumberToObject(mean, x->string, mu);
        cJSON_AddNumberToObject(ci, x->string, n > 1 ? gsl_cdf_tdist_Pinv(0.975, n - 1) * sd / sqrt(n) : 0);
    }
}

int st_load_summaries(study_t *s, char *err, size_t errlen)
{
    for (int r = 0; r < s->nruns; r++) {
        st_run_t *run = &s->runs[r];
        if (run->state != ST_DONE || run->summary)
            continue;
        char p[1300], *text;
        snprintf(p, sizeof p, "%s/%s/summary.json", s->dir, run->name);
        if (cfg_read_json_file(p, &text, &run->summary, err, errlen))
            return -1;
        free(text);
    }
    for (int c = 0; c < s->n; c++) {
        st_config_t *cf = &s->v[c];
        cJSON_Delete(cf->summary);
        cJSON_Delete(cf->ci);
        cf->summary = cf->ci = NULL;
        cJSON **sum = kvt_calloc((size_t)cf->nruns + 1, sizeof *sum);
        int n = 0;
        for (int k = 0; k < cf->nruns; k++)
            if (s->runs[cf->first_run + k].state == ST_DONE)
                sum[n++] = s->runs[cf->first_run + k].summary;
        cf->ndone = n;
        if (n == 1 && s->nseeds == 1) {
            cf->summary = cJSON_Duplicate(sum[0], 1);
        } else if (n >= 1) {
            cf->summary = cJSON_CreateObject();
            cf->ci = cJSON_CreateObject();
            aggregate(sum, n, sum[0], cf->summary, cf->ci, NULL, 0);
            if (n < 2) {
                cJSON_Delete(cf->ci);
                cf->ci = NULL;
            }
        }
        free(sum);
    }
    return 0;
}
