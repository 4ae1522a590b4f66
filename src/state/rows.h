/*
 * The rows of a session's tables as the state file holds them (state/store.h writes and reads
 * them; state/inspect.h hands them to the tool), and the sizes of those tables. Types only: a
 * reader of these rows needs no store call.
 */
#ifndef SMX_ROWS_H
#define SMX_ROWS_H

#include <stdint.h>

#include "core/limits.h"

/* Result columns of a session created by this build: distinct result names beyond this many are
 * not recorded, with a warning naming each. (The on-disk layout takes any multiple of 16; the
 * limit is what a record costs in memory, 8 bytes per column, in every queue and slice.) */
#define SMX__RESULT_COLUMNS 64
#define SMX__HOSTS_MAX 4096
#define SMX__HOST_NAME_MAX 64
#define SMX__JOBS_MAX 1024
#define SMX__FAILURES_MAX 256
#define SMX__SESSION_NAME_MAX 64
/* Attempt counts are 16-bit on disk: an element runs at most this many times (README). */
#define SMX__ATTEMPTS_MAX 65535
/* Largest session a state file holds (per-element columns are allocated up front). */
#define SMX__ELEMENTS_MAX ((uint64_t)1 << 32)

/* The latest attempt of one element, as stored. */
typedef struct smx__record {
    uint64_t index;
    uint8_t status;
    uint16_t attempts;
    int32_t rank;
    int32_t exit_code;
    int32_t term_signal;
    uint16_t host;
    uint16_t job;
    double t_start, t_end;
    /* Columns [0, ncols) are written (the named ones, "not reported" where missing); a read
     * sets ncols to the columns it read (every named one) and leaves the others undefined. */
    uint16_t ncols;
    double results[SMX__RESULT_COLUMNS];
} smx__record;

/* One batch job that worked on the session. */
typedef struct smx__job {
    char id[32]; /* Slurm job id, or "pid:<pid>" outside Slurm */
    char host[SMX__HOST_NAME_MAX];
    double t_start;
    double t_end; /* 0 while the job runs (or if it died without saying) */
    int32_t ranks;
    int32_t exit_code; /* the sweepmux exit code, -1 while running or if it died */
    char reason[64];   /* why it stopped: "complete", "signal SIGUSR1", "max-time", ... */
    char claims[8];    /* how its claims travelled: "rma", "p2p" ("" in files created before it
                          existed) */
} smx__job;

/* One failed attempt, with the tail of its stderr. */
typedef struct smx__failure {
    uint64_t index;
    int32_t attempt;
    int32_t exit_code;
    int32_t term_signal;
    double t_end;
    char tail[SMX__TAIL_MAX];
} smx__failure;

/* Slots of the per-session `meta` dataset (int64 each). */
enum smx__meta_slot {
    SMX__META_N_JOBS = 0,  /* rows used in `jobs` */
    SMX__META_N_HOSTS = 1, /* rows used in `hosts` */
    SMX__META_N_FAILURES =
        2,                /* failures ever recorded (ring position = this % SMX__FAILURES_MAX) */
    SMX__META_N_DONE = 3, /* counts as of the last sync, for cheap status */
    SMX__META_N_FAILED = 4,
    SMX__META_N_RUNNING = 5,
    /* n_jobs when the counts were last made exact (a job's clean close, a requeue); 0 while a
     * writer may be changing statuses. Counts are exact only while this equals n_jobs. */
    SMX__META_COUNTS_JOB = 6,
    SMX__META_JOB_FINISHED = 7, /* elements the latest job finished, as of the last sync */
    SMX__META_LAYOUT = 8,       /* 1: slots 5-7 are kept (0 in files from before them) */
    /*
     * The claim watermark (README "State file", meta): while a job runs, MARK_JOB is its number
     * (n_jobs once it started), and every element of its to-do list with an index below MARK_INDEX
     * may have started, with up to MARK_RETRIES retries in the job; MARK_FLAGS bit 0: failed
     * elements were in the to-do list (--retry-failed). Written durably before any element past it
     * starts, and cleared (MARK_JOB 0) once a job has closed with every started attempt recorded; a
     * set mark at the next open means the job died, and its elements' attempt counts are raised.
     */
    SMX__META_MARK_JOB = 9,
    SMX__META_MARK_INDEX = 10,
    SMX__META_MARK_RETRIES = 11,
    SMX__META_MARK_FLAGS = 12,
    SMX__META_LEN = 16
};

#endif
