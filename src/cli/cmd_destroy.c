/* Placeholder until the subcommand lands; replaced by its implementation. */
#include <stdio.h>

#include "cli.h"

int smx_cli_destroy(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "sweepmux: 'destroy' is not built yet\n");
    return SMX_EXIT_OTHER;
}
