/* sweepmux: dispatch to a subcommand. Each subcommand lives in src/cli/cmd_<name>.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/suggest.h"
#include "exec/slurm.h"
#include "options.h"
#include "state/h5quiet.h"
#include "sweepmux/errors.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: sweepmux COMMAND [ARGS]\n"
               "       sweepmux --version | --help\n\n"
               "Distributes the elements of a parameter sweep over the ranks of an MPI job and\n"
               "keeps their state in one HDF5 file.\n\ncommands:\n");
    /* A lock left by a Slurm job that has ended is taken over at once (not after 120 s). */
    smx__slurm_judge_locks();
    for (size_t i = 0; smx_cli_commands[i]; i++)
        fprintf(f, "  %-9s %s\n", smx_cli_commands[i]->name, smx_cli_commands[i]->summary);
    fprintf(f, "\nRun 'sweepmux COMMAND --help' for a command's options.\n"
               "Exit codes: 0 complete, 1 complete with failures, 2 usage or input error,\n"
               "3 stopped (resumable), 4 state file in use, 5 other error.\n");
}

static int unknown_command(const char *name)
{
    const char *names[16];
    size_t n = 0;
    for (; smx_cli_commands[n] && n + 1 < sizeof names / sizeof *names; n++)
        names[n] = smx_cli_commands[n]->name;
    names[n] = NULL;
    const char *s = smx__suggest(name, names);
    if (s)
        fprintf(stderr, "sweepmux: unknown command '%s'; did you mean '%s'?\n", name, s);
    else
        fprintf(stderr, "sweepmux: unknown command '%s' (try 'sweepmux --help')\n", name);
    return SMX_EXIT_INPUT;
}

int main(int argc, char **argv)
{
    /* Every command closes its files itself; a file whose close failed must not crash the exit. */
    smx__h5_no_atexit();
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
    /* A lock left by a Slurm job that has ended is taken over at once (not after 120 s). */
    smx__slurm_judge_locks();
    for (size_t i = 0; smx_cli_commands[i]; i++)
        if (!strcmp(argv[1], smx_cli_commands[i]->name))
            return smx_cli_commands[i]->fn(argc - 1, argv + 1);
    return unknown_command(argv[1]);
}
