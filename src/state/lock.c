/*
 * The single-writer lock of a state file (contract in lock.h).
 *
 * The lock is the sidecar file STATE.lock, created with O_CREAT|O_EXCL (atomic on local file
 * systems, NFSv3+ and Lustre), holding one `key=value` per line:
 *
 *   host=<hostname> pid=<pid> pstart=<process start, clock ticks since boot> boot=<boot id>
 *   slurm_job=<SLURM_JOB_ID or "none"> started=<unix seconds> token=<128 random bits, hex>
 *
 * Its mtime is the heartbeat. A lock is stale when its holder is provably dead (same host and:
 * another boot, no such pid, a zombie, or a pid whose start time differs, i.e. was reused), or
 * when its heartbeat is older than the stale limit.
 *
 * Taking over a stale lock is made safe against other runs doing the same: a run removes a lock
 * that is not its own only while it holds the takeover mutex STATE.lock.takeover (O_EXCL), and
 * only if the lock's content is still exactly what it judged stale (the content carries a random
 * token, so equal content is the same lock). The new lock is then created with O_EXCL, so of
 * several runs racing exactly one creates it.
 */
#include "state/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/fsutil.h"

#define LOCK_TEXT_MAX 1024
#define TOKEN_LEN 32

struct smx__lock {
    char *lock_path;
    char *state_path;
    char token[TOKEN_LEN + 1];
    double stale_seconds;
    /*
     * The guard (smx__lock_guard): a heartbeat thread, the state file's descriptor to fence and
     * the identity of the file it was opened as. MU protects everything below.
     */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int guarded, quit;
    int fd;
    dev_t dev;
    ino_t ino;
    int lost;
    char lost_msg[768];
};

/* What a lock file says. */
typedef struct holder {
    char host[256];
    long pid;
    unsigned long long pstart;
    char boot[64];
    char slurm_job[64];
    long long started;
    char token[TOKEN_LEN + 1];
} holder;

static void my_host(char *buf, size_t n)
{
    if (gethostname(buf, n) != 0)
        snprintf(buf, n, "unknown");
    buf[n - 1] = '\0';
}

static void boot_id(char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (!f)
        return;
    if (fgets(buf, (int)n, f))
        buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

/*
 * The state and start time (clock ticks after boot) of process PID from /proc/PID/stat.
 * Returns 0 on success, -1 if it cannot be read (no /proc, or no such process).
 */
static int proc_stat(long pid, char *state, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* The command name may contain spaces and parentheses: fields resume after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -1;
    p += 2;
    *state = *p;
    /* After the state (field 3), starttime is field 22: skip 18 more fields. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    *start = strtoull(p, NULL, 10);
    return 0;
}

static int make_token(char out[TOKEN_LEN + 1])
{
    unsigned char r[TOKEN_LEN / 2];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* No getrandom: time, pid and address bits still make a collision unlikely. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                         ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)&ts;
            for (size_t i = got; i < sizeof r; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                r[i] = (unsigned char)x;
            }
            break;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    return 0;
}

/* Reads the lock file PATH into BUF; returns 0, or -1 with errno set. ST receives its stat. */
static int read_text(const char *path, char *buf, size_t n, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (st && fstat(fd, st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    size_t got = 0;
    while (got < n - 1) {
        ssize_t r = read(fd, buf + got, n - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    close(fd);
    return 0;
}

/* Set once at start-up, before any thread takes a lock (smx__lock_set_job_ended). */
static smx__lock_job_ended_fn job_ended_fn;

void smx__lock_set_job_ended(smx__lock_job_ended_fn fn)
{
    job_ended_fn = fn;
}

/*
 * Whether the holder H on another host was a Slurm job that has ended. Asked once per lock content
 * (*ASKED keeps the token asked about and *ENDED the answer), since asking runs squeue.
 */
static int holder_job_ended(const holder *h, char asked[TOKEN_LEN + 1], int *ended)
{
    if (!job_ended_fn || !h->slurm_job[0] || !strcmp(h->slurm_job, "none"))
        return 0;
    if (strcmp(asked, h->token) != 0) {
        *ended = job_ended_fn(h->slurm_job) == 1;
        snprintf(asked, TOKEN_LEN + 1, "%s", h->token);
    }
    return *ended;
}

/* Parses lock text; returns 0 if it has at least host, pid and token. */
static int parse(const char *text, holder *h)
{
    memset(h, 0, sizeof *h);
    h->pid = -1;
    snprintf(h->slurm_job, sizeof h->slurm_job, "none");
    const char *p = text;
    int have = 0;
    while (*p) {
        p += strspn(p, " \t\r\n");
        size_t len = strcspn(p, " \t\r\n");
        if (!len)
            break;
        char item[300];
        snprintf(item, sizeof item, "%.*s", (int)(len < sizeof item - 1 ? len : sizeof item - 1),
                 p);
        char *eq = strchr(item, '=');
        if (eq) {
            *eq = '\0';
            const char *k = item, *v = eq + 1;
            if (!strcmp(k, "host")) {
                snprintf(h->host, sizeof h->host, "%s", v);
                have |= 1;
            } else if (!strcmp(k, "pid")) {
                h->pid = strtol(v, NULL, 10);
                have |= 2;
            } else if (!strcmp(k, "token")) {
                snprintf(h->token, sizeof h->token, "%s", v);
                have |= 4;
            } else if (!strcmp(k, "pstart")) {
                h->pstart = strtoull(v, NULL, 10);
            } else if (!strcmp(k, "boot")) {
                snprintf(h->boot, sizeof h->boot, "%s", v);
            } else if (!strcmp(k, "slurm_job")) {
                snprintf(h->slurm_job, sizeof h->slurm_job, "%s", v);
            } else if (!strcmp(k, "started")) {
                h->started = strtoll(v, NULL, 10);
            }
        }
        p += len;
    }
    return have == 7 ? 0 : -1;
}

static int same_host(const holder *h)
{
    char host[256];
    my_host(host, sizeof host);
    return strcmp(host, h->host) == 0;
}

/* Non-zero if the holder H, on this host, is provably not running any more. */
static int holder_dead(const holder *h)
{
    char boot[64];
    if (!same_host(h) || h->pid <= 0)
        return 0;
    boot_id(boot, sizeof boot);
    if (boot[0] && h->boot[0] && strcmp(boot, h->boot) != 0)
        return 1; /* the machine rebooted since */
    if (kill((pid_t)h->pid, 0) != 0 && errno == ESRCH)
        return 1;
    char state;
    unsigned long long start;
    if (proc_stat(h->pid, &state, &start) == 0) {
        if (state == 'Z' || state == 'X')
            return 1;
        if (h->pstart && start != h->pstart)
            return 1; /* the pid was reused by another process */
    }
    return 0;
}

static double age_of(const struct stat *st)
{
    return smx__clock_wall() - ((double)st->st_mtim.tv_sec + 1e-9 * (double)st->st_mtim.tv_nsec);
}

static int locked_error(const char *state_path, const char *lock_path, const holder *h)
{
    char when[64] = "an unknown time";
    if (h->started > 0) {
        time_t t = (time_t)h->started;
        struct tm tm;
        if (localtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", &tm);
    }
    return smx__error(SMX_ELOCKED,
                      "state file %s is in use by host %s pid %ld (Slurm job %s) since %s; if that "
                      "run is dead, remove %s",
                      state_path, h->host[0] ? h->host : "?", h->pid, h->slurm_job, when,
                      lock_path);
}

/* Creates the lock with O_EXCL. Returns 0, 1 if it exists, or an SMX error. */
static int try_create(const char *lock_path, const char *text)
{
    int fd = open(lock_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            return 1;
        return smx__error(SMX_EIO, "cannot create lock file %s: %s", lock_path, strerror(errno));
    }
    size_t len = strlen(text), w = 0;
    while (w < len) {
        ssize_t r = write(fd, text + w, len - w);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            unlink(lock_path);
            return smx__error(SMX_EIO, "cannot write lock file %s: %s", lock_path, strerror(e));
        }
        w += (size_t)r;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(lock_path);
        return smx__error(SMX_EIO, "cannot write lock file %s: %s", lock_path, strerror(e));
    }
    /* The lock must be visible to a run on another node: its directory entry is made durable. */
    int rc = smx__fs_sync_dir_of(lock_path);
    if (rc != 0)
        unlink(lock_path);
    return rc;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/*
 * A takeover takes milliseconds; a takeover mutex older than this was left by a run that died
 * while holding it.
 */
#define TAKEOVER_STALE_SECONDS 10.0

/*
 * Removes the lock whose content was judged stale (OLD_TEXT), unless it has changed since. Only a
 * run holding the takeover mutex LOCK.takeover (created with O_EXCL) removes a lock that is not
 * its own, so a lock created after the judgement is never removed or moved, even for an instant,
 * and of several runs racing for a stale lock exactly one creates the next. Returns 0 when the
 * stale lock is gone (or had changed), 1 when another run holds the mutex (look again shortly).
 */
static int take_away(const char *lock_path, const char *old_text)
{
    char mutex[PATH_MAX + 16], text[LOCK_TEXT_MAX];
    snprintf(mutex, sizeof mutex, "%s.takeover", lock_path);
    int fd = open(mutex, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno != EEXIST)
            return smx__error(SMX_EIO, "cannot create %s: %s", mutex, strerror(errno));
        struct stat st;
        if (stat(mutex, &st) == 0 && age_of(&st) > TAKEOVER_STALE_SECONDS)
            unlink(mutex);
        return 1;
    }
    close(fd);
    int rc = 0;
    if (read_text(lock_path, text, sizeof text, NULL) == 0 && strcmp(text, old_text) == 0 &&
        unlink(lock_path) != 0 && errno != ENOENT)
        rc = smx__error(SMX_EIO, "cannot remove stale lock %s: %s", lock_path, strerror(errno));
    if (unlink(mutex) != 0 && rc == 0)
        rc = smx__error(SMX_EIO, "cannot remove %s: %s", mutex, strerror(errno));
    return rc;
}

static void lock_discard(smx__lock *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l->lock_path);
    free(l->state_path);
    free(l);
}

/* Allocates the lock of STATE_PATH and writes into TEXT what its file will say about us. */
static int lock_new(smx__lock **out, const char *state_path, double stale_seconds, char *text,
                    size_t size)
{
    char host[256], boot[64];
    smx__lock *l = calloc(1, sizeof *l);
    if (!l)
        return smx__error_oom();
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    size_t n = strlen(state_path) + 6;
    if (!(l->lock_path = malloc(n)) || !(l->state_path = strdup(state_path))) {
        lock_discard(l);
        return smx__error_oom();
    }
    snprintf(l->lock_path, n, "%s.lock", state_path);
    l->stale_seconds = smx__lock_stale_limit(stale_seconds);
    l->fd = -1;
    make_token(l->token);
    my_host(host, sizeof host);
    boot_id(boot, sizeof boot);
    char pstate;
    unsigned long long pstart = 0;
    if (proc_stat((long)getpid(), &pstate, &pstart) != 0)
        pstart = 0;
    const char *job = getenv("SLURM_JOB_ID");
    snprintf(text, size,
             "host=%s\npid=%ld\npstart=%llu\nboot=%s\nslurm_job=%s\nstarted=%lld\ntoken=%s\n", host,
             (long)getpid(), pstart, boot[0] ? boot : "unknown", job && job[0] ? job : "none",
             (long long)time(NULL), l->token);
    *out = l;
    return 0;
}

/*
 * One look at the lock another run created (ATTEMPT counts the looks). Returns 0 when the caller
 * should try to create its own again (the lock was released meanwhile, was stale and is gone, or
 * is still being written), or an SMX error: SMX_ELOCKED while a live run holds it. ASKED and
 * ENDED remember across looks which Slurm job was already asked about.
 */
static int judge_existing(const smx__lock *l, int attempt, char *asked, int *ended)
{
    char old[LOCK_TEXT_MAX];
    struct stat st;
    if (read_text(l->lock_path, old, sizeof old, &st) != 0) {
        if (errno == ENOENT)
            return 0; /* released meanwhile */
        return smx__error(SMX_EIO, "cannot read lock file %s: %s", l->lock_path, strerror(errno));
    }
    holder h;
    int parsed = parse(old, &h) == 0;
    /*
     * On this host the process table is the truth: a live holder keeps its lock however old its
     * heartbeat (it may be stopped, or computing without serving), and a dead one loses it at
     * once. The heartbeat's age decides only for holders on other hosts.
     */
    int stale;
    if (parsed && same_host(&h))
        stale = holder_dead(&h);
    else
        stale = (l->stale_seconds > 0 && age_of(&st) > l->stale_seconds) ||
                (parsed && holder_job_ended(&h, asked, ended));
    if (!stale && !parsed && attempt < 10) {
        /* Probably being written by a run that just created it: look again shortly. */
        sleep_ms(10);
        return 0;
    }
    if (!stale && !parsed)
        return smx__error(SMX_ELOCKED,
                          "state file %s is in use (lock file %s exists but does not say by whom); "
                          "if no run is using it, remove %s",
                          l->state_path, l->lock_path, l->lock_path);
    if (!stale)
        return locked_error(l->state_path, l->lock_path, &h);
    int r = take_away(l->lock_path, old);
    if (r == 1)
        sleep_ms(5); /* another run is taking over: judge its new lock next round */
    return r < 0 ? r : 0;
}

int smx__lock_acquire(smx__lock **out, const char *state_path, double stale_seconds)
{
    char text[LOCK_TEXT_MAX];
    smx__lock *l = NULL;
    *out = NULL;
    if (!state_path)
        return smx__error(SMX_EUSAGE, "smx__lock_acquire: NULL path");
    int rc = lock_new(&l, state_path, stale_seconds, text, sizeof text);
    if (rc != 0)
        return rc;
    char asked[TOKEN_LEN + 1] = "";
    int ended = 0;
    for (int attempt = 0; attempt < 50; attempt++) {
        rc = try_create(l->lock_path, text);
        if (rc == 0) {
            *out = l;
            return 0;
        }
        if (rc < 0 || (rc = judge_existing(l, attempt, asked, &ended)) != 0) {
            lock_discard(l);
            return rc;
        }
    }
    rc = smx__error(SMX_ELOCKED, "state file %s: could not take lock %s (too much contention)",
                    state_path, l->lock_path);
    lock_discard(l);
    return rc;
}

/* Non-zero if the lock file still holds our token. */
static int still_ours(const smx__lock *l)
{
    char text[LOCK_TEXT_MAX];
    holder h;
    if (read_text(l->lock_path, text, sizeof text, NULL) != 0)
        return 0;
    return parse(text, &h) == 0 && strcmp(h.token, l->token) == 0;
}

double smx__lock_stale_limit(double dflt)
{
    const char *e = getenv("SWEEPMUX_LOCK_STALE");
    if (e && *e) {
        char *end;
        double v = strtod(e, &end);
        if (end != e && *end == '\0' && v > 0 && v < 1e9)
            return v;
    }
    return dflt;
}

/*
 * Why the lock is no longer ours, as a sentence naming who holds it now (into MSG). Returns 0 if
 * it still is ours: the lock file holds our token and the state path is still the file we opened.
 */
static int lost_reason(smx__lock *l, char *msg, size_t n)
{
    char text[LOCK_TEXT_MAX];
    holder h;
    /*
     * A run racing for a stale lock may move ours aside for an instant before putting it back
     * (see take_away), so a missing file is looked for again before giving up.
     */
    int r = -1;
    for (int i = 0; i < 5 && (r = read_text(l->lock_path, text, sizeof text, NULL)) != 0; i++) {
        if (errno != ENOENT)
            break;
        sleep_ms(20);
    }
    if (r != 0) {
        snprintf(msg, n, "lock file %s was removed (%s)", l->lock_path, strerror(errno));
        return 1;
    }
    if (parse(text, &h) != 0) {
        snprintf(msg, n, "lock file %s was replaced by one that does not say whose it is",
                 l->lock_path);
        return 1;
    }
    if (strcmp(h.token, l->token) != 0) {
        snprintf(msg, n, "lock file %s was taken over by host %s pid %ld (Slurm job %s)",
                 l->lock_path, h.host, h.pid, h.slurm_job);
        return 1;
    }
    struct stat sb;
    if (l->guarded && stat(l->state_path, &sb) != 0) {
        snprintf(msg, n, "the state file %s was removed", l->state_path);
        return 1;
    }
    if (l->guarded && (sb.st_dev != l->dev || sb.st_ino != l->ino)) {
        snprintf(msg, n, "the state file %s was replaced by another file", l->state_path);
        return 1;
    }
    return 0;
}

/*
 * Points the guarded descriptor at an anonymous memory file, so that no write through it (by
 * HDF5's caches at close, or a batch already under way) can reach the state file any more.
 * Called with MU held.
 */
static void fence_locked(smx__lock *l)
{
    if (l->fd < 0)
        return;
    int m = memfd_create("sweepmux-fenced", MFD_CLOEXEC);
    if (m < 0)
        m = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (m >= 0) {
        dup2(m, l->fd);
        close(m);
    }
    l->fd = -1;
}

/* Marks the lock lost for REASON (first reason wins) and fences the file. Called with MU held. */
static void mark_lost_locked(smx__lock *l, const char *reason)
{
    if (!l->lost) {
        l->lost = 1;
        snprintf(l->lost_msg, sizeof l->lost_msg, "%s", reason);
    }
    fence_locked(l);
}

static int lost_error(smx__lock *l)
{
    return smx__error(SMX_ELOCKED, "lost the lock of %s: %s; this run stopped writing the file",
                      l->state_path, l->lost_msg);
}

int smx__lock_check(smx__lock *l)
{
    char msg[512];
    int lost = lost_reason(l, msg, sizeof msg);
    pthread_mutex_lock(&l->mu);
    if (lost)
        mark_lost_locked(l, msg);
    int rc = l->lost ? lost_error(l) : SMX_OK;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int smx__lock_lost(smx__lock *l)
{
    pthread_mutex_lock(&l->mu);
    int rc = l->lost ? lost_error(l) : SMX_OK;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int smx__lock_heartbeat(smx__lock *l)
{
    if (!l)
        return smx__error(SMX_EUSAGE, "smx__lock_heartbeat: NULL lock");
    int rc = smx__lock_check(l);
    if (rc != SMX_OK)
        return rc;
    if (utimensat(AT_FDCWD, l->lock_path, NULL, 0) != 0 && errno != ENOENT)
        return smx__error(SMX_EIO, "cannot refresh lock %s: %s", l->lock_path, strerror(errno));
    /* Checked again after the touch: a run that replaced the lock in between is noticed now. */
    return smx__lock_check(l);
}

/* The heartbeat thread: refreshes the lock every interval until told to quit or the lock is lost.
 * It makes no MPI call. */
static void *heartbeat_main(void *arg)
{
    smx__lock *l = arg;
    double interval = l->stale_seconds / 4;
    if (interval > 5.0 || interval <= 0)
        interval = 5.0;
    if (interval < 0.05)
        interval = 0.05;
    pthread_mutex_lock(&l->mu);
    double next = smx__clock_mono() + interval;
    while (!l->quit && !l->lost) {
        double wait = next - smx__clock_mono();
        if (wait > 0) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            long long ns = (long long)until.tv_nsec + (long long)(wait * 1e9);
            until.tv_sec += (time_t)(ns / 1000000000LL);
            until.tv_nsec = (long)(ns % 1000000000LL);
            pthread_cond_timedwait(&l->cv, &l->mu, &until);
            continue;
        }
        next = smx__clock_mono() + interval;
        pthread_mutex_unlock(&l->mu);
        int rc = smx__lock_heartbeat(l);
        pthread_mutex_lock(&l->mu);
        if (rc != SMX_OK && rc != SMX_ELOCKED && !l->lost) {
            /* A heartbeat that cannot be written is retried; only its loss stops the run. */
            continue;
        }
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int smx__lock_guard(smx__lock *l, int fd)
{
    struct stat fs;
    if (fstat(fd, &fs) != 0)
        return smx__error(SMX_EIO, "%s: cannot stat the open state file: %s", l->state_path,
                          strerror(errno));
    pthread_mutex_lock(&l->mu);
    l->fd = fd;
    l->dev = fs.st_dev;
    l->ino = fs.st_ino;
    l->guarded = 1;
    l->quit = 0;
    pthread_mutex_unlock(&l->mu);
    int rc = smx__lock_check(l);
    if (rc != SMX_OK)
        return rc;
    if (pthread_create(&l->thread, NULL, heartbeat_main, l) != 0) {
        pthread_mutex_lock(&l->mu);
        l->guarded = 0;
        l->fd = -1;
        pthread_mutex_unlock(&l->mu);
        return smx__error(SMX_EIO, "cannot start the lock heartbeat thread");
    }
    return SMX_OK;
}

void smx__lock_unguard(smx__lock *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    int had = l->guarded;
    l->quit = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    if (had)
        pthread_join(l->thread, NULL);
    pthread_mutex_lock(&l->mu);
    l->guarded = 0;
    l->fd = -1;
    pthread_mutex_unlock(&l->mu);
}

void smx__lock_release(smx__lock *l)
{
    if (!l)
        return;
    smx__lock_unguard(l);
    if (!l->lost && still_ours(l)) {
        unlink(l->lock_path);
        /*
         * Releasing cannot fail the run that is ending (this runs on its error paths too, whose
         * message must survive): a removal the directory sync could not make durable is at worst
         * a stale lock after a machine crash, which the next run recognises by its age.
         */
        char saved[1024];
        int code = smx_error_last_code();
        snprintf(saved, sizeof saved, "%s", smx_error_last());
        if (smx__fs_sync_dir_of(l->lock_path) != 0)
            smx__error(code, "%s", saved);
    }
    lock_discard(l);
}
