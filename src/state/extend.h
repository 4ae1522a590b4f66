/*
 * Extending a sweep: replacing the stored spec by one that only adds elements (more values on an
 * axis, a larger random count, more rows). Element indices never change: every stored element is
 * matched, by its parameter values, to an element of the new spec and keeps its index and its
 * record in every session; the new spec's other elements are appended after them, in the new
 * spec's order, and start pending. A new spec that changes how the stored elements run (command,
 * shell, env, workdir, a parameter's type or any stored value) is refused. The new state file is
 * written beside the old one and renamed over it, so a crash leaves one or the other.
 */
#ifndef SMX_EXTEND_H
#define SMX_EXTEND_H

#include "spec/spec.h"

/*
 * Local. Rewrites STATE_PATH for NEW_SPEC under the state file's lock, and sets on NEW_SPEC the
 * element order it was stored with. Settings that differ (timeout, retries, name, description)
 * are recorded in /spec_changes as changed by job JOB_ID (state/spec_log.h). SMX_EINPUT (file
 * untouched) if a stored element has no counterpart in NEW_SPEC or NEW_SPEC changes how elements
 * run. *ADDED gets the number of new elements.
 */
int smx__extend(const char *state_path, smx_spec *new_spec, const char *job_id, uint64_t *added);

#endif
