/*
 * Multiplexers: a sweep (its spec) kept in one HDF5 state file, with any number of independent
 * read sessions over it. These calls are Local: call them on one process (typically rank 0 before
 * the sessions are opened, or outside any MPI job). They never need MPI to be initialised.
 */
#ifndef SWEEPMUX_MUX_H
#define SWEEPMUX_MUX_H

#include <stddef.h>
#include <stdint.h>

#include "sweepmux/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A handle on a state file and the sweep it holds. Not thread-safe; cheap (the file is not held
 * open). */
typedef struct smx_mux smx_mux;

/* Counts of one session, from its durable state. */
typedef struct smx_stat {
    uint64_t total;
    uint64_t pending;
    uint64_t running; /* claimed by a live job; after a crash, elements claimed by the dead job */
    uint64_t done;
    uint64_t failed;
} smx_stat;

/*
 * Local. Creates the state file STATE_PATH for the sweep described by the YAML file SPEC_PATH,
 * with no session yet. SMX_EINPUT (nothing written) if the spec is invalid or STATE_PATH exists
 * with a different spec; if it exists with the same spec, opens it. *out is freed with
 * smx_mux_free.
 */
SMX_EXTERN int smx_mux_create_file(smx_mux **out, const char *state_path, const char *spec_path);

/* Local. As smx_mux_create_file, from a YAML string (NUL-terminated). */
SMX_EXTERN int smx_mux_create_string(smx_mux **out, const char *state_path, const char *spec_yaml);

/*
 * Local. As smx_mux_create_file, for an explicit list of NELEMENTS elements built in C: element i
 * has the value VALUES[i * NPARAMS + j] for parameter PARAM_NAMES[j]. NAME names the sweep. The
 * elements are stored as a `method: list` spec, so the file is self-contained.
 */
SMX_EXTERN int smx_mux_create_elements(smx_mux **out, const char *state_path, const char *name,
                                       size_t nparams, const char *const *param_names,
                                       size_t nelements, const smx_value *values);

/* Local. Opens an existing state file. SMX_ENOTFOUND if it does not exist, SMX_EFORMAT if it is not
 * one. */
SMX_EXTERN int smx_mux_open(smx_mux **out, const char *state_path);

/* Local. Accepts NULL. */
SMX_EXTERN void smx_mux_free(smx_mux *mux);

/* Local. Number of elements of the sweep. */
SMX_EXTERN uint64_t smx_mux_count(const smx_mux *mux);

/*
 * Local. Creates the read session NAME (NULL: "default") unless it exists, and returns its id in
 * *id (malloc'd; free with free()): a string to hand to smx_session_open on every rank, e.g. over
 * MPI_Bcast or a command line. Creating a session rewrites the state file atomically: no session
 * of this file may be open at the time.
 */
SMX_EXTERN int smx_mux_session_create(smx_mux *mux, const char *name, char **id);

/* Local. Names of the sessions (malloc'd array of malloc'd strings; free each, then the array). */
SMX_EXTERN int smx_mux_sessions(smx_mux *mux, char ***names, size_t *n);

/* Local. Counts of session NAME (NULL: "default") from the file's durable state. Safe while a run
 * holds the file. */
SMX_EXTERN int smx_mux_stat(smx_mux *mux, const char *name, smx_stat *out);

/* Local. Non-zero when every element of session NAME is done or failed. */
SMX_EXTERN int smx_mux_done(smx_mux *mux, const char *name);

/*
 * Local. Destroys session NAME, or with NAME NULL the whole state file (and its lock file). The
 * handle stays valid for smx_mux_free only when the whole file was destroyed.
 */
SMX_EXTERN int smx_mux_destroy(smx_mux *mux, const char *name);

#ifdef __cplusplus
}
#endif
#endif
