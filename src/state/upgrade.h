/*
 * Upgrading a state file of format 1 (written before the parameter values were stored) to the
 * current format, in place (README "State file", "sweepmux upgrade"). The stored spec is parsed
 * again with relative paths (a CSV file of rows) resolved in a directory the user names, since a
 * format-1 file did not record one; that directory becomes the file's workdir. Every session and
 * record is kept as it is. The file is changed under its lock, by writing a copy beside it and
 * renaming it over the original (state/store.h), so a failure at any point leaves it untouched.
 */
#ifndef SMX_UPGRADE_H
#define SMX_UPGRADE_H

#include <stdint.h>

typedef struct smx__upgrade_info {
    int from_version;   /* the file's format version before (1 if it was upgraded) */
    int to_version;     /* the format this build writes */
    int upgraded;       /* 1: the file was rewritten; 0: it was current, nothing was written */
    uint64_t elements;  /* elements whose parameter values were stored */
    char workdir[4096]; /* the absolute directory recorded as workdir */
} smx__upgrade_info;

/*
 * Local. Upgrades the state file PATH to the current format if it is of format 1, resolving the
 * stored spec's relative paths in DIR (NULL: the current directory). A file of format 2 or the
 * current one is left alone (INFO->upgraded 0). SMX_ELOCKED if a run holds the file; SMX_EINPUT
 * if the spec does not parse there (a missing CSV, with file:line:column where the parser gives
 * it) or gives another number of elements than the sessions hold; SMX_EFORMAT for a file that is
 * not a sweepmux file or of a newer format; SMX_EIO if writing fails. On any error PATH is
 * unchanged.
 */
int smx__upgrade(const char *path, const char *dir, smx__upgrade_info *info);

#endif
