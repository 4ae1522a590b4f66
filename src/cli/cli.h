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

/* Parses a duration ("90", "90s", "10m", "2h", "1h30m"); returns -1 on a malformed one. */
double smx_cli_duration(const char *text);

int smx_cli_check(int argc, char **argv);
int smx_cli_run(int argc, char **argv);
int smx_cli_status(int argc, char **argv);
int smx_cli_export(int argc, char **argv);
int smx_cli_sessions(int argc, char **argv);
int smx_cli_requeue(int argc, char **argv);
int smx_cli_destroy(int argc, char **argv);

#endif
