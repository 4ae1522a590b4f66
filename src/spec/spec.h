/*
 * The sweep spec: a YAML document (see README "Spec format") parsed into an immutable description
 * of the parameter space, the command template and the per-task settings.
 *
 * Every function here is Local and reentrant; a parsed spec is read-only and may be shared by
 * threads. Failures return a negative SMX_E... code with the message in smx_error_last(); input
 * mistakes are SMX_EINPUT with a message "FILE:LINE:COL: what is wrong; what is expected".
 */
#ifndef SMX_SPEC_H
#define SMX_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "sweepmux/common.h"

typedef struct smx_spec smx_spec;

/* Largest spec file accepted, so that a huge file is refused before it is read. */
#define SMX__SPEC_MAX_BYTES (16u * 1024u * 1024u)

/*
 * Parses TEXT (LEN bytes, need not be NUL-terminated). FILENAME is used only in messages. Relative
 * paths inside the spec (a list's CSV file) resolve against BASEDIR (NULL: the current directory).
 */
int smx__spec_parse(smx_spec **out, const char *text, size_t len, const char *filename,
                    const char *basedir);

/*
 * Like smx__spec_parse, but a list's `rows: {csv: FILE}` takes its rows from CSV_TEXT (CSV_LEN
 * bytes, as captured in a state file) instead of reading FILE. CSV_TEXT NULL: read FILE.
 */
int smx__spec_parse_captured(smx_spec **out, const char *text, size_t len, const char *filename,
                             const char *basedir, const char *csv_text, size_t csv_len);

/* The rows' CSV text the spec was parsed with and the path it was read from; NULL if the spec
 * has no CSV rows. */
const char *smx__spec_csv(const smx_spec *spec, size_t *len, const char **path);

/*
 * Sets the order of the elements: element i has the values of spec index RUNS[2k] + j, where run
 * k is the one holding i and j its position in the run (RUNS[2k+1] indices per run). The runs
 * must cover every spec index exactly once. NRUNS 0 restores the spec's own order. SMX_EINPUT
 * (and the order unchanged) if the runs are not a permutation of the spec's indices.
 */
int smx__spec_set_order(smx_spec *spec, const uint64_t *runs, size_t nruns);
/* The runs set by smx__spec_set_order (NULL and 0 runs: the spec's own order). */
const uint64_t *smx__spec_order(const smx_spec *spec, size_t *nruns);
/* The spec index whose values element INDEX has (INDEX itself unless an order was set). */
uint64_t smx__spec_index_of(const smx_spec *spec, uint64_t index);

/* Reads PATH (at most SMX__SPEC_MAX_BYTES) and parses it; relative paths resolve beside PATH. */
int smx__spec_load(smx_spec **out, const char *path);

/* Accepts NULL. */
void smx__spec_free(smx_spec *spec);

/* The exact text the spec was parsed from (NUL-terminated), and its length. */
const char *smx__spec_text(const smx_spec *spec, size_t *len);

/* SHA-256 of the text as 64 lowercase hex digits. */
const char *smx__spec_hash(const smx_spec *spec);

/* The spec's `name` (never NULL; "sweep" if the spec has none). */
const char *smx__spec_name(const smx_spec *spec);

/* Number of elements in the sweep (less than 2^63 - 1: larger sweeps are refused by the parser). */
uint64_t smx__spec_count(const smx_spec *spec);

/* Parameters, in the order the spec declares them. */
size_t smx__spec_nparams(const smx_spec *spec);
const char *smx__spec_param_name(const smx_spec *spec, size_t i);
/* Position of the parameter called NAME, or -1. */
int smx__spec_param_find(const smx_spec *spec, const char *name);
/* The type every value of parameter I has (ints mixed with floats in a spec become floats). */
smx_value_type smx__spec_param_type(const smx_spec *spec, size_t i);

/* "grid", "random" or "list". */
const char *smx__spec_method(const smx_spec *spec);
/* The spec's `description`, or NULL. */
const char *smx__spec_description(const smx_spec *spec);

/*
 * Fills VALS[0 .. nparams-1] with element INDEX's values: a pure function of the spec and INDEX
 * (mixed-radix decoding for grids; a counter-based generator keyed by (seed, index) for random
 * sweeps), so every rank, run and machine computes the same values. String values borrow from
 * SPEC. Returns SMX_EINPUT if INDEX >= count.
 */
int smx__spec_values(const smx_spec *spec, uint64_t index, smx_value *vals);

/* Per-task settings. timeout: seconds, 0 for none. retries: extra attempts after a failure. */
double smx__spec_timeout(const smx_spec *spec);
int smx__spec_retries(const smx_spec *spec);
/* Non-zero when the spec opted in to running the command through /bin/sh -c. */
int smx__spec_shell(const smx_spec *spec);
/*
 * Compares what decides how an element runs: command, shell, env and workdir. Returns 0 when A
 * and B agree; otherwise 1 with WHAT (N bytes) naming the first field that differs and both
 * values ("command: stored [a, b]; new [a, c]").
 */
int smx__spec_run_diff(const smx_spec *a, const smx_spec *b, char *what, size_t n);

/*
 * compare.c. Compares what the elements of A (a stored spec) and B (a given one) are and how they
 * run: command, shell, env, workdir, method, the parameters' names and types, and every element's
 * values (B read in A's element order; parameters matched by name). Text, comments, key order
 * and the way values are written do not count. Returns 0 when they agree, 1 with WHAT (N bytes)
 * naming the first field that differs and both values, or a negative SMX_E... code.
 */
int smx__spec_elements_diff(const smx_spec *a, smx_spec *b, char *what, size_t n);

/*
 * compare.c. The settings that change no element's meaning (timeout, retries, name,
 * description): returns how many differ between A and B and lists them in WHAT (N bytes) as
 * "timeout 10s -> 20s, retries 0 -> 2" ("" when none).
 */
int smx__spec_settings_diff(const smx_spec *a, const smx_spec *b, char *what, size_t n);

/* Non-zero when the spec has a `workdir`. */
int smx__spec_has_workdir(const smx_spec *spec);
/* Non-zero when the spec has a command (a library sweep need not). */
int smx__spec_has_command(const smx_spec *spec);

/*
 * Replaces the spec's command with ARGV[0..ARGC-1] (a `-- CMD ARG...` override), checking its
 * placeholders; errors name the argument ("command-line argument 3, column 5: ...").
 */
int smx__spec_set_command(smx_spec *spec, int argc, char *const *argv);

/* Warnings found while parsing (a parameter the command never uses, ...): count and the i-th one.
 */
size_t smx__spec_nwarnings(const smx_spec *spec);
const char *smx__spec_warning(const smx_spec *spec, size_t i);

#endif
