/* The sweepmux command-line tool: one function per subcommand, each returning the exit code. */
#ifndef SMX_CLI_H
#define SMX_CLI_H

/* Exit codes (README "Exit codes"). */
enum smx_exit {
    SMX_EXIT_COMPLETE = 0, /* complete, every element done */
    SMX_EXIT_FAILED = 1,   /* complete, some elements failed */
    SMX_EXIT_INPUT = 2,    /* usage or input error, nothing written */
    SMX_EXIT_STOPPED = 3,  /* stopped before completion, resumable */
    SMX_EXIT_LOCKED = 4,   /* state file in use by another run */
    SMX_EXIT_OTHER = 5     /* any other error */
};

/* Maps a library error code to the CLI exit code. */
int smx_cli_exit_code(int smx_rc);

/* Prints "sweepmux: MESSAGE" (the library's last error) to stderr and returns the matching exit
 * code. */
int smx_cli_fail(int smx_rc);

/* The subcommands, each declared beside its implementation in cmd_<name>.c (see options.h). */
struct smx_cli_command;
extern const struct smx_cli_command smx_cli_cmd_check, smx_cli_cmd_run, smx_cli_cmd_status,
    smx_cli_cmd_export, smx_cli_cmd_sessions, smx_cli_cmd_requeue, smx_cli_cmd_destroy,
    smx_cli_cmd_upgrade;

/* Every subcommand in the order `sweepmux --help` lists them, NULL-terminated: the one list that
 * dispatch, help pages and shell completion read. */
extern const struct smx_cli_command *const smx_cli_commands[];

#endif
