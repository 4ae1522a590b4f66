/* Shared by the read-side subcommands (status, export, sessions): opening a state file for reading.
 */
#ifndef SMX_CLI_INSPECT_H
#define SMX_CLI_INSPECT_H

#include <stdio.h>

#include "spec/spec.h"
#include "state/store.h"

typedef struct smx_inspect {
    smx__store *st;
    smx__sess *sess;
    smx_spec *spec;
    char session[SMX__SESSION_NAME_MAX];
} smx_inspect;

/*
 * Opens PATH read-only (never blocking or locking a running sweep), parses its spec and opens
 * SESSION (NULL: "default", or the only session if there is just one). Returns an SMX_E code.
 */
int smx_inspect_open(smx_inspect *in, const char *path, const char *session);
void smx_inspect_close(smx_inspect *in);

/* Common option parsing: STATE [--session NAME]; returns -1 on a usage error (printed). */
const char *smx_status_name(int status);
/* Writes S as a JSON string literal. */
void smx_json_string(FILE *f, const char *s);
/* Formats unix time T as "YYYY-MM-DD HH:MM:SS" local time ("-" for 0). */
void smx_format_time(double t, char *buf, size_t n);

#endif
