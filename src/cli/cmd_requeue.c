/* sweepmux requeue: put elements of one state (failed by default) back to pending. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "core/error.h"
#include "state/lock.h"
#include "state/store.h"

/* The states requeue takes, and the stored status of each. */
static const char *const requeue_names[] = {"failed", "running", "done", NULL};
static const int requeue_status[] = {SMX_STATUS_FAILED, SMX_STATUS_RUNNING, SMX_STATUS_DONE};

typedef struct requeue_args {
    const char *session;
    int status; /* index into requeue_names */
} requeue_args;

static const smx_opt requeue_opts[] = {{.name = "session",
                                        .type = SMX_OPT_STRING,
                                        .offset = offsetof(requeue_args, session),
                                        .metavar = "NAME",
                                        .help = "the session (default: default)"},
                                       {.name = "status",
                                        .type = SMX_OPT_ENUM,
                                        .offset = offsetof(requeue_args, status),
                                        .choices = requeue_names,
                                        .required = 1,
                                        .help = "the elements to requeue (required)"},
                                       {0}};

static int requeue_main(int argc, char **argv);

const smx_cli_command smx_cli_cmd_requeue = {
    .name = "requeue",
    .summary = "set failed (or other) elements back to pending",
    .synopsis = "RUN.h5 [--session NAME] --status failed|running|done",
    .description =
        "Sets every element in the given state back to pending, so the next run (or resume) runs\n"
        "it again; attempt counts are kept. `running` is for elements a dead job left claimed.\n"
        "Refused (exit 4) while a run holds the file.",
    .opts = requeue_opts,
    .min_args = 1,
    .max_args = 1,
    .args_name = "RUN.h5",
    .fn = requeue_main,
};

static int requeue_main(int argc, char **argv)
{
    requeue_args args = {.session = "default"};
    smx_cli_parsed p;
    int prc = smx_cli_args(&smx_cli_cmd_requeue, argc, argv, &args, &p);
    if (prc != SMX_CLI_PROCEED)
        return prc;
    const char *path = p.args[0], *session = args.session, *status = requeue_names[args.status];
    int want = requeue_status[args.status];
    smx__lock *lock = NULL;
    smx__store *st = NULL;
    smx__sess *sess = NULL;
    uint8_t *stv = NULL, *newst = NULL;
    uint16_t *att = NULL;
    uint64_t *idx = NULL, k = 0;
    int rc = smx__lock_acquire(&lock, path, SMX__LOCK_STALE_SECONDS);
    if (rc == SMX_OK)
        rc = smx__store_open(&st, path, SMX__STORE_WRITE);
    if (rc == SMX_OK) {
        rc = smx__sess_open(st, session, &sess);
        if (rc == SMX_ENOTFOUND)
            rc = smx__error(SMX_EINPUT, "%s has no session '%s'", path, session);
    }
    uint64_t n = rc == SMX_OK ? smx__sess_count(sess) : 0;
    if (rc == SMX_OK) {
        stv = malloc(n ? n : 1);
        att = malloc(sizeof *att * (n ? n : 1));
        idx = malloc(sizeof *idx * (n ? n : 1));
        if (!stv || !att || !idx)
            rc = smx__error_oom();
    }
    if (rc == SMX_OK)
        rc = smx__sess_read_state(sess, stv, att);
    for (uint64_t i = 0; rc == SMX_OK && i < n; i++)
        if (stv[i] == want) {
            idx[k] = i;
            att[k] = att[i];
            k++;
        }
    if (rc == SMX_OK && k) {
        newst = calloc(k, 1); /* all SMX_STATUS_PENDING */
        if (!newst)
            rc = smx__error_oom();
        if (rc == SMX_OK)
            rc = smx__sess_write_state(sess, idx, newst, att, k);
        if (rc == SMX_OK)
            rc = smx__store_sync(st);
    }
    free(stv);
    free(att);
    free(idx);
    free(newst);
    smx__store_close(st);
    smx__lock_release(lock);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    printf("requeued %llu %s element%s of session '%s' in %s\n", (unsigned long long)k, status,
           k == 1 ? "" : "s", session, path);
    return SMX_EXIT_COMPLETE;
}
