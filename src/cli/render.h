/* Rendering helpers shared by the read-side subcommands (status, export). */
#ifndef SMX_CLI_RENDER_H
#define SMX_CLI_RENDER_H

#include <stddef.h>
#include <stdio.h>

/* Writes S as a JSON string literal. */
void smx_json_string(FILE *f, const char *s);
/* Formats unix time T as "YYYY-MM-DD HH:MM:SS" local time ("-" for 0). */
void smx_format_time(double t, char *buf, size_t n);

#endif
