/*
 * Processes a task left behind outside its process group (a daemon that called setsid()). The
 * rank makes itself a child subreaper (Linux prctl PR_SET_CHILD_SUBREAPER), so such a process,
 * once its parent is gone, becomes a child of the rank instead of init: the runner can then see
 * it, tell from its environment which attempt started it ($SWEEPMUX_RESULT names one attempt),
 * kill it when that attempt ends, and reap it. Local.
 */
#ifndef SMX_ORPHANS_H
#define SMX_ORPHANS_H

#include <stddef.h>
#include <sys/types.h>

/* Makes the calling process a child subreaper; 0, or -1 where the kernel has no such thing. */
int smx__orphans_enable(void);

/* A child of this process that is not one of the runner's tasks. */
typedef struct smx__orphan {
    pid_t pid;
    pid_t pgid;        /* its process group (0 if it could not be read) */
    int zombie;        /* it has exited and waits to be reaped */
    char result[4096]; /* its $SWEEPMUX_RESULT ("" if it has none: not a task's) */
} smx__orphan;

/*
 * Lists the children of this process except the N pids in SKIP (the running tasks) into OUT
 * (at most MAX); returns how many were found.
 */
size_t smx__orphans_list(const pid_t *skip, size_t n, smx__orphan *out, size_t max);

#endif
