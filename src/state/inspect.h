/*
 * Reading a state file from the outside (status, export, sessions) and the one offline edit the
 * tool makes (requeue): the internal API the CLI uses instead of the store's own calls. Reads
 * open the file read-only and take no lock, so they never block or disturb a running sweep; they
 * see the durable state as of the run's last sync.
 *
 * The row types (smx__record, smx__job, smx__failure) are in state/rows.h.
 */
#ifndef SMX_INSPECT_H
#define SMX_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "core/value.h"
#include "spec/spec.h"
#include "state/rows.h"
#include "sweepmux/mux.h"

typedef struct smx__inspect smx__inspect;

/*
 * Opens PATH read-only, parses its spec and opens SESSION (NULL: "default", or the only session
 * if there is just one). SMX_EINPUT naming the file if there is no such session.
 */
int smx__inspect_open(smx__inspect **out, const char *path, const char *session);
/* Opens PATH read-only without a session, for listing sessions: only smx__inspect_sessions and
 * smx__inspect_counts with a NAME may be used on it. */
int smx__inspect_open_file(smx__inspect **out, const char *path);
void smx__inspect_close(smx__inspect *in);

const char *smx__inspect_path(const smx__inspect *in);
const char *smx__inspect_session(const smx__inspect *in);
const smx_spec *smx__inspect_spec(const smx__inspect *in);
/* Elements in the open session. */
uint64_t smx__inspect_count(const smx__inspect *in);

/* Session names of the file (free with smx__strv_free from spec/template.h). */
int smx__inspect_sessions(smx__inspect *in, char ***names, size_t *n);

/*
 * Counts by state of session NAME (NULL: the open one). They come from the session's meta
 * counters when those are exact (the last job closed cleanly, or requeue wrote them, and nothing
 * has written since: see README "Layout"), else from a scan of the status column (one byte per
 * element). *FROM_META (if not NULL) says which.
 */
int smx__inspect_counts(smx__inspect *in, const char *name, smx_stat *out, int *from_meta);

/* The session's meta counters (SMX__META_LEN slots, smx__meta_slot). */
int smx__inspect_meta(smx__inspect *in, int64_t *meta);

/* The jobs table, SMX__JOBS_MAX rows (malloc'd; job k, 0-based ever, is row k % SMX__JOBS_MAX),
 * and how many jobs ever worked on the session. */
int smx__inspect_jobs(smx__inspect *in, smx__job **rows, int64_t *njobs);

/* The failure ring, SMX__FAILURES_MAX rows (malloc'd; failure k is row k % SMX__FAILURES_MAX),
 * and how many failures were ever recorded. */
int smx__inspect_failures(smx__inspect *in, smx__failure **rows, int64_t *nfailures);

/*
 * Elements the latest job finished (done or failed), as of the last sync: from the meta counter
 * when the file has it, else by scanning the records for that job. 0 if no job ran yet.
 */
int smx__inspect_latest_finished(smx__inspect *in, uint64_t *n);

/* The accepted spec edits (/spec_changes, state/spec_log.h), oldest first: a NULL-terminated
 * vector (free with smx__strv_free), empty in a file without any. */
int smx__inspect_spec_changes(smx__inspect *in, char ***lines, size_t *n);

/* The hosts table, SMX__HOSTS_MAX rows (malloc'd; "" = unused). */
int smx__inspect_hosts(smx__inspect *in, char (**hosts)[SMX__HOST_NAME_MAX]);

/* Result column names; *N is how many are used (the first *N of NAMES). */
int smx__inspect_result_names(smx__inspect *in, char (*names)[SMX__RESULT_NAME_MAX], int *n);

/*
 * The stored parameter values (state file format 2): how many parameters, their names, and the
 * values of elements [START, START+COUNT), COUNT * nparams of them, element by element. They are
 * the values the tasks saw, bit for bit, never recomputed from the spec.
 */
int smx__inspect_nparams(smx__inspect *in, size_t *n);
const char *smx__inspect_param_name(smx__inspect *in, size_t i);
int smx__inspect_values(smx__inspect *in, uint64_t start, uint64_t count, smx_value *vals);

/* Records [START, START+COUNT) of the open session, every column. */
int smx__inspect_records(smx__inspect *in, uint64_t start, uint64_t count, smx__record *out);

/*
 * Under the state file's lock (SMX_ELOCKED while a run holds it): sets every element of SESSION
 * whose status is STATUS back to pending, keeping attempt counts, updates the meta counters, and
 * makes it durable. *COUNT is how many elements changed. SMX_EINPUT if there is no such session.
 */
int smx__requeue(const char *path, const char *session, int status, uint64_t *count);

#endif
