/* Signal cleanup; see sigclean.h. */
#define _GNU_SOURCE
#include "sim/out/sigclean.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "sim/out/outdir.h"

#define CLEAN_MAX_CHILDREN 256
#define CLEAN_GRACE_S 10

static pthread_mutex_t clean_mu = PTHREAD_MUTEX_INITIALIZER;
static bool clean_started;
static char clean_tmp[1200];
static char clean_lock[1200];
static pid_t clean_children[CLEAN_MAX_CHILDREN];
static int clean_nchildren;

static void clean_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

static void clean_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Stops every registered child: SIGTERM, a grace time for it to remove its own temporary folder, SIGKILL. */
static void clean_stop_children(void)
{
    for (int i = 0; i < clean_nchildren; i++)
        kill(clean_children[i], SIGTERM);
    bool gone[CLEAN_MAX_CHILDREN] = {false};
    int left = clean_nchildren;
    for (long waited = 0; left > 0; waited += 20) {
        for (int i = 0; i < clean_nchildren; i++) {
            if (gone[i])
                continue;
            pid_t r = waitpid(clean_children[i], NULL, WNOHANG);
            if (r == clean_children[i] || (r < 0 && errno == ECHILD)) {
                gone[i] = true;
                left--;
            } else if (waited >= CLEAN_GRACE_S * 1000L) {
                kill(clean_children[i], SIGKILL);
            }
        }
        if (left > 0)
            clean_sleep_ms(20);
    }
    clean_nchildren = 0;
}

static void *clean_thread(void *arg)
{
    (void)arg;
    sigset_t set;
    clean_signals(&set);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    pthread_mutex_lock(&clean_mu);
    clean_stop_children();
    if (clean_tmp[0]) {
        /* The main thread still runs and may be creating files in the folder while it is removed, which would
         * leave it behind (rmdir of a folder not empty). Renamed first, the folder can take no new entry:
         * every path the main thread builds goes through the old name. The new name is one a later run
         * removes as stale should removal fail. */
        char suffix[32], gone[sizeof clean_tmp + 32];
        snprintf(suffix, sizeof suffix, ".tmp-%ld", (long)getpid());
        size_t n = strlen(clean_tmp), m = strlen(suffix);
        bool named = n > m && strcmp(clean_tmp + n - m, suffix) == 0;
        if (named)
            snprintf(gone, sizeof gone, "%.*s.old-%ld", (int)(n - m), clean_tmp, (long)getpid());
        if (named && rename(clean_tmp, gone) == 0)
            outdir_rmtree(gone);
        else
            outdir_rmtree(clean_tmp);
        fprintf(stderr, "kvtwin: stopped by signal %d (%s); removed %s\n", sig, strsignal(sig), clean_tmp);
    }
    if (clean_lock[0])
        unlink(clean_lock);
    fflush(stderr);
    /* Ends the process with the signal itself, so that a parent shell or study sees how it ended. */
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    kill(getpid(), sig);
    for (;;)
        pause();
    return NULL;
}

void kvt_cleanup_init(void)
{
    pthread_mutex_lock(&clean_mu);
    if (!clean_started) {
        sigset_t set;
        clean_signals(&set);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        if (pthread_create(&t, &attr, clean_thread, NULL) == 0)
            clean_started = true;
        else
            pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* no thread: keep the default actions */
        pthread_attr_destroy(&attr);
    }
    pthread_mutex_unlock(&clean_mu);
}

void kvt_cleanup_set_paths(const char *tmp_dir, const char *lock_file)
{
    pthread_mutex_lock(&clean_mu);
    snprintf(clean_tmp, sizeof clean_tmp, "%s", tmp_dir ? tmp_dir : "");
    snprintf(clean_lock, sizeof clean_lock, "%s", lock_file ? lock_file : "");
    pthread_mutex_unlock(&clean_mu);
}

int kvt_cleanup_mkdir_tmp(const char *tmp_dir, const char *lock_file)
{
    pthread_mutex_lock(&clean_mu);
    int rc = mkdir(tmp_dir, 0755);
    snprintf(clean_tmp, sizeof clean_tmp, "%s", rc == 0 ? tmp_dir : "");
    snprintf(clean_lock, sizeof clean_lock, "%s", lock_file ? lock_file : "");
    pthread_mutex_unlock(&clean_mu);
    return rc;
}

void kvt_cleanup_add_child(pid_t pid)
{
    pthread_mutex_lock(&clean_mu);
    if (clean_nchildren < CLEAN_MAX_CHILDREN)
        clean_children[clean_nchildren++] = pid;
    pthread_mutex_unlock(&clean_mu);
}

void kvt_cleanup_remove_child(pid_t pid)
{
    pthread_mutex_lock(&clean_mu);
    for (int i = 0; i < clean_nchildren; i++) {
        if (clean_children[i] == pid) {
            clean_children[i] = clean_children[--clean_nchildren];
            break;
        }
    }
    pthread_mutex_unlock(&clean_mu);
}

void kvt_cleanup_hold(void)
{
    pthread_mutex_lock(&clean_mu);
}

void kvt_cleanup_release(void)
{
    pthread_mutex_unlock(&clean_mu);
}

void kvt_cleanup_in_child(pid_t parent)
{
    sigset_t set;
    clean_signals(&set);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
    if (getppid() != parent)
        _exit(1); /* the parent died before the request took effect */
}

pid_t kvt_fork_child(void)
{
    fflush(NULL);
    pid_t parent = getpid();
    kvt_cleanup_hold(); /* registered before a signal can look for it */
    pid_t pid = fork();
    if (pid == 0) {
        kvt_cleanup_in_child(parent);
        return 0;
    }
    kvt_cleanup_release();
    if (pid > 0)
        kvt_cleanup_add_child(pid);
    return pid;
}

pid_t kvt_wait_child(pid_t pid, int *status)
{
    pid_t r;
    do
        r = waitpid(pid, status, 0);
    while (r < 0 && errno == EINTR);
    kvt_cleanup_remove_child(pid);
    return r;
}
