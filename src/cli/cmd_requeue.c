/* sweepmux requeue: put elements of one state (failed by default) back to pending. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "state/inspect.h"
#include "sweepmux/errors.h"

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
    uint64_t k = 0;
    int rc = smx__requeue(path, session, want, &k);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    printf("requeued %llu %s element%s of session '%s' in %s\n", (unsigned long long)k, status,
           k == 1 ? "" : "s", session, path);
    return SMX_EXIT_COMPLETE;
}
