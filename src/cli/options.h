/*
 * The command line of every subcommand, declared as data: one table of options per subcommand,
 * parsed by one parser and rendered into `sweepmux CMD --help` by one formatter, so that every
 * subcommand treats `--opt=value`, `--opt value`, `--`, `-h/--help`, ranges and misspellings the
 * same way, and so that help pages and shell completion can be generated from the tables.
 */
#ifndef SMX_CLI_OPTIONS_H
#define SMX_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

/* What an option's value is, and the C type of its destination in the argument struct. */
typedef enum smx_opt_type {
    SMX_OPT_FLAG,     /* no value; int, set to 1 */
    SMX_OPT_INT,      /* a decimal integer in [min, max]; int */
    SMX_OPT_DOUBLE,   /* a finite decimal number in [dmin, dmax]; double */
    SMX_OPT_DURATION, /* core/duration.h, in seconds, >= dmin (> dmin if dmin_open); double */
    SMX_OPT_STRING,   /* any text; const char * (points into argv) */
    SMX_OPT_ENUM,     /* one of choices; int, the choice's index */
    SMX_OPT_CUSTOM    /* parse() decides; its own destination type */
} smx_opt_type;

/*
 * One option. Unused fields stay zero, so tables read as designated initialisers. A table ends
 * with an entry whose name is NULL.
 */
typedef struct smx_opt {
    const char *name; /* long name without "--" */
    char short_name;  /* '\0' for none */
    smx_opt_type type;
    size_t offset;       /* of the destination in the subcommand's argument struct */
    const char *metavar; /* the value's name in help ("N", "DUR"); NULL for a flag or an enum */
    const char *help;    /* one sentence for the help page */
    int required;        /* the parse fails without it */
    long long min, max;  /* SMX_OPT_INT: inclusive range; max 0 stands for INT_MAX */
    double dmin, dmax;   /* SMX_OPT_DOUBLE/DURATION: range; dmax 0 stands for no upper bound */
    int dmin_open;       /* the lower bound itself is refused */
    const char *const *choices; /* SMX_OPT_ENUM: NULL-terminated */
    /* SMX_OPT_CUSTOM: stores VALUE at DEST and returns 0, or returns -1 and sets *EXPECTED to a
     * phrase naming what the option takes ("N >= 1 or P% with 0 < P <= 100"). */
    int (*parse)(const char *value, void *dest, const char **expected);
} smx_opt;

/* A subcommand: its name, what `sweepmux --help` and `sweepmux NAME --help` say, and its table. */
typedef struct smx_cli_command {
    const char *name;
    const char *summary;        /* one line for `sweepmux --help` */
    const char *synopsis;       /* what follows "sweepmux NAME " in the usage line */
    const char *description;    /* the paragraph before the options */
    const char *epilog;         /* text after the options, or NULL */
    const smx_opt *opts;        /* NULL-name-terminated, or NULL for none */
    int min_args, max_args;     /* how many positional arguments */
    const char *args_name;      /* the positional argument in messages ("RUN.h5") */
    int command_after_dashdash; /* after `--` comes a command (run, check), not more arguments */
    int (*fn)(int argc, char **argv);
} smx_cli_command;

#define SMX_CLI_MAX_ARGS 4

/* What the parser found besides the option values it stored. */
typedef struct smx_cli_parsed {
    const char *args[SMX_CLI_MAX_ARGS]; /* positional arguments, in order */
    int nargs;
    int cmd_argc;    /* the command after `--` (command_after_dashdash only) */
    char **cmd_argv; /* NULL when there is none */
    int help;        /* -h or --help was given: nothing else was checked */
    char error[512]; /* the usage error, when the parse failed */
} smx_cli_parsed;

/*
 * Parses ARGV[1..ARGC-1] against CMD's table into the argument struct ARGS (whose defaults the
 * caller has set) and OUT. Returns 0, or -1 with OUT->error saying what is wrong and, for a
 * misspelt option, what was probably meant. Prints nothing.
 */
int smx_cli_parse(const smx_cli_command *cmd, int argc, char **argv, void *args,
                  smx_cli_parsed *out);

/* Returned by smx_cli_args when the subcommand should go on. */
#define SMX_CLI_PROCEED (-1)

/*
 * smx_cli_parse for a subcommand's entry point: prints the help page (and returns exit code 0)
 * for --help, prints "sweepmux CMD: ERROR" (and returns 2) on a usage error, and otherwise returns
 * SMX_CLI_PROCEED.
 */
int smx_cli_args(const smx_cli_command *cmd, int argc, char **argv, void *args,
                 smx_cli_parsed *out);

/* Writes CMD's help page (usage, description, one line per option, epilog) to F. */
void smx_cli_help(const smx_cli_command *cmd, FILE *f);

#endif
