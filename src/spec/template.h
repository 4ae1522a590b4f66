/*
 * Rendering a spec's templates for one element: the command's argv, the task's extra environment
 * and its working directory. `{name}` is a parameter, `{index}` the element index, `{{` and `}}`
 * literal braces. Local and reentrant.
 */
#ifndef SMX_TEMPLATE_H
#define SMX_TEMPLATE_H

#include <stdint.h>

#include "spec/spec.h"

/*
 * A NULL-terminated argv for element INDEX whose values are VALS (from smx__spec_values). Each
 * parameter value becomes (part of) one argv element; no shell is involved. When the spec says
 * `shell: true` the result is {"/bin/sh", "-c", SCRIPT, NULL} with every substituted value quoted
 * for the shell. Free with smx__strv_free().
 */
int smx__template_argv(const smx_spec *spec, uint64_t index, const smx_value *vals, char ***argv);

/*
 * The spec's `env` entries rendered for the element, as a NULL-terminated list of "NAME=VALUE"
 * strings (an empty list if the spec has none). Free with smx__strv_free().
 */
int smx__template_env(const smx_spec *spec, uint64_t index, const smx_value *vals, char ***env);

/*
 * The spec's `workdir` rendered for the element, or *dir = NULL if the spec has none. Substituted
 * values are sanitised for use as one path component (no '/', no leading '.', only
 * [A-Za-z0-9._+-], others become '_'), so a value cannot steer the path elsewhere.
 */
int smx__template_workdir(const smx_spec *spec, uint64_t index, const smx_value *vals, char **dir);

/* Frees a NULL-terminated string vector; accepts NULL. */
void smx__strv_free(char **v);

#endif
