/* sweepmux requeue: put elements of one state (failed by default) back to pending. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/error.h"
#include "state/lock.h"
#include "state/store.h"

static const char usage[] =
    "usage: sweepmux requeue RUN.h5 [--session NAME] --status failed|running|done\n"
    "\n"
    "Sets every element in the given state back to pending, so the next run (or resume) runs\n"
    "it again; attempt counts are kept. `running` is for elements a dead job left claimed.\n"
    "Refused (exit 4) while a run holds the file.\n";

int smx_cli_requeue(int argc, char **argv)
{
    const char *path = NULL, *session = "default", *status = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return SMX_EXIT_COMPLETE;
        } else if (!strcmp(argv[i], "--session") && i + 1 < argc) {
            session = argv[++i];
        } else if (!strcmp(argv[i], "--status") && i + 1 < argc) {
            status = argv[++i];
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            fprintf(stderr, "sweepmux requeue: unexpected argument '%s'\n%s", argv[i], usage);
            return SMX_EXIT_INPUT;
        }
    }
    int want = !status                      ? -1
               : !strcmp(status, "failed")  ? SMX_STATUS_FAILED
               : !strcmp(status, "running") ? SMX_STATUS_RUNNING
               : !strcmp(status, "done")    ? SMX_STATUS_DONE
                                            : -1;
    if (!path || want < 0) {
        fprintf(stderr, "sweepmux requeue: need RUN.h5 and --status failed|running|done\n%s",
                usage);
        return SMX_EXIT_INPUT;
    }
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
