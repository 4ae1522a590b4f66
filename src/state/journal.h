/*
 * The journal: rank 0's writer thread. The coordinator queues what must reach the state file
 * (element records, ranges of elements done without results, status changes, tables) and goes
 * straight back to serving MPI; the thread writes the queue in place (store.h) and fsyncs it.
 * Group commit: the thread waits only while nothing is queued; what was queued during one write
 * and fsync becomes the next batch, written and fsynced right after, so a change is durable within
 * about two write + fsync times of being queued. A queued change is durable once a sync that
 * started after it has finished: smx__journal_sync hands out a ticket and smx__journal_durable
 * tells, without blocking, whether it is reached.
 *
 * The thread makes no MPI call (MPI stays at MPI_THREAD_FUNNELED) and is the only user of the
 * store while it runs.
 */
#ifndef SMX_JOURNAL_H
#define SMX_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "state/lock.h"
#include "state/store.h"

typedef struct smx__journal smx__journal;

/*
 * Starts the writer of SESS in ST. With LOCK (may be NULL), the writer checks before every write
 * batch and every sync that the lock is still ours (smx__lock_check): once it is lost nothing more
 * is written and the writer fails with SMX_ELOCKED.
 */
int smx__journal_start(smx__journal **out, smx__store *st, smx__records *sess, smx__lock *lock);

/* Queue changes (copied). They fail only on allocation failure (SMX_ENOMEM). */
int smx__journal_record(smx__journal *j, const smx__record *r);
/* N ranges of elements done without results (status and attempts only; see store.h). */
int smx__journal_ranges(smx__journal *j, const smx__range *r, size_t n);
/*
 * Elements done without results on their first attempt, as bits: bit b of WORDS[k] stands for
 * element FIRST + 64 k + b (FIRST a multiple of 64); the writer turns them into ranges (NAN_RESULTS
 * as in smx__range). The elements must not be in another queued range.
 */
int smx__journal_done_bits(smx__journal *j, uint64_t first, const uint64_t *words, size_t nwords,
                           uint16_t nan_results);
/* NaN into result column COL for the elements of the N runs (a column named for the first time). */
int smx__journal_nan_results(smx__journal *j, int col, const smx__range *runs, size_t n);
int smx__journal_state(smx__journal *j, uint64_t index, uint8_t status, uint16_t attempts);
int smx__journal_failure(smx__journal *j, int slot, const smx__failure *f);
int smx__journal_meta(smx__journal *j, const int64_t *meta);
int smx__journal_job(smx__journal *j, int row, const smx__job *job);
int smx__journal_host(smx__journal *j, int row, const char *name);
int smx__journal_result_name(smx__journal *j, int col, const char *name);

/* Asks for a sync of everything queued so far; returns its ticket. */
uint64_t smx__journal_sync(smx__journal *j);
/*
 * 1 when the sync with TICKET (and all before it) finished, 0 if not yet, or a negative code if
 * the writer failed (the message is copied into the calling thread's error).
 */
int smx__journal_durable(smx__journal *j, uint64_t ticket);

/* Batches written and synced so far. */
uint64_t smx__journal_syncs(smx__journal *j);

/* 1 while the writer waits for work (nothing queued, no sync asked for), 0 while it writes. */
int smx__journal_idle(smx__journal *j);

/* Changes queued and not yet written (the writer's backlog). */
size_t smx__journal_backlog(smx__journal *j);

/*
 * Syncs what is queued, stops the thread and frees; returns the writer's first error or SMX_OK.
 * DURABLE_META (SMX__META_LEN slots, or NULL) receives the last meta row that a finished sync made
 * durable, and is left as it is when no sync did: after a failed write it tells what the file
 * holds for certain.
 */
int smx__journal_stop(smx__journal *j, int64_t *durable_meta);

#endif
