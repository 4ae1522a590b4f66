/* Rendering helpers shared by the read-side subcommands (status, export). */
#ifndef SMX_CLI_RENDER_H
#define SMX_CLI_RENDER_H

#include <stddef.h>
#include <stdio.h>

/* Writes S as a JSON string literal. */
void smx_json_string(FILE *f, const char *s);
/*
 * Writes the first LEN bytes of S (text a task wrote) for a terminal: control characters other
 * than tab, and DEL, as \xNN, so that a task's output cannot move the cursor, recolour or retitle
 * the user's terminal (A6-6). Stops early at a NUL.
 */
void smx_print_text(FILE *f, const char *s, size_t len);
/* Formats unix time T as "YYYY-MM-DD HH:MM:SS" local time ("-" for 0). */
void smx_format_time(double t, char *buf, size_t n);

#endif
