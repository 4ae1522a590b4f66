/* Progress output on rank 0: a live line on a terminal, a plain line every N seconds otherwise. */
#ifndef SMX_PROGRESS_H
#define SMX_PROGRESS_H

#include "sweepmux/session.h"

typedef struct smx_progress {
    int tty;         /* stderr is a terminal */
    double interval; /* seconds between plain lines (batch logs) */
    double last;     /* monotonic time of the last output */
    double started;
} smx_progress;

void smx_progress_init(smx_progress *p, double interval);
/* The worker loop's tick: prints when due. ARG is the smx_progress. */
void smx_progress_tick(smx_session *s, void *arg);
/* Ends a live line. */
void smx_progress_end(smx_progress *p);

#endif
