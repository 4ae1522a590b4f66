/* sweepmux destroy: remove one session, or the whole state file. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "core/error.h"
#include "sweepmux/mux.h"

typedef struct destroy_args {
    const char *session;
} destroy_args;

static const smx_opt destroy_opts[] = {
    {.name = "session",
     .type = SMX_OPT_STRING,
     .offset = offsetof(destroy_args, session),
     .metavar = "NAME",
     .help = "remove only this session (default: the whole state file)"},
    {0}};

static int destroy_main(int argc, char **argv);

const smx_cli_command smx_cli_cmd_destroy = {
    .name = "destroy",
    .summary = "remove a session, or the whole state file",
    .synopsis = "RUN.h5 [--session NAME]",
    .description =
        "Removes session NAME from RUN.h5 (the other sessions keep their records), or without\n"
        "--session the whole state file. Refused (exit 4) while a run holds the file.",
    .opts = destroy_opts,
    .min_args = 1,
    .max_args = 1,
    .args_name = "RUN.h5",
    .fn = destroy_main,
};

static int destroy_main(int argc, char **argv)
{
    destroy_args args = {0};
    smx_cli_parsed p;
    int prc = smx_cli_args(&smx_cli_cmd_destroy, argc, argv, &args, &p);
    if (prc != SMX_CLI_PROCEED)
        return prc;
    const char *path = p.args[0], *session = args.session;
    /* The public calls: the tool destroys what a library user would, and the same way. */
    smx_mux *m = NULL;
    int rc = smx_mux_open(&m, path);
    if (rc == SMX_OK)
        rc = smx_mux_destroy(m, session);
    smx_mux_free(m);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    if (session)
        printf("destroyed session '%s' of %s\n", session, path);
    else
        printf("destroyed %s\n", path);
    return SMX_EXIT_COMPLETE;
}
