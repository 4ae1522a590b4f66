/* Multiplexer helpers the CLI uses directly (path-based forms of the public calls). */
#ifndef SMX_MUX_INTERNAL_H
#define SMX_MUX_INTERNAL_H

#include <stdint.h>

#include "spec/spec.h"
#include "sweepmux/mux.h"

/* SMX_EINPUT with a line diff if the spec stored in STATE_PATH is not SPEC. */
int smx__mux_check_spec(const char *state_path, const smx_spec *spec);
/* Adds session NAME (N elements, COMMAND override text or NULL) unless it exists, under the lock.
 */
int smx__mux_ensure_session(const char *path, const char *name, uint64_t n, const char *command);
/* The mux's parsed spec (owned by the mux). */
smx_spec *smx__mux_spec(smx_mux *m);
int smx__mux_stat_path(const char *path, const char *name, smx_stat *out);
/* Destroys session NAME, or the whole file when NAME is NULL, under the lock. */
int smx__mux_destroy_path(const char *path, const char *name);

#endif
