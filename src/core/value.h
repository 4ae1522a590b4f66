/* Formatting and comparing parameter values. */
#ifndef SMX_VALUE_H
#define SMX_VALUE_H

#include <stddef.h>

#include "sweepmux/common.h"

/*
 * Writes V as text into BUF (at most N bytes including the NUL) and returns the length it needs
 * (like snprintf). Integers print as integers; a double prints in the shortest form that parses
 * back (strtod) to the same double; booleans print as true/false; strings as they are.
 */
int smx__value_format(const smx_value *v, char *buf, size_t n);

/* Non-zero when A and B have the same type and value (doubles compared bit for bit). */
int smx__value_equal(const smx_value *a, const smx_value *b);

/* The type's word as stored in a state file and shown in messages: int, float, bool, string. */
const char *smx__value_type_word(smx_value_type t);

/*
 * One type for a column or list holding *T and U: the same type, or float for a mix of int and
 * float. Returns 0 and updates *T, or -1 if the two do not mix.
 */
int smx__value_type_join(smx_value_type *t, smx_value_type u);

#endif
