/* `sweepmux export --format spec`: elements as a list sweep that check and run accept as it is. */
#ifndef SMX_CLI_EXPORT_SPEC_H
#define SMX_CLI_EXPORT_SPEC_H

#include <stdio.h>

#include "state/inspect.h"

/*
 * Writes to OUT a spec of method list whose rows are the stored parameter values of the elements
 * of IN's session with status STATUS (in index order, each with its original index in a comment),
 * and whose other settings (command, shell, env, workdir, timeout, retries, description) are the
 * stored spec's, copied as written; the name is the sweep's with "-STATUS" appended. SMX_EINPUT,
 * with nothing written, when no element has that status.
 */
int smx_cli_export_spec(smx__inspect *in, int status, FILE *out);

#endif
