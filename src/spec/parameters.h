/*
 * The `parameters:` and `zip:` sections of a spec.
 */
#ifndef SMX_SPEC_PARAMETERS_H
#define SMX_SPEC_PARAMETERS_H

#include "spec/spec_impl.h"
#include "spec/yaml_tree.h"

smx__param *smx__sp_param_add(ctx *c, const char *name, int line, int col);
int smx__sp_parse_parameters(ctx *c, const ynode *pm);
int smx__sp_parse_zip(ctx *c, const ynode *z);

#endif
