/* sweepmux upgrade: make a state file of format 1 current, in place. */
#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "options.h"
#include "state/upgrade.h"
#include "sweepmux/errors.h"

typedef struct upgrade_args {
    const char *dir;
} upgrade_args;

static const smx_opt upgrade_opts[] = {
    {.name = "dir",
     .type = SMX_OPT_STRING,
     .offset = offsetof(upgrade_args, dir),
     .metavar = "DIR",
     .help = "the directory the sweep ran in: relative paths of the stored spec (a CSV file) "
             "resolve there, and tasks run there from now on (default: the current directory)"},
    {0}};

static int upgrade_main(int argc, char **argv);

const smx_cli_command smx_cli_cmd_upgrade = {
    .name = "upgrade",
    .summary = "upgrade a state file of an older format in place",
    .synopsis = "RUN.h5 [--dir DIR]",
    .description =
        "Upgrades RUN.h5, written by sweepmux format 1 (before parameter values were stored), to\n"
        "the current format: the stored spec is parsed again with its relative paths (a CSV file\n"
        "of rows) resolved in DIR, every element's parameter values and the CSV rows are stored,\n"
        "and DIR becomes the directory tasks run in. Every session and record is kept as it is.\n"
        "A copy is written beside RUN.h5 and renamed over it, so a failure leaves RUN.h5 as it\n"
        "was. A file that is already current is left alone (exit 0). Refused (exit 4) while a run\n"
        "holds the file; exit 2 if the spec does not parse in DIR (e.g. a missing CSV).",
    .opts = upgrade_opts,
    .min_args = 1,
    .max_args = 1,
    .args_name = "RUN.h5",
    .fn = upgrade_main,
};

static int upgrade_main(int argc, char **argv)
{
    upgrade_args args = {0};
    smx_cli_parsed p;
    int prc = smx_cli_args(&smx_cli_cmd_upgrade, argc, argv, &args, &p);
    if (prc != SMX_CLI_PROCEED)
        return prc;
    const char *path = p.args[0];
    smx__upgrade_info info;
    int rc = smx__upgrade(path, args.dir, &info);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    if (!info.upgraded && info.from_version == info.to_version)
        printf("%s is of the current format (%d): nothing to upgrade\n", path, info.to_version);
    else if (!info.upgraded)
        printf("%s is of format %d, which this sweepmux reads and runs as it is: nothing to "
               "upgrade\n",
               path, info.from_version);
    else
        printf("upgraded %s from format %d to %d: the parameter values of its %llu elements are "
               "stored; tasks run in %s\n",
               path, info.from_version, info.to_version, (unsigned long long)info.elements,
               info.workdir);
    return SMX_EXIT_COMPLETE;
}
