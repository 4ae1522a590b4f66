/* Helpers shared by the subcommands. */
#include <stdio.h>

#include "cli.h"
#include "options.h"
#include "sweepmux/errors.h"

int smx_cli_exit_code(int rc)
{
    switch (rc) {
    case SMX_OK:
        return SMX_EXIT_COMPLETE;
    case SMX_EINPUT:
    case SMX_ENOTFOUND: /* a state file or session named on the command line does not exist */
    case SMX_EUSAGE:
    case SMX_EFORMAT: /* not a sweepmux state file, or an unsupported version: nothing written */
        return SMX_EXIT_INPUT;
    case SMX_ESTOPPED:
        return SMX_EXIT_STOPPED;
    case SMX_ELOCKED:
        return SMX_EXIT_LOCKED;
    default:
        return SMX_EXIT_OTHER;
    }
}

int smx_cli_fail(int rc)
{
    const char *msg = smx_error_last();
    fprintf(stderr, "sweepmux: %s\n", msg[0] ? msg : smx_error_name(rc));
    return smx_cli_exit_code(rc);
}

const struct smx_cli_command *const smx_cli_commands[] = {
    &smx_cli_cmd_check,   &smx_cli_cmd_run,      &smx_cli_cmd_status,
    &smx_cli_cmd_export,  &smx_cli_cmd_sessions, &smx_cli_cmd_requeue,
    &smx_cli_cmd_destroy, &smx_cli_cmd_upgrade,  NULL};
