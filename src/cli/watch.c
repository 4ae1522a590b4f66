/* sweepmux status --watch: a live view of a sweep, redrawn from the state file (see status_by.h).
 * Every frame opens the file afresh, read-only and without a lock, so it works from any node that
 * sees the file and survives the file being replaced by a structural change. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "core/clock.h"
#include "core/error.h"
#include "render.h"
#include "spec/spec.h"
#include "state/inspect.h"
#include "status_by.h"

/* Running elements listed, and records scanned to find them (larger sessions list none). */
#define LIST_RUNNING 12
#define SCAN_MAX 2000000
#define SLICE 16384
#define SHOW_FAILURES 5

static volatile sig_atomic_t g_quit;

static void on_signal(int sig)
{
    (void)sig;
    g_quit = 1;
}

static void fmt_secs(double s, char *buf, size_t n)
{
    if (s < 0 || s > 1e9)
        snprintf(buf, n, "-");
    else if (s < 120)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 7200)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)s % 3600 / 60);
}

/* Rate over the whole watch (finished elements per second between the first frame and now). */
typedef struct watch {
    const char *path, *session;
    double interval;
    int tty;
    double t0;   /* wall time of the first frame */
    uint64_t f0; /* elements finished at the first frame */
    int frames;
} watch;

/* Up to LIST_RUNNING running elements (index and attempt) into OUT; returns how many. */
static int running_elements(smx__inspect *in, uint64_t running, uint64_t *idx, int *att)
{
    uint64_t n = smx__inspect_count(in);
    if (!running || n > SCAN_MAX)
        return 0;
    smx__record *recs = malloc(sizeof *recs * SLICE);
    int k = 0;
    for (uint64_t s = 0; recs && s < n && k < LIST_RUNNING; s += SLICE) {
        uint64_t c = n - s < SLICE ? n - s : SLICE;
        if (smx__inspect_records(in, s, c, recs) != SMX_OK)
            break;
        for (uint64_t i = 0; i < c && k < LIST_RUNNING; i++)
            if (recs[i].status == SMX_STATUS_RUNNING) {
                idx[k] = s + i;
                att[k++] = recs[i].attempts;
            }
    }
    free(recs);
    return k;
}

static void print_jobs(smx__inspect *in)
{
    smx__job *jobs = NULL;
    int64_t nj = 0;
    if (smx__inspect_jobs(in, &jobs, &nj) != SMX_OK)
        return;
    char t[32], up[32];
    for (int64_t k = nj > 3 ? nj - 3 : 0; k < nj; k++) {
        const smx__job *j = &jobs[k % SMX__JOBS_MAX];
        smx_format_time(j->t_start, t, sizeof t);
        fmt_secs((j->t_end > 0 ? j->t_end : smx__clock_wall()) - j->t_start, up, sizeof up);
        if (j->t_end > 0)
            printf("  job %-14s on %-16s %3d ranks  %s  ran %s, exit %d (%s)\n", j->id, j->host,
                   j->ranks, t, up, j->exit_code, j->reason);
        else
            printf("  job %-14s on %-16s %3d ranks  %s  running for %s\n", j->id, j->host, j->ranks,
                   t, up);
    }
    free(jobs);
}

static void print_failures(smx__inspect *in)
{
    smx__failure *f = NULL;
    int64_t nf = 0;
    if (smx__inspect_failures(in, &f, &nf) != SMX_OK || nf == 0) {
        free(f);
        return;
    }
    printf("  recent failures (%lld in all):\n", (long long)nf);
    for (int64_t k = nf - 1; k >= 0 && k >= nf - SHOW_FAILURES && k >= nf - SMX__FAILURES_MAX;
         k--) {
        const smx__failure *x = &f[k % SMX__FAILURES_MAX];
        /* The last non-empty line of the stderr tail. */
        const char *e = x->tail + strlen(x->tail);
        while (e > x->tail && (e[-1] == '\n' || e[-1] == '\r'))
            e--;
        const char *b = e;
        while (b > x->tail && b[-1] != '\n')
            b--;
        char what[32];
        if (x->term_signal)
            snprintf(what, sizeof what, "signal %d", x->term_signal);
        else
            snprintf(what, sizeof what, "exit %d", x->exit_code);
        printf("    element %llu attempt %d: %s%s", (unsigned long long)x->index, x->attempt, what,
               e > b ? ": " : "");
        smx_print_text(stdout, b, (size_t)(e - b > 100 ? 100 : e - b));
        fputc('\n', stdout);
    }
    free(f);
}

/* One frame; *COMPLETE says whether nothing is pending or running any more. */
static int frame(watch *w, int *complete, smx_stat *st_out)
{
    smx__inspect *in = NULL;
    int rc = smx__inspect_open(&in, w->path, w->session);
    smx_stat st;
    if (rc == SMX_OK)
        rc = smx__inspect_counts(in, NULL, &st, NULL);
    if (rc != SMX_OK) {
        smx__inspect_close(in);
        return rc;
    }
    double now = smx__clock_wall();
    uint64_t fin = st.done + st.failed;
    if (w->frames++ == 0) {
        w->t0 = now;
        w->f0 = fin;
    }
    double rate = now > w->t0 && fin >= w->f0 ? (double)(fin - w->f0) / (now - w->t0) : 0;
    char eta[32], clock[32];
    fmt_secs(rate > 0 ? (double)(st.pending + st.running) / rate : -1, eta, sizeof eta);
    smx_format_time(now, clock, sizeof clock);
    if (w->tty)
        printf("\033[H\033[2J");
    printf("%s  sweep '%s', session '%s'  %s  (every %gs%s)\n", w->path,
           smx__spec_name(smx__inspect_spec(in)), smx__inspect_session(in), clock, w->interval,
           w->tty ? "; q quits" : "");
    double pct = st.total ? 100.0 * (double)fin / (double)st.total : 100;
    char bar[41];
    int full = (int)(pct * 40 / 100);
    for (int i = 0; i < 40; i++)
        bar[i] = i < full ? '#' : '.';
    bar[40] = '\0';
    printf("  [%s] %5.1f%%  %llu done, %llu failed, %llu running, %llu pending of %llu\n", bar, pct,
           (unsigned long long)st.done, (unsigned long long)st.failed,
           (unsigned long long)st.running, (unsigned long long)st.pending,
           (unsigned long long)st.total);
    if (w->frames > 1)
        printf("  rate %.2f/s over the last %.0fs, ETA %s\n", rate, now - w->t0, eta);
    else
        printf("  rate: measured from the next frame on\n");
    print_jobs(in);
    uint64_t idx[LIST_RUNNING];
    int att[LIST_RUNNING];
    int nr = running_elements(in, st.running, idx, att);
    if (nr) {
        printf("  running:");
        for (int k = 0; k < nr; k++)
            printf(" %llu%s", (unsigned long long)idx[k], att[k] > 1 ? "*" : "");
        printf("%s%s\n", st.running > (uint64_t)nr ? " ..." : "",
               " (* a retry or a re-run after a dead job)");
    }
    print_failures(in);
    if (!w->tty)
        printf("\n");
    fflush(stdout);
    smx__inspect_close(in);
    *complete = st.pending == 0 && st.running == 0;
    *st_out = st;
    return SMX_OK;
}

/* Waits up to SECS for q on a terminal STDIN (or a signal). */
static void pause_for(double secs, int keys)
{
    double end = smx__clock_mono() + secs;
    while (!g_quit) {
        double left = end - smx__clock_mono();
        if (left <= 0)
            return;
        struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
        int r = poll(keys ? &pfd : NULL, keys ? 1 : 0, (int)(left * 1000) + 1);
        char c;
        if (r > 0 && read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q'))
            g_quit = 1;
        else if (r > 0 && !(pfd.revents & POLLIN))
            keys = 0; /* stdin closed: stop watching it */
    }
}

int smx_cli_status_watch(const char *path, const char *session, double interval)
{
    watch w = {.path = path, .session = session, .interval = interval};
    w.tty = isatty(STDOUT_FILENO);
    int keys = isatty(STDIN_FILENO);
    struct termios saved;
    if (keys && tcgetattr(STDIN_FILENO, &saved) == 0) {
        /* Keys without Enter and without echo, so q quits at once. */
        struct termios raw = saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        keys = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    } else {
        keys = 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = SMX_OK, complete = 0;
    smx_stat st = {0};
    while (!g_quit && !complete) {
        rc = frame(&w, &complete, &st);
        if (rc != SMX_OK)
            break;
        if (!complete)
            pause_for(interval, keys);
    }
    if (keys)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    if (rc != SMX_OK)
        return smx_cli_fail(rc);
    if (complete)
        printf("%s: complete: %llu done, %llu failed\n", path, (unsigned long long)st.done,
               (unsigned long long)st.failed);
    fflush(stdout);
    return complete && st.failed ? SMX_EXIT_FAILED : SMX_EXIT_COMPLETE;
}
