/*
 * Before `sweepmux run` opens its session, rank 0 makes the state file ready: it checks the given
 * spec, creates the file or checks that the spec is the stored one (or only extends it, with
 * --extend), and adds the session if it is new. Nothing is written on bad input. Local.
 */
#ifndef SMX_PREPARE_H
#define SMX_PREPARE_H

#include <stdint.h>

#include "spec/spec.h"

typedef struct smx__prepare {
    const char *state;     /* the state file */
    const char *session;   /* the session to run */
    const char *spec_path; /* where SPEC came from (for messages) */
    smx_spec *spec;        /* the given spec, its command already overridden; NULL: resume */
    int cmd_argc;          /* the `-- CMD ARG...` override for the stored spec, or 0 */
    char **cmd_argv;
    int extend;         /* accept a SPEC that only adds elements to the stored one */
    const char *job_id; /* the job recorded with accepted settings changes ("pid:N" or Slurm's) */
} smx__prepare;

/* Makes the state file ready as described above; *EXTENDED says whether --extend extended the
 * stored spec, and *ADDED by how many elements. */
int smx__prepare_state(const smx__prepare *p, int *extended, uint64_t *added);

/* SMX_EINPUT naming SPEC_PATH if SPEC has more elements than a state file holds (`check` gives
 * the verdict `run` would). */
int smx__prepare_check_size(const smx_spec *spec, const char *spec_path);

#endif
