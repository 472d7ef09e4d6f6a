/* What an interrupted kvtwin leaves behind: nothing. SIGINT, SIGTERM and SIGHUP are taken by one thread
 * (sigwait), which stops the child processes of a study, removes the temporary results folder and its
 * lock, then ends the process with the same signal. The main thread keeps running undisturbed until then,
 * so no handler runs inside SimGrid, HDF5 or malloc. Children die with their parent (Linux
 * PR_SET_PDEATHSIG), even when it is killed with SIGKILL. */
#ifndef KVTWIN_SIGCLEAN_H
#define KVTWIN_SIGCLEAN_H

#include <sys/types.h>

/* Blocks the signals and starts the thread; idempotent. Call before any other thread exists. */
void kvt_cleanup_init(void);

/* The temporary folder (and lock file) to remove if a signal arrives; NULL clears either. */
void kvt_cleanup_set_paths(const char *tmp_dir, const char *lock_file);

/* Creates the temporary folder and registers it (and the lock file) in one step, so that a signal finds it
 * registered exactly when it exists. Returns mkdir's result (errno set on failure). */
int kvt_cleanup_mkdir_tmp(const char *tmp_dir, const char *lock_file);

/* Child processes to stop (SIGTERM, then SIGKILL after a grace time) if a signal arrives. */
void kvt_cleanup_add_child(pid_t pid);
void kvt_cleanup_remove_child(pid_t pid);

/* Held while results are moved into place, so that a signal never removes half of a commit. */
void kvt_cleanup_hold(void);
void kvt_cleanup_release(void);

/* In a child right after fork: unblocks the signals again and asks to die with the parent. */
void kvt_cleanup_in_child(pid_t parent);

/* fork() for a child a signal must stop: registered before a signal can look for it, set to die with the
 * parent. Returns as fork does. */
pid_t kvt_fork_child(void);
/* waitpid() for such a child, which it then forgets. */
pid_t kvt_wait_child(pid_t pid, int *status);

#endif
