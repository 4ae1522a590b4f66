/*
 * The record of accepted spec edits: every time a run (or --extend) replaced the stored spec by
 * one whose settings differ (timeout, retries, name, description), one line is added to the
 * dataset /spec_changes (variable-length UTF-8 strings, oldest first):
 *
 *     2026-11-29T20:50:00Z job pid:1234 on node7: timeout 10s -> 20s, retries 0 -> 2
 *
 * The dataset is only ever created in a new file before it is renamed over the old one, like
 * every structural change. A file without it has had no such edit. Local.
 */
#ifndef SMX_SPEC_LOG_H
#define SMX_SPEC_LOG_H

#include <hdf5.h>
#include <stddef.h>

#include "state/store.h"

/* The HDF5 file of an open store (owned by the store). */
hid_t smx__store_file_id(const smx__store *st);

/* The lines of /spec_changes of ST (a NULL-terminated malloc'd vector, free with
 * smx__strv_free; *N may be NULL), or an empty vector if there is none. */
int smx__spec_log_read(smx__store *st, char ***lines, size_t *n);

/* Writes /spec_changes into the new file TO: the lines of FROM (NULL: none), then, if CHANGES is
 * not empty, one line for them made by job JOB_ID on HOST now. */
int smx__spec_log_write(smx__store *from, smx__store *to, const char *job_id, const char *changes);

#endif
