/*
 * The state store: one HDF5 file per sweep holding the spec, and per session one record per
 * element, a jobs table, a hosts table, result-column names and a ring of recent failures.
 * Layout (documented for users in README "State file"):
 *
 *   /                       attrs: format = "sweepmux", format_version = 3, workdir
 *   /params, /param_values, /inputs, /element_order: see params.h
 *   /spec                   string dataset: the spec's YAML text; attr sha256
 *   /sessions/NAME/         attrs: n_elements, created (unix seconds)
 *     status       u8[N]      smx_status (0 pending, 1 running, 2 done, 3 failed)
 *     attempts     u16[N]     attempts started so far
 *     rank         i32[N]     rank that ran the latest attempt (0 for an element never run)
 *     exit_code    i32[N]     exit status of the latest attempt (-1 killed or not started)
 *     signal       i32[N]     signal that ended it (0 none)
 *     host         u16[N]     1-based row of `hosts` (0 unknown)
 *     job          u16[N]     1-based row of `jobs` (0 unknown)
 *     t_start      f64[N]     unix seconds
 *     t_end        f64[N]     unix seconds
 *     results      f64[N][SMX__RESULT_COLUMNS]  see README for "not reported" vs NaN; chunked
 *                  65536 rows x 16 columns, every chunk allocated at creation; 16 contiguous
 *                  columns in sessions created by format 2
 *     result_names fixed string[SMX__RESULT_COLUMNS] ("" = unused column; 16 in format 2)
 *     hosts        fixed string[SMX__HOSTS_MAX]
 *     jobs         compound[SMX__JOBS_MAX] (smx__job)
 *     failures     compound[SMX__FAILURES_MAX] ring (smx__failure), slot = n_failures % MAX
 *     meta         i64[SMX__META_LEN] (smx__meta_slot)
 *     command      string: the `-- CMD ARG...` override as a YAML flow list ("" if none)
 *
 * Durability (README "The state file (HDF5 layout)"): every dataset is created, at its full size
 * and contiguous with its space allocated, when the session is created, by writing a new file,
 * fsyncing it and renaming it over the old one. During a run only in-place raw-data writes happen,
 * followed by smx__store_sync (H5Fflush + fsync), so a kill -9 at any instant leaves a file that
 * opens. Structural changes (adding or destroying a session, --extend) again write a new file and
 * rename it. Files are written with libver bounds V18 so a crash never needs h5clear.
 *
 * A store handle is used by one thread at a time.
 */
#ifndef SMX_STORE_H
#define SMX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "spec/spec.h"
#include "state/rows.h"

/* The state-file format this build writes (root attribute format_version). It reads versions 2
 * (whose sessions keep 16 result columns) and 3; newer files are refused (exit 2); version 1 files
 * are refused with a message naming `sweepmux upgrade` (state/upgrade.h), which makes them current
 * (README "State file"). */
#define SMX__FORMAT_VERSION 3

typedef struct smx__store smx__store;
typedef struct smx__records smx__records;

typedef enum smx__store_mode { SMX__STORE_READ = 0, SMX__STORE_WRITE = 1 } smx__store_mode;

/*
 * Creates PATH holding SPEC_TEXT and one session SESSION with N elements (COMMAND: override text
 * or NULL), or no session if SESSION is NULL. Written to a temporary file beside PATH, fsynced and
 * renamed, so PATH either does not change or appears complete. SMX_EIO if PATH exists.
 */
int smx__store_create(const char *path, const char *spec_text, size_t spec_len,
                      const char *spec_hash, const char *session, uint64_t n, const char *command);

/*
 * Like smx__store_create for a whole sweep: also stores every element's parameter values, the
 * rows of a CSV list and the element order of SPEC (params.h), and WORKDIR, the directory
 * relative paths of tasks resolve against, as the root attribute workdir.
 */
int smx__store_create_sweep(const char *path, const smx_spec *spec, const char *session, uint64_t n,
                            const char *command, const char *workdir);

/* Parses the stored spec with the stored inputs (CSV rows, element order): no file but the state
 * file is read. */
int smx__store_load_spec(smx__store *st, smx_spec **out);
/* The stored CSV text (NULL if none) and element order runs (NULL if the spec's own); malloc'd.
 */
int smx__store_inputs(smx__store *st, char **csv, size_t *csv_len, uint64_t **runs, size_t *nruns);
/* Parses TEXT with a captured CSV and element order, as smx__store_load_spec does (used by the
 * ranks that got them from rank 0). WHERE names the state file in messages. */
int smx__spec_from_stored(smx_spec **out, const char *text, size_t len, const char *where,
                          const char *csv, size_t csv_len, const uint64_t *runs, size_t nruns);
/* The stored parameter values (reader in params.h); valid while ST is open. */
typedef struct smx__params smx__params;
int smx__store_params(smx__store *st, smx__params **out);
/* The root attribute workdir (malloc'd; "" in a file without one). */
int smx__store_workdir(smx__store *st, char **out);

/* Adds SESSION with N elements to the existing file PATH (rewrite + rename). Nothing may have PATH
 * open. */
int smx__store_add_session(const char *path, const char *session, uint64_t n, const char *command);

/* Removes SESSION from PATH (rewrite + rename). SMX_ENOTFOUND if it does not exist. */
int smx__store_destroy_session(const char *path, const char *session);

/*
 * Makes the finished file TMP (closed, on the same file system) the new PATH atomically: fsync TMP,
 * rename it over PATH, fsync the directory. A crash leaves the old or the new file at PATH.
 */
int smx__store_replace(const char *tmp, const char *path);

/*
 * SMX_EINPUT unless NAME is a valid session name: 1 to SMX__SESSION_NAME_MAX - 1 bytes, not
 * starting with '.', no '/' and no control characters (README "State file").
 */
int smx__store_check_session_name(const char *name);

/*
 * Opens PATH. READ never takes HDF5's file lock, so status and export work while a run holds the
 * file. SMX_ENOTFOUND if PATH does not exist, SMX_EFORMAT if it is not a sweepmux file.
 */
int smx__store_open(smx__store **out, const char *path, smx__store_mode mode);
void smx__store_close(smx__store *st);

/*
 * Opens PATH for reading like smx__store_open, but accepts a sweepmux file of any format version
 * and stores it in *VERSION (-1: none recorded); for state/upgrade.c. Of a format-1 file only the
 * spec, the session names and the sessions' records may be read (it has no parameters).
 */
int smx__store_open_any(smx__store **out, const char *path, int *version);

/*
 * Writes TMP (a new file beside PATH): a copy of the format-1 file PATH with what the current
 * format adds, namely SPEC's parameter values, captured CSV rows and element order (params.h), the
 * root attribute workdir = WORKDIR, and format_version SMX__FORMAT_VERSION. The spec text and every
 * session are copied unchanged. TMP is closed, not installed (smx__store_replace fsyncs it and
 * renames it over PATH); on failure it is removed. PATH is only read.
 */
int smx__store_upgrade_copy(const char *path, const char *tmp, const smx_spec *spec,
                            const char *workdir);

/* The stored spec text (malloc'd, NUL-terminated) and its hash (65 bytes with NUL). */
int smx__store_spec(smx__store *st, char **text, size_t *len, char hash[65]);

/* Session names (malloc'd vector of malloc'd strings, free with smx__strv_free from template.h). */
int smx__store_sessions(smx__store *st, char ***names, size_t *n);

/* The file descriptor of a store opened for writing (-1 for READ), for smx__lock_guard. */
int smx__store_fd(const smx__store *st);

/* Makes everything written so far durable: H5Fflush, then fsync of the file. */
int smx__store_sync(smx__store *st);

/* Opens a session of ST (SMX_ENOTFOUND if none). The handle is freed with the store or
 * smx__records_close. */
int smx__records_open(smx__store *st, const char *name, smx__records **out);
void smx__records_close(smx__records *s);
uint64_t smx__records_count(const smx__records *s);
double smx__records_created(const smx__records *s);
/* The override command text stored at creation ("" if none); owned by the handle. */
const char *smx__records_command(const smx__records *s);

/* Reads the whole status and attempts columns into caller arrays of smx__records_count elements. */
int smx__records_read_state(smx__records *s, uint8_t *status, uint16_t *attempts);
/*
 * Counts the elements of each status (BY[SMX_STATUS_PENDING..SMX_STATUS_FAILED]) by reading the
 * status column in slices through one small buffer: no array of the session's size is made.
 */
int smx__records_count_states(smx__records *s, uint64_t by[4]);
/* Reads COUNT full records starting at element START (for export). */
int smx__records_read_records(smx__records *s, uint64_t start, uint64_t count, smx__record *out);
/* Writes N full records in place (any order; need not be sorted). */
int smx__records_write_records(smx__records *s, const smx__record *recs, size_t n);
/* Writes only status and attempts of N elements in place (claims seen, requeue). */
int smx__records_write_state(smx__records *s, const uint64_t *idx, const uint8_t *status,
                             const uint16_t *attempts, size_t n);

/*
 * A run of consecutive elements [first, first + count) that all reached STATUS with ATTEMPTS
 * attempts: how the completions of elements that finished done without results are recorded.
 * Result columns [0, nan_results) of its elements are set to NaN ("not reported"): the columns
 * that have a name when the range is recorded.
 */
typedef struct smx__range {
    uint64_t first;
    uint64_t count;
    uint16_t attempts;
    uint8_t status;
    uint16_t nan_results;
} smx__range;

/*
 * Writes status and attempts (and the NaN result columns) of the N ranges in place and leaves
 * every other column as it is. Ranges must not overlap. Dense batches (the usual case: ranges near
 * the claim frontier) cost one read-modify-write of the covering block per column, whatever the
 * number of ranges.
 */
int smx__records_write_ranges(smx__records *s, const smx__range *r, size_t n);

/* Writes NaN into result column COL of every element of the N runs (their other columns stay). */
int smx__records_nan_results(smx__records *s, int col, const smx__range *runs, size_t n);

/* Result column names: NAMES must hold SMX__RESULT_COLUMNS rows; unused rows read as "". */
/* The session's result columns: SMX__RESULT_COLUMNS, or 16 in a session of format 2. */
int smx__records_result_columns(const smx__records *s);
int smx__records_result_names(smx__records *s, char (*names)[SMX__RESULT_NAME_MAX]);
int smx__records_set_result_name(smx__records *s, int col, const char *name);

/* Hosts table: HOSTS must hold SMX__HOSTS_MAX rows. */
int smx__records_hosts(smx__records *s, char (*hosts)[SMX__HOST_NAME_MAX]);
int smx__records_set_host(smx__records *s, int row, const char *name);

/* Jobs table (JOBS holds SMX__JOBS_MAX rows) and one row's update. */
int smx__records_jobs(smx__records *s, smx__job *jobs);
int smx__records_put_job(smx__records *s, int row, const smx__job *job);

/* Failure ring (FAILURES holds SMX__FAILURES_MAX rows) and one slot's update. */
int smx__records_failures(smx__records *s, smx__failure *failures);
int smx__records_put_failure(smx__records *s, int slot, const smx__failure *f);

/* The meta counters (META holds SMX__META_LEN values). */
int smx__records_meta(smx__records *s, int64_t *meta);
int smx__records_put_meta(smx__records *s, const int64_t *meta);

#endif
