/* Studies on Slurm; see study_int.h. The pending runs go out as one job array (one run per task; arrays of at
 * most ST_SLURM_ARRAY tasks, Slurm's default MaxArraySize being 1001). A task is `kvtwin study --task DIR
 * RUN`, which runs that run exactly as the local runner would, into the shared study folder, so the same
 * completeness test (summary.json and the scenario's hash) tells what finished. The submitting process
 * either waits (polling squeue until the arrays have left the queue) and collects, or returns at once and
 * leaves `kvtwin study --collect DIR` for later. Tasks' output goes to DIR/slurm/JOBID_TASK.out. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/base/alloc.h"
#include "sim/base/exitcodes.h"
#include "sim/study/study_int.h"

#define ST_SLURM_ARRAY 1000

/* Runs a shell command, returning its exit status and the first line of its output in out. */
static int sh_line(const char *cmd, char *out, size_t len)
{
    out[0] = '\0';
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char buf[4096];
    bool first = true;
    while (fgets(buf, sizeof buf, p)) {
        if (first)
            snprintf(out, len, "%s", buf);
        first = false;
    }
    int st = pclose(p);
    out[strcspn(out, "\r\n")] = '\0';
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool shell_safe(const char *s)
{
    return !strchr(s, '\'') && !strchr(s, '\n');
}

static void sleep_s(double s)
{
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

/* Writes the job script of one array; returns 0. */
static int write_job(const study_t *s, const study_opts_t *o, int chunk, int ntasks, char *script, size_t slen,
                     char *err, size_t errlen)
{
    char list[1300];
    snprintf(list, sizeof list, "%s/slurm/runs-%d.txt", s->dir, chunk);
    snprintf(script, slen, "%s/slurm/job-%d.sh", s->dir, chunk);
    FILE *f = fopen(script, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write", script);
        return -1;
    }
    fprintf(f, "#!/bin/sh\n");
    fprintf(f, "# Slurm job array of study %s: task i runs line i+1 of %s.\n", s->name, list);
    fprintf(f, "#SBATCH --job-name=kvtwin-%s\n", s->name);
    if (o->array_max > 0)
        fprintf(f, "#SBATCH --array=0-%d%%%d\n", ntasks - 1, o->array_max);
    else
        fprintf(f, "#SBATCH --array=0-%d\n", ntasks - 1);
    fprintf(f, "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n");
    fprintf(f, "#SBATCH --output=%s/slurm/%%A_%%a.out\n", s->dir);
    if (o->partition && o->partition[0])
        fprintf(f, "#SBATCH --partition=%s\n", o->partition);
    fprintf(f, "run=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" '%s')\n", list);
    fprintf(f, "exec '%s' study --task '%s' \"$run\"\n", o->self_exe, s->dir);
    if (fclose(f) != 0 || chmod(script, 0755) != 0) {
        snprintf(err, errlen, "%s: cannot write", script);
        return -1;
    }
    return 0;
}

int st_run_slurm(study_t *s, const study_opts_t *o, char *err, size_t errlen)
{
    if (!shell_safe(s->dir) || !shell_safe(o->self_exe) || (o->partition && !shell_safe(o->partition))) {
        snprintf(err, errlen, "--slurm: the study folder, the kvtwin path and the partition may not contain quotes");
        return KVT_EXIT_INPUT;
    }
    char dir[1300];
    snprintf(dir, sizeof dir, "%s/slurm", s->dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create (%s)", dir, strerror(errno));
        return KVT_EXIT_FAIL;
    }
    int *pending = kvt_calloc((size_t)s->nruns + 1, sizeof *pending);
    int np = 0;
    for (int r = 0; r < s->nruns; r++)
        if (s->runs[r].state == ST_PENDING)
            pending[np++] = r;
    if (np == 0) {
        free(pending);
        if (!o->quiet)
            fprintf(stderr, "kvtwin study: every run is already complete in %s; nothing to submit\n", s->dir);
        return 0;
    }
    int nchunks = (np + ST_SLURM_ARRAY - 1) / ST_SLURM_ARRAY;
    char(*jobs)[64] = kvt_calloc((size_t)nchunks, sizeof *jobs);
    int rc = 0;
    /* a fresh tag per submission, so the lists of an earlier one still running are not overwritten */
    long tag = (long)time(NULL);
    for (int c = 0; c < nchunks && rc == 0; c++) {
        int first = c * ST_SLURM_ARRAY, n = np - first < ST_SLURM_ARRAY ? np - first : ST_SLURM_ARRAY;
        int id = (int)(tag % 100000) * 100 + c;
        char list[1300];
        snprintf(list, sizeof list, "%s/runs-%d.txt", dir, id);
        FILE *f = fopen(list, "w");
        if (!f) {
            snprintf(err, errlen, "%s: cannot write", list);
            rc = KVT_EXIT_FAIL;
            break;
        }
        for (int k = 0; k < n; k++)
            fprintf(f, "%s\n", s->runs[pending[first + k]].name);
        fclose(f);
        char script[1300];
        if (write_job(s, o, id, n, script, sizeof script, err, errlen)) {
            rc = KVT_EXIT_FAIL;
            break;
        }
        char cmd[2800], line[512];
        snprintf(cmd, sizeof cmd, "sbatch --parsable '%s' 2>&1", script);
        int st = sh_line(cmd, line, sizeof line);
        if (st != 0 || !line[0]) {
            snprintf(err, errlen, "sbatch failed (exit %d): %s", st, line[0] ? line : "no output; is Slurm installed?");
            rc = KVT_EXIT_FAIL;
            break;
        }
        line[strcspn(line, ";")] = '\0'; /* "JOBID;CLUSTER" */
        snprintf(jobs[c], sizeof jobs[c], "%s", line);
        if (!o->quiet)
            fprintf(stderr, "kvtwin study: submitted job array %s (%d runs%s%s) from %s\n", jobs[c], n,
                    o->partition ? ", partition " : "", o->partition ? o->partition : "", script);
    }
    free(pending);
    if (rc == 0 && o->no_wait) {
        if (!o->quiet) {
            fprintf(stderr, "kvtwin study: not waiting; when the jobs are done: kvtwin study --collect %s\n", s->dir);
            for (int c = 0; c < nchunks; c++)
                fprintf(stderr, "  squeue -j %s\n", jobs[c]);
        }
        free(jobs);
        return 0;
    }
    /* wait: each array leaves squeue's default listing once all its tasks ended */
    double poll = o->poll_s > 0 ? o->poll_s : 2.0;
    int last = -1;
    for (int c = 0; c < nchunks && rc == 0; c++) {
        for (;;) {
            char cmd[256], line[512];
            snprintf(cmd, sizeof cmd, "squeue -h -j %s -o %%i 2>/dev/null", jobs[c]);
            int st = sh_line(cmd, line, sizeof line);
            if (st != 0 || !line[0])
                break;
            st_scan(s);
            int done = 0;
            for (int r = 0; r < s->nruns; r++)
                done += s->runs[r].state == ST_DONE;
            if (!o->quiet && done != last)
                fprintf(stderr, "kvtwin study: %d of %d runs complete (job %s)\n", done, s->nruns, jobs[c]);
            last = done;
            sleep_s(poll);
        }
    }
    free(jobs);
    return rc;
}
