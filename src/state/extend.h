/*
 * Extending a sweep: replacing the stored spec by one that only adds elements (more values on an
 * axis, a larger random count, more rows). Every element of the old spec is matched, by its
 * parameter values, to the element of the new spec with the same values, and keeps its record in
 * every session; the new elements start pending. The new state file is written beside the old one
 * and renamed over it, so a crash leaves one or the other.
 */
#ifndef SMX_EXTEND_H
#define SMX_EXTEND_H

#include "spec/spec.h"

/*
 * Local. Rewrites STATE_PATH for NEW_SPEC under the state file's lock. SMX_EINPUT (file untouched)
 * if an element of the stored spec has no counterpart in NEW_SPEC. *ADDED gets the new element
 * count minus the old one.
 */
int smx__extend(const char *state_path, const smx_spec *new_spec, uint64_t *added);

#endif
