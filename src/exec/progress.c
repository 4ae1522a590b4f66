/* Progress output: see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "session/session_internal.h"

/* Seconds after the start of a run when the first plain progress line is printed. */
#define FIRST_LINE 2.0

void smx_progress_init(smx_progress *p, double interval)
{
    p->tty = isatty(STDERR_FILENO);
    p->interval = interval > 0 ? interval : 30;
    p->started = smx__clock_mono();
    p->last = p->started;
    /* Under mpirun rank 0's stderr is a pipe even when the user watches a terminal, so a first
     * plain line comes after FIRST_LINE seconds rather than after a whole interval: whoever
     * started the run sees soon that it is going. */
    if (!p->tty && p->interval > FIRST_LINE)
        p->last = p->started - (p->interval - FIRST_LINE);
}

static void fmt_duration(double s, char *buf, size_t n)
{
    if (s < 0 || s > 1e8)
        snprintf(buf, n, "?");
    else if (s < 120)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 7200)
        snprintf(buf, n, "%.0fm%02.0fs", s / 60 - 0.5, (double)((long)s % 60));
    else
        snprintf(buf, n, "%.0fh%02ldm", s / 3600 - 0.5, ((long)s % 3600) / 60);
}

void smx_progress_tick(smx_session *s, void *arg)
{
    smx_progress *p = arg;
    if (s->rank != 0)
        return;
    double now = smx__clock_mono();
    if (now - p->last < (p->tty ? 0.2 : p->interval))
        return;
    p->last = now;
    smx_stat st;
    double rate;
    smx__session_counts(s, &st, &rate);
    uint64_t left = st.pending + st.running;
    char eta[32];
    fmt_duration(rate > 0 ? (double)left / rate : -1, eta, sizeof eta);
    double pct = st.total ? 100.0 * (double)(st.done + st.failed) / (double)st.total : 100.0;
    fprintf(stderr,
            "%ssweepmux: %llu/%llu done (%.1f%%), %llu failed, %llu running, %.1f/s, ETA %s%s",
            p->tty ? "\r\033[K" : "", (unsigned long long)st.done, (unsigned long long)st.total,
            pct, (unsigned long long)st.failed, (unsigned long long)st.running, rate, eta,
            p->tty ? "" : "\n");
    fflush(stderr);
}

void smx_progress_end(smx_progress *p)
{
    if (p->tty)
        fputc('\n', stderr);
}
