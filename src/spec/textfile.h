/*
 * Text files for the spec parser: a bounded read, a UTF-8 check with line and column, CSV cells.
 */
#ifndef SMX_SPEC_TEXTFILE_H
#define SMX_SPEC_TEXTFILE_H

#include <stddef.h>

typedef struct cell {
    char *text;
    int quoted;
    int line, col;
} cell;

int smx__sp_read_file(const char *path, const char *shown, char **out, size_t *outlen);
int smx__sp_utf8_check(const char *file, const char *t, size_t len);

/* Splits CSV text (RFC 4180: quoted fields may hold commas, quotes as "" and newlines) into
 * cells; *rowlen receives the number of fields of each record, blank lines are skipped. */
int smx__sp_csv_split(const char *file, const char *t, size_t len, cell **out, size_t *ncells,
                      size_t **rowlen, size_t *nrows);
void smx__sp_cells_free(cell *cells, size_t n);

#endif
