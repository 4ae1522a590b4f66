/*
 * The `rows:` of a list sweep, inline or from a CSV file.
 */
#ifndef SMX_SPEC_ROWS_H
#define SMX_SPEC_ROWS_H

#include "spec/yaml_tree.h"

int smx__sp_parse_inline_rows(ctx *c, const ynode *rows);
int smx__sp_parse_csv_rows(ctx *c, const ynode *m);

#endif
