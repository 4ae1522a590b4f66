/* sweepmux: dispatch to a subcommand. Each subcommand lives in src/cli/cmd_<name>.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sweepmux/errors.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"check", smx_cli_check, "validate a spec, count its elements and show the first ones"},
    {"run", smx_cli_run, "run (or resume) a sweep, under mpirun or alone"},
    {"status", smx_cli_status, "counts by state, rate, jobs and recent failures"},
    {"export", smx_cli_export, "one row per element as CSV or JSON"},
    {"sessions", smx_cli_sessions, "list the sessions of a state file"},
    {"requeue", smx_cli_requeue, "set failed (or other) elements back to pending"},
    {"destroy", smx_cli_destroy, "remove a session, or the whole state file"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: sweepmux COMMAND [ARGS]\n"
               "       sweepmux --version | --help\n\n"
               "Distributes the elements of a parameter sweep over the ranks of an MPI job and\n"
               "keeps their state in one HDF5 file.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'sweepmux COMMAND --help' for a command's options.\n"
               "Exit codes: 0 complete, 1 complete with failures, 2 usage or input error,\n"
               "3 stopped (resumable), 4 state file in use, 5 other error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return SMX_EXIT_INPUT;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return SMX_EXIT_COMPLETE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("sweepmux %s\n", smx_version());
        return SMX_EXIT_COMPLETE;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "sweepmux: unknown command '%s' (try 'sweepmux --help')\n", argv[1]);
    return SMX_EXIT_INPUT;
}
