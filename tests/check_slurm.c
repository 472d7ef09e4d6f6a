/* kvtwin study --slurm against a real single-node Slurm (slurmctld + slurmd + munge on localhost, started by
 * scripts/slurm-up.sh from scripts/test.sh): one job array of the pending runs, waited for and collected;
 * --no-wait then --collect; a rerun with everything complete submits nothing. Skipped (exit 77) when no Slurm
 * node is idle, unless KVTWIN_TEST_SERVICES=1 (scripts/test.sh, CI) makes that a failure. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static const char *study_file(const char *dir)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"name\": \"slurm-tiny\", \"scenario\": \"%s\", \"baseline\": \"a\", "
             "\"variants\": [{\"name\": \"a\"}, {\"name\": \"b\", \"set\": {\"kv.g1.capacity_bytes\": 8e9}}], "
             "\"seeds\": [3, 4]}",
             tu_fixture("scenarios/tiny-synthetic.json"));
    return tu_write_file(dir, "study.json", text);
}

START_TEST(slurm_array_runs_waits_and_collects)
{
    const char *dir = tu_scratch_dir("slurm");
    char sd[1100];
    snprintf(sd, sizeof sd, "%s/out", dir);
    const char *file = study_file(dir);
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "study", file, "--out", sd, "--slurm", "--array-max", "2", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert_msg(strstr(err, "submitted job array") && strstr(err, "(4 runs"), "%s", err);
    ck_assert_ptr_nonnull(strstr(out, "ratio = variant / a (baseline)"));
    free(out);
    free(err);
    const char *runs[] = {"a-seed3", "a-seed4", "b-seed3", "b-seed4"};
    for (int i = 0; i < 4; i++) {
        char p[1300];
        snprintf(p, sizeof p, "%s/%s/summary.json", sd, runs[i]);
        ck_assert_msg(tu_file_exists(p), "missing %s", p);
    }
    /* the job script carries the options, and the tasks' logs are kept */
    char *ls = NULL;
    ck_assert_int_eq(tu_sh(&ls, "cat '%s'/slurm/job-*.sh; ls '%s'/slurm", sd, sd), 0);
    ck_assert_ptr_nonnull(strstr(ls, "#SBATCH --array=0-3%2"));
    ck_assert_ptr_nonnull(strstr(ls, "_3.out"));
    free(ls);
    /* everything complete: nothing to submit */
    rc = tu_run_kvtwin(&out, &err, "study", file, "--out", sd, "--slurm", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(err, "nothing to submit"));
    free(out);
    free(err);
}
END_TEST

START_TEST(slurm_no_wait_then_collect)
{
    const char *dir = tu_scratch_dir("slurm-nw");
    char sd[1100];
    snprintf(sd, sizeof sd, "%s/out", dir);
    char *out = NULL, *err = NULL;
    int rc = tu_run_kvtwin(&out, &err, "study", study_file(dir), "--out", sd, "--slurm", "--no-wait", "--partition",
                           "debug", NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert_ptr_nonnull(strstr(err, "kvtwin study --collect"));
    ck_assert_ptr_nonnull(strstr(err, "partition debug"));
    /* the job id, from "submitted job array N (" */
    const char *j = strstr(err, "submitted job array ");
    ck_assert_ptr_nonnull(j);
    long job = strtol(j + strlen("submitted job array "), NULL, 10);
    free(out);
    free(err);
    /* wait for the array to leave the queue (at most two minutes) */
    int left = 1;
    for (int i = 0; i < 240 && left; i++) {
        char *q = NULL;
        tu_sh(&q, "squeue -h -j %ld -o %%i 2>/dev/null", job);
        left = q && q[0];
        free(q);
        if (left)
            nanosleep(&(struct timespec){0, 500000000}, NULL);
    }
    ck_assert_msg(!left, "job %ld still queued", job);
    rc = tu_run_kvtwin(&out, &err, "study", "--collect", sd, NULL);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_null(strstr(err, "missing"));
    ck_assert_ptr_nonnull(strstr(out, "over 2 seeds"));
    free(out);
    free(err);
}
END_TEST

int main(void)
{
    tu_require("a Slurm cluster with an idle node", "sinfo -h -o %T | grep -q idle",
               "start one with scripts/slurm-up.sh (Debian's slurm-wlm and munge)");
    setenv("KVTWIN_SLURM_POLL_S", "0.5", 1);
    Suite *s = suite_create("slurm");
    TCase *tc = tcase_create("slurm");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, slurm_array_runs_waits_and_collects);
    tcase_add_test(tc, slurm_no_wait_then_collect);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
