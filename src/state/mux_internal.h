/* Multiplexer helpers the CLI uses directly (path-based forms of the public calls). */
#ifndef SMX_MUX_INTERNAL_H
#define SMX_MUX_INTERNAL_H

#include <stdint.h>

#include "spec/spec.h"
#include "state/store.h"
#include "sweepmux/mux.h"

/*
 * Parses the spec stored in ST (opened from STATE_PATH) into *OUT, checking it against its stored
 * sha256. SMX_EIO (a damaged or edited file) if it does not parse or does not match (A3-5).
 */
int smx__mux_stored_spec(smx__store *st, const char *state_path, smx_spec **out);
/*
 * Checks that PATH is a sweepmux file in good order before it is changed: its stored spec matches
 * its sha256, and session NAME (every session if NULL) opens with sound counters. SMX_EFORMAT for
 * a file that is not ours, SMX_EIO for a damaged one.
 */
int smx__mux_check_sound(const char *path, const char *name);
/*
 * SMX_EINPUT, naming the field and with a line diff, if SPEC means another sweep than the spec
 * stored in STATE_PATH (spec.h smx__spec_elements_diff; or its CSV rows differ). Comments, layout
 * and key order are not differences. CHANGES (CAP bytes, may be NULL) gets the settings that
 * differ ("timeout 10s -> 20s"; "" when none).
 */
int smx__mux_check_spec(const char *state_path, smx_spec *spec, char *changes, size_t cap);
/* Adds session NAME (N elements, COMMAND override text or NULL) unless it exists, under the lock.
 */
int smx__mux_ensure_session(const char *path, const char *name, uint64_t n, const char *command);
/* The mux's parsed spec (owned by the mux). */
smx_spec *smx__mux_spec(smx_mux *m);
int smx__mux_stat_path(const char *path, const char *name, smx_stat *out);
/* Destroys session NAME, or the whole file when NAME is NULL, under the lock. */
int smx__mux_destroy_path(const char *path, const char *name);

#endif
