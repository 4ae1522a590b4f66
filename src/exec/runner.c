/*
 * The task runner (see runner.h).
 *
 * Design notes:
 * - Children are started with posix_spawnp, which on glibc reports a failed exec or chdir as its
 *   return value (the child is created with CLONE_VFORK), so "could not start" never looks like an
 *   exit status of 127.
 * - Waiting installs no signal handler (this is a library): each child gets a pidfd and the runner
 *   polls the pidfds; without pidfd_open (Linux < 5.3) it polls waitpid(pid, WNOHANG) every few
 *   milliseconds. Only the runner's own pids are ever waited for, never -1.
 * - stdout and stderr go to per-slot scratch files, not pipes: nothing can block on a full pipe,
 * and grandchildren that keep the descriptors open cannot keep a task "running".
 * - The scratch files stay open across tasks and are only truncated when a task wrote to them, and
 *   the inherited part of the environment and the spawn attributes are built once, so a trivial
 *   task costs little more than the spawn itself.
 */
#include "exec/runner.h"

#include "core/clock.h"
#include "core/error.h"
#include "exec/launch_env.h"
#include "exec/log.h"
#include "exec/orphans.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define SMX__RESULT_FILE_MAX (64 * 1024) /* bytes of $SWEEPMUX_RESULT that are read */
#define SMX__POLL_FALLBACK_MS 2          /* waitpid polling period without pidfds */

enum slot_state { SLOT_FREE, SLOT_RUNNING, SLOT_DONE };

struct slot {
    enum slot_state state;
    int num;
    pid_t pid;          /* also the process group id */
    int pidfd;          /* -1: none, poll with waitpid */
    int out_fd, err_fd; /* out_fd -1 with SMX__LOG_NONE: stdout goes to /dev/null */
    int files_ok;       /* the scratch files are open and usable */
    int dirty; /* processes left over from the last task may still hold the scratch files */
    double linger_until; /* until then such leftovers may still (re)create the result file */
    char *out_path, *err_path, *res_path;
    char *env_slot, *env_result;
    unsigned long long seq; /* attempts started in this slot: numbers its result files */
    char *env_gpus;         /* CUDA_VISIBLE_DEVICES=... with gpus_per_slot, else NULL */
    /* File actions for the current scratch descriptors, built once: glibc validates every fd
     * added with a getrlimit call, which would cost seven system calls per task. */
    posix_spawn_file_actions_t fa;
    int fa_ok;
    posix_spawn_file_actions_t fa_wd; /* the same plus a chdir to wd (the last workdir used) */
    int fa_wd_ok;
    char *wd;

    /* The task in this slot. */
    uint64_t index;
    int attempt;
    void *user;
    int started;
    char spawn_error[256];
    int status;
    int status_known;
    double t_start, t_end;
    double deadline; /* CLOCK_MONOTONIC seconds; INFINITY: no timeout */
    double kill_at;  /* when to SIGKILL the group; INFINITY: not scheduled */
    int termed, killed, timed_out, stopped;

    /* Results of the task last delivered from this slot (valid until the next wait). */
    char (*names)[SMX__RESULT_NAME_MAX];
    double *values;
};

/* A process group whose leader has exited but whose other members had not: SIGTERM was sent. */
struct linger {
    pid_t pgid;
    double kill_at;
};

struct smx__runner {
    int nslots;
    int rank;
    int gpus_per_slot;
    int keep_launcher_env;
    int local_rank, gpu_first_slot, gpu_oversubscribe;
    cpu_set_t *slot_cpus; /* --bind-slots: each slot's CPUs, or NULL */
    smx__log_mode mode;
    double grace;
    char *scratch_dir;
    smx__log *log;
    int devnull;
    posix_spawnattr_t attr;
    int attr_ok;

    /* The inherited environment, copied once at create, with the variables the runner sets. */
    char **base_env;
    size_t *base_len; /* length of each entry's name */
    size_t nbase;
    char **envp; /* per-task environment, rebuilt in place */
    size_t envp_cap;
    size_t *tlen; /* name lengths of the task's env entries */
    size_t tlen_cap;
    char env_index[48];
    char env_attempt[48];

    struct slot *slots;
    int running;  /* slots in SLOT_RUNNING */
    int occupied; /* slots not SLOT_FREE */
    struct linger *lingers;
    size_t nlinger, linger_cap;
    struct pollfd *pfds;
    int *pfd_slot;
    int no_pidfd;
    int reaper;         /* this process is a child subreaper: tasks' orphans come to it */
    double orphans_due; /* monotonic time of the next look for orphans */
};

/* ------------------------------------------------------------------------------------------ */

static char *str_printf(const char *fmt, ...) SMX__PRINTF(1, 2);
static char *str_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* Moves FD above the standard descriptors, so that dup2 onto 0..2 in the child always copies. */
static int fd_high(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int e = errno;
    close(fd);
    errno = e;
    return nfd;
}

static int open_scratch(const char *path)
{
    return fd_high(open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
}

static void slot_drop_actions(struct slot *s)
{
    if (s->fa_ok)
        posix_spawn_file_actions_destroy(&s->fa);
    if (s->fa_wd_ok)
        posix_spawn_file_actions_destroy(&s->fa_wd);
    s->fa_ok = s->fa_wd_ok = 0;
    free(s->wd);
    s->wd = NULL;
}

/* stdin from /dev/null, stdout and stderr to the scratch files, nothing else, optionally a chdir.
 */
static int build_actions(posix_spawn_file_actions_t *fa, int devnull, const struct slot *s,
                         const char *workdir)
{
    int rc = posix_spawn_file_actions_init(fa);
    if (rc != 0)
        return rc;
    rc = posix_spawn_file_actions_adddup2(fa, devnull, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(fa, s->out_fd >= 0 ? s->out_fd : devnull, 1);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(fa, s->err_fd, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    /* Descriptors the embedding program forgot to mark close-on-exec (MPI sockets, the state
     * file) must not leak into tasks, where they could keep connections or locks alive. */
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np(fa, 3);
#endif
    if (rc == 0 && workdir)
        rc = posix_spawn_file_actions_addchdir_np(fa, workdir);
    if (rc != 0)
        posix_spawn_file_actions_destroy(fa);
    return rc;
}

/* The file actions for a task in slot S, built on first use and kept while the fds stay. */
static const posix_spawn_file_actions_t *slot_actions(smx__runner *r, struct slot *s,
                                                      const char *workdir)
{
    int rc;
    if (!workdir) {
        if (!s->fa_ok) {
            if ((rc = build_actions(&s->fa, r->devnull, s, NULL)) != 0)
                goto fail;
            s->fa_ok = 1;
        }
        return &s->fa;
    }
    if (s->fa_wd_ok && strcmp(s->wd, workdir) == 0)
        return &s->fa_wd;
    if (s->fa_wd_ok)
        posix_spawn_file_actions_destroy(&s->fa_wd);
    s->fa_wd_ok = 0;
    free(s->wd);
    s->wd = strdup(workdir);
    if (!s->wd) {
        rc = ENOMEM;
        goto fail;
    }
    if ((rc = build_actions(&s->fa_wd, r->devnull, s, workdir)) != 0)
        goto fail;
    s->fa_wd_ok = 1;
    return &s->fa_wd;
fail:
    smx__error(rc == ENOMEM ? SMX_ENOMEM : SMX_EUSAGE,
               "smx__runner_start: cannot set up file actions: %s", strerror(rc));
    return NULL;
}

/* (Re)creates the slot's scratch files as new inodes, so leftovers keep writing to the old ones. */
static int slot_fresh_files(struct slot *s, int discard_stdout)
{
    slot_drop_actions(s);
    if (s->out_fd >= 0)
        close(s->out_fd);
    if (s->err_fd >= 0)
        close(s->err_fd);
    s->out_fd = s->err_fd = -1;
    unlink(s->out_path);
    unlink(s->err_path);
    unlink(s->res_path);
    s->files_ok = 0;
    /* With no log, stdout is discarded at the source: no disk traffic at all for it. */
    s->out_fd = discard_stdout ? -1 : open_scratch(s->out_path);
    if (s->out_fd < 0 && !discard_stdout)
        return smx__error(SMX_EIO, "cannot create scratch file '%s': %s", s->out_path,
                          strerror(errno));
    s->err_fd = open_scratch(s->err_path);
    if (s->err_fd < 0)
        return smx__error(SMX_EIO, "cannot create scratch file '%s': %s", s->err_path,
                          strerror(errno));
    s->dirty = 0;
    s->files_ok = 1;
    return 0;
}

/* Empties a scratch file the last task wrote SIZE bytes to (the child shared our file offset). */
static int reset_scratch(int fd, long long size)
{
    if (size <= 0)
        return 0;
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        return -1;
    return 0;
}

static int is_runner_var(const char *e, size_t nl)
{
    static const char *const names[] = {
        "SWEEPMUX_SLOT",    "SWEEPMUX_RESULT",  "SWEEPMUX_RANK",      "SWEEPMUX_INDEX",
        "SWEEPMUX_ATTEMPT", "SWEEPMUX_SESSION", "SWEEPMUX_LOCAL_RANK"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == nl && memcmp(e, names[i], nl) == 0)
            return 1;
    return nl > 15 && memcmp(e, "SWEEPMUX_PARAM_", 15) == 0;
}

/*
 * Snapshots the inherited environment. Variables that describe a task (SWEEPMUX_INDEX, _PARAM_*,
 * ...) are dropped, so that sweepmux run from inside a sweepmux task does not leak the outer
 * task's values into the inner ones.
 */
static int build_base_env(smx__runner *r)
{
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    r->base_env = calloc(n + 2, sizeof *r->base_env);
    r->base_len = calloc(n + 2, sizeof *r->base_len);
    if (!r->base_env || !r->base_len)
        return smx__error_oom();
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq == *e)
            continue;
        size_t nl = (size_t)(eq - *e);
        if (is_runner_var(*e, nl) || (!r->keep_launcher_env && smx__launch_env_var(*e, nl)))
            continue;
        if (r->gpus_per_slot > 0 && nl == 20 && memcmp(*e, "CUDA_VISIBLE_DEVICES", 20) == 0)
            continue; /* each slot gets its own share (gpu_env) */
        char *copy = strdup(*e);
        if (!copy)
            return smx__error_oom();
        r->base_env[r->nbase] = copy;
        r->base_len[r->nbase] = nl;
        r->nbase++;
    }
    char *rank = str_printf("SWEEPMUX_RANK=%d", r->rank);
    if (!rank)
        return smx__error_oom();
    r->base_env[r->nbase] = rank;
    r->base_len[r->nbase] = strlen("SWEEPMUX_RANK");
    r->nbase++;
    char *local = str_printf("SWEEPMUX_LOCAL_RANK=%d", r->local_rank);
    if (!local)
        return smx__error_oom();
    r->base_env[r->nbase] = local;
    r->base_len[r->nbase] = strlen("SWEEPMUX_LOCAL_RANK");
    r->nbase++;
    return 0;
}

static int name_in(const char *name, size_t nl, char *const *env, const size_t *lens, size_t m)
{
    for (size_t j = 0; j < m; j++)
        if (lens[j] == nl && env[j][0] == name[0] && memcmp(env[j], name, nl) == 0)
            return 1;
    return 0;
}

/*
 * Builds the task's environment in r->envp: SWEEPMUX_SLOT and SWEEPMUX_RESULT (which the task
 * cannot override: the runner reads that file), the task's own entries (a later duplicate wins),
 * SWEEPMUX_INDEX/ATTEMPT unless the task set them, then the inherited ones it did not override.
 */
static int build_env(smx__runner *r, struct slot *s, const smx__task *t)
{
    size_t m = 0;
    for (char *const *e = t->env; e && *e; e++)
        m++;
    if (m > r->tlen_cap) {
        size_t *nl = realloc(r->tlen, m * sizeof *nl);
        if (!nl)
            return smx__error_oom();
        r->tlen = nl;
        r->tlen_cap = m;
    }
    if (r->nbase + m + 6 > r->envp_cap) {
        size_t cap = r->nbase + m + 6;
        char **ne = realloc(r->envp, cap * sizeof *ne);
        if (!ne)
            return smx__error_oom();
        r->envp = ne;
        r->envp_cap = cap;
    }
    for (size_t i = 0; i < m; i++) {
        const char *eq = strchr(t->env[i], '=');
        if (!eq || eq == t->env[i])
            return smx__error(SMX_EUSAGE, "task environment entry '%s' is not NAME=VALUE",
                              t->env[i]);
        r->tlen[i] = (size_t)(eq - t->env[i]);
    }
    size_t k = 0;
    r->envp[k++] = s->env_slot;
    r->envp[k++] = s->env_result;
    if (s->env_gpus)
        r->envp[k++] = s->env_gpus;
    for (size_t i = 0; i < m; i++) {
        const char *e = t->env[i];
        size_t nl = r->tlen[i];
        if ((nl == 13 && memcmp(e, "SWEEPMUX_SLOT", 13) == 0) ||
            (nl == 15 && memcmp(e, "SWEEPMUX_RESULT", 15) == 0))
            continue;
        if (name_in(e, nl, t->env + i + 1, r->tlen + i + 1, m - i - 1))
            continue;
        r->envp[k++] = t->env[i];
    }
    if (!name_in("SWEEPMUX_INDEX", 14, t->env, r->tlen, m)) {
        snprintf(r->env_index, sizeof r->env_index, "SWEEPMUX_INDEX=%" PRIu64, t->index);
        r->envp[k++] = r->env_index;
    }
    if (!name_in("SWEEPMUX_ATTEMPT", 16, t->env, r->tlen, m)) {
        snprintf(r->env_attempt, sizeof r->env_attempt, "SWEEPMUX_ATTEMPT=%d", t->attempt);
        r->envp[k++] = r->env_attempt;
    }
    if (m == 0) {
        memcpy(r->envp + k, r->base_env, r->nbase * sizeof *r->envp);
        k += r->nbase;
    } else {
        for (size_t b = 0; b < r->nbase; b++)
            if (!name_in(r->base_env[b], r->base_len[b], t->env, r->tlen, m))
                r->envp[k++] = r->base_env[b];
    }
    r->envp[k] = NULL;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */

/* Devices the driver shows (NVIDIA: one entry per GPU in /proc/driver/nvidia/gpus), -1 unknown. */
static long devices_present(void)
{
    DIR *d = opendir("/proc/driver/nvidia/gpus");
    if (!d)
        return -1;
    long n = 0;
    for (struct dirent *de; (de = readdir(d));)
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The K-th (0-based) entry of the comma-separated LIST into DEV. */
static void list_entry(const char *list, long k, char *dev, size_t cap)
{
    const char *p = list;
    for (long j = 0; j < k && p; j++) {
        p = strchr(p, ',');
        if (p)
            p++;
    }
    size_t dl = p ? strcspn(p, ",") : 0;
    snprintf(dev, cap, "%.*s", (int)(dl < cap - 1 ? dl : cap - 1), p ? p : "");
}

/* The device list tasks count in (NULL: devices 0, 1, ...) and how many devices there are. */
static const char *gpu_devices(long *have)
{
    const char *inherited = getenv("CUDA_VISIBLE_DEVICES");
    if (!inherited || !*inherited) {
        *have = devices_present();
        return NULL;
    }
    *have = 1;
    for (const char *p = inherited; (p = strchr(p, ',')); p++)
        (*have)++;
    return inherited;
}

int smx__runner_gpu_check(const smx__runner_opts *o)
{
    if (o->gpus_per_slot <= 0)
        return SMX_OK;
    long have = -1;
    const char *inherited = gpu_devices(&have);
    long need = (long)(o->gpu_first_slot + o->slots) * o->gpus_per_slot;
    if (have == 0 || (have > 0 && need > have && !o->gpu_oversubscribe))
        return smx__error(SMX_EINPUT,
                          "--gpus-per-slot %d with %d slots on local rank %d (slots %d..%d of "
                          "this node) needs %ld GPUs, but %s %ld; give fewer slots or ranks per "
                          "node, or --gpu-oversubscribe to share devices",
                          o->gpus_per_slot, o->slots, o->local_rank, o->gpu_first_slot,
                          o->gpu_first_slot + o->slots - 1, need,
                          inherited ? "CUDA_VISIBLE_DEVICES lists" : "the node has", have);
    return SMX_OK;
}

/*
 * CUDA_VISIBLE_DEVICES for slot I: device shares are numbered across the node (slot I of this
 * rank is share gpu_first_slot + I, so ranks on one node get disjoint devices); share S is devices
 * S*G .. S*G+G-1, counted in the inherited CUDA_VISIBLE_DEVICES list if there is one (Slurm sets it
 * to the job's GPUs), else from 0. More devices than there are is refused unless
 * gpu_oversubscribe, which wraps around.
 */
static int gpu_env(smx__runner *r, struct slot *s, int i)
{
    smx__runner_opts o = {.slots = r->nslots,
                          .gpus_per_slot = r->gpus_per_slot,
                          .local_rank = r->local_rank,
                          .gpu_first_slot = r->gpu_first_slot,
                          .gpu_oversubscribe = r->gpu_oversubscribe};
    int rc = smx__runner_gpu_check(&o);
    if (rc != SMX_OK)
        return rc;
    long have = -1;
    const char *inherited = gpu_devices(&have);
    size_t cap = 32 + (size_t)r->gpus_per_slot * 24, len = 0;
    char *v = malloc(cap);
    if (!v)
        return smx__error_oom();
    len = (size_t)snprintf(v, cap, "CUDA_VISIBLE_DEVICES=");
    for (int g = 0; g < r->gpus_per_slot; g++) {
        long want = (long)(r->gpu_first_slot + i) * r->gpus_per_slot + g;
        if (have > 0)
            want %= have;
        char dev[64];
        if (inherited)
            list_entry(inherited, want, dev, sizeof dev);
        else
            snprintf(dev, sizeof dev, "%ld", want);
        len += (size_t)snprintf(v + len, cap - len, "%s%s", g ? "," : "", dev);
    }
    s->env_gpus = v;
    return 0;
}

static size_t sweep_orphans(smx__runner *r, int all);

/*
 * --bind-slots: slot I's share of the CPUs this rank may use (its affinity when the runner is
 * created, which the launcher may have narrowed): the allowed CPUs in order, cut into one run per
 * slot, as even as can be; with fewer CPUs than slots, slot I gets CPU I mod n alone (slots share).
 */
static int plan_bindings(smx__runner *r)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return smx__error(SMX_EIO, "--bind-slots: cannot read this rank's CPU affinity: %s",
                          strerror(errno));
    static int cpus[CPU_SETSIZE];
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &allowed))
            cpus[n++] = c;
    if (n == 0)
        return smx__error(SMX_EIO, "--bind-slots: this rank may use no CPU");
    r->slot_cpus = calloc((size_t)r->nslots, sizeof *r->slot_cpus);
    if (!r->slot_cpus)
        return smx__error_oom();
    for (int i = 0; i < r->nslots; i++) {
        CPU_ZERO(&r->slot_cpus[i]);
        if (n < r->nslots) {
            CPU_SET(cpus[i % n], &r->slot_cpus[i]);
            continue;
        }
        for (long k = (long)i * n / r->nslots; k < (long)(i + 1) * n / r->nslots; k++)
            CPU_SET(cpus[k], &r->slot_cpus[i]);
    }
    return 0;
}

/*
 * Spawns with the calling thread's CPU affinity set to SET (a child inherits it), then restores
 * it, so the task starts pinned without anything running in the child between fork and exec.
 */
static int spawn_bound(const cpu_set_t *set, pid_t *pid, const char *file,
                       const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                       char *const argv[], char *const envp[], int *spawn_rc)
{
    cpu_set_t keep;
    if (sched_getaffinity(0, sizeof keep, &keep) != 0 ||
        sched_setaffinity(0, sizeof *set, set) != 0)
        return smx__error(SMX_EIO, "--bind-slots: cannot set the CPU affinity for a task: %s",
                          strerror(errno));
    *spawn_rc = posix_spawnp(pid, file, fa, attr, argv, envp);
    if (sched_setaffinity(0, sizeof keep, &keep) != 0)
        return smx__error(SMX_EIO, "--bind-slots: cannot restore this rank's CPU affinity: %s",
                          strerror(errno));
    return 0;
}

static int check_opts(const smx__runner_opts *opts)
{
    if (!opts)
        return smx__error(SMX_EUSAGE, "smx__runner_create: NULL options");
    if (opts->slots < 1)
        return smx__error(SMX_EUSAGE, "runner: slots must be >= 1 (got %d)", opts->slots);
    if (opts->rank < 0)
        return smx__error(SMX_EUSAGE, "runner: negative rank %d", opts->rank);
    if (!opts->log_dir || !*opts->log_dir)
        return smx__error(SMX_EUSAGE, "runner: no log directory");
    return 0;
}

/* The runner's settings from OPTS (nothing opened yet); *OUT is NULL on failure. */
static int runner_alloc(smx__runner **out, const smx__runner_opts *opts)
{
    smx__runner *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return smx__error_oom();
    r->nslots = opts->slots;
    r->rank = opts->rank;
    r->gpus_per_slot = opts->gpus_per_slot;
    r->keep_launcher_env = opts->keep_launcher_env;
    r->local_rank = opts->local_rank;
    r->gpu_first_slot = opts->gpu_first_slot;
    r->gpu_oversubscribe = opts->gpu_oversubscribe;
    r->mode = opts->log_mode;
    r->reaper = smx__orphans_enable() == 0;
    if (opts->bind_slots) {
        int rc = plan_bindings(r);
        if (rc != 0) {
            free(r->slot_cpus);
            free(r);
            return rc;
        }
    }
    /* 0 (an unset field) means the documented default; a negative grace means none at all. */
    r->grace = opts->kill_grace > 0    ? opts->kill_grace
               : opts->kill_grace == 0 ? SMX__KILL_GRACE_DEFAULT
                                       : 0.0;
    if (isnan(r->grace))
        r->grace = SMX__KILL_GRACE_DEFAULT;
    r->devnull = -1;
    *out = r;
    return 0;
}

/*
 * DIR made absolute, because SWEEPMUX_RESULT must name the same file from a task's working
 * directory, and the embedding program may change directories while tasks run.
 */
static int absolute_dir(const char *dir, char **out)
{
    *out = NULL;
    if (dir[0] == '/') {
        *out = strdup(dir);
    } else {
        char *cwd = getcwd(NULL, 0);
        if (!cwd)
            return smx__error(SMX_EIO, "runner: cannot get the current directory: %s",
                              strerror(errno));
        *out = str_printf("%s/%s", cwd, dir);
        free(cwd);
    }
    return *out ? 0 : smx__error_oom();
}

/* The slot table, the poll arrays, the log and the scratch directory under LOG_DIR. */
static int open_log_and_slots(smx__runner *r, const char *log_dir)
{
    r->slots = calloc((size_t)r->nslots, sizeof *r->slots);
    r->pfds = calloc((size_t)r->nslots, sizeof *r->pfds);
    r->pfd_slot = calloc((size_t)r->nslots, sizeof *r->pfd_slot);
    r->scratch_dir = str_printf("%s/.scratch", log_dir);
    if (!r->slots || !r->pfds || !r->pfd_slot || !r->scratch_dir)
        return smx__error_oom();
    for (int i = 0; i < r->nslots; i++) {
        r->slots[i].num = i;
        r->slots[i].pidfd = r->slots[i].out_fd = r->slots[i].err_fd = -1;
    }
    int rc = smx__log_open(&r->log, log_dir, r->rank, r->mode);
    if (rc == 0)
        rc = smx__log_mkdirs(r->scratch_dir);
    if (rc != 0)
        return rc;
    /* Read-write: it is the tasks' stdin, and their stdout when there is no log. */
    r->devnull = fd_high(open("/dev/null", O_RDWR | O_CLOEXEC));
    if (r->devnull < 0)
        return smx__error(SMX_EIO, "cannot open /dev/null: %s", strerror(errno));
    return 0;
}

/* Slot I's file names, fixed environment entries and fresh scratch files. */
static int slot_open(smx__runner *r, int i)
{
    struct slot *s = &r->slots[i];
    const char *d = r->scratch_dir;
    s->out_path = str_printf("%s/rank-%05d-slot-%02d.out", d, r->rank, i);
    s->err_path = str_printf("%s/rank-%05d-slot-%02d.err", d, r->rank, i);
    s->res_path = str_printf("%s/rank-%05d-slot-%02d.result", d, r->rank, i);
    s->env_slot = str_printf("SWEEPMUX_SLOT=%d", i);
    s->env_result = s->res_path ? str_printf("SWEEPMUX_RESULT=%s", s->res_path) : NULL;
    if (!s->out_path || !s->err_path || !s->res_path || !s->env_slot || !s->env_result)
        return smx__error_oom();
    int rc = 0;
    if (r->gpus_per_slot > 0 && (rc = gpu_env(r, s, i)) != 0)
        return rc;
    /* A previous job's tasks (same rank and slot) may have left files: start clean. */
    return slot_fresh_files(s, r->mode == SMX__LOG_NONE);
}

/*
 * One set of spawn attributes for every task: its own process group, default signal dispositions
 * (the embedding program may ignore SIGPIPE or handle SIGUSR1) and no blocked signals (MPI
 * libraries and helper threads often block some).
 */
static int init_spawn_attr(smx__runner *r)
{
    if (posix_spawnattr_init(&r->attr) != 0)
        return smx__error_oom();
    r->attr_ok = 1;
    sigset_t all, none;
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    sigemptyset(&none);
    if (posix_spawnattr_setflags(&r->attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                               POSIX_SPAWN_SETSIGMASK) != 0 ||
        posix_spawnattr_setpgroup(&r->attr, 0) != 0 ||
        posix_spawnattr_setsigdefault(&r->attr, &all) != 0 ||
        posix_spawnattr_setsigmask(&r->attr, &none) != 0)
        return smx__error(SMX_EIO, "runner: cannot set up spawn attributes");
    return 0;
}

int smx__runner_create(smx__runner **out, const smx__runner_opts *opts)
{
    if (!out)
        return smx__error(SMX_EUSAGE, "smx__runner_create: NULL out");
    *out = NULL;
    smx__runner *r = NULL;
    int rc = check_opts(opts);
    if (rc == 0)
        rc = runner_alloc(&r, opts);
    if (rc != 0)
        return rc;
    char *log_dir = NULL;
    rc = absolute_dir(opts->log_dir, &log_dir);
    if (rc == 0)
        rc = open_log_and_slots(r, log_dir);
    for (int i = 0; rc == 0 && i < r->nslots; i++)
        rc = slot_open(r, i);
    if (rc == 0)
        rc = build_base_env(r);
    if (rc == 0)
        rc = init_spawn_attr(r);
    free(log_dir);
    if (rc != 0) {
        smx__runner_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* Stops tracking every process group we were waiting to SIGKILL, killing them now. */
static void kill_lingers(smx__runner *r)
{
    for (size_t i = 0; i < r->nlinger; i++)
        killpg(r->lingers[i].pgid, SIGKILL);
    r->nlinger = 0;
}

/* SIGKILLs the running tasks' groups and reaps them, waiting at most 2 s for all of them. */
static void kill_running(smx__runner *r)
{
    for (int i = 0; i < r->nslots; i++) {
        struct slot *s = &r->slots[i];
        if (s->state == SLOT_RUNNING)
            killpg(s->pid, SIGKILL);
    }
    /* Reap what we killed, but do not hang forever on a child stuck in the kernel. */
    double until = smx__clock_mono() + 2.0;
    for (int i = 0; i < r->nslots; i++) {
        struct slot *s = &r->slots[i];
        if (s->state != SLOT_RUNNING)
            continue;
        for (;;) {
            pid_t w = waitpid(s->pid, &s->status, WNOHANG);
            if (w != 0 || smx__clock_mono() > until)
                break;
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
}

/* Closes and removes everything slot S holds. */
static void slot_close(struct slot *s)
{
    if (s->pidfd >= 0)
        close(s->pidfd);
    if (s->out_fd >= 0)
        close(s->out_fd);
    if (s->err_fd >= 0)
        close(s->err_fd);
    if (s->out_path)
        unlink(s->out_path);
    if (s->err_path)
        unlink(s->err_path);
    if (s->res_path)
        unlink(s->res_path);
    free(s->out_path);
    free(s->err_path);
    free(s->res_path);
    free(s->env_slot);
    free(s->env_result);
    free(s->env_gpus);
    slot_drop_actions(s);
    free(s->names);
    free(s->values);
}

/* Nothing a task started outlives the runner: kills its orphans and reaps them (a short wait). */
static void kill_orphans(smx__runner *r)
{
    double until = smx__clock_mono() + 2.0;
    while (sweep_orphans(r, 1) > 0 && smx__clock_mono() < until) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    sweep_orphans(r, 1);
}

void smx__runner_free(smx__runner *r)
{
    if (!r)
        return;
    if (r->slots) {
        kill_running(r);
        for (int i = 0; i < r->nslots; i++)
            slot_close(&r->slots[i]);
    }
    kill_lingers(r);
    kill_orphans(r);
    /*
     * The scratch directory stays: other ranks share it, and one still starting up may be creating
     * its files in it at this very moment (removing it here made their runner_create fail).
     */
    if (r->devnull >= 0)
        close(r->devnull);
    if (r->attr_ok)
        posix_spawnattr_destroy(&r->attr);
    smx__log_close(r->log);
    if (r->base_env)
        for (size_t i = 0; i < r->nbase; i++)
            free(r->base_env[i]);
    free(r->base_env);
    free(r->base_len);
    free(r->envp);
    free(r->tlen);
    free(r->slots);
    free(r->pfds);
    free(r->pfd_slot);
    free(r->lingers);
    free(r->scratch_dir);
    free(r->slot_cpus);
    free(r);
}

int smx__runner_cpus(int *allowed, int *online)
{
    cpu_set_t set;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1 || sched_getaffinity(0, sizeof set, &set) != 0)
        return -1;
    *allowed = CPU_COUNT(&set);
    *online = (int)n;
    return 0;
}

int smx__runner_free_slots(const smx__runner *r)
{
    return r ? r->nslots - r->occupied : 0;
}

int smx__runner_active(const smx__runner *r)
{
    /* Counts finished tasks not yet handed back too (a task that could not start is one from
     * smx__runner_start on), so that "wait while active() > 0" never loses a result. */
    return r ? r->occupied : 0;
}

/* ------------------------------------------------------------------------------------------ */

static void spawn_failed(struct slot *s, const smx__task *t, int err)
{
    /* glibc reports a failed chdir and a failed exec the same way; look at the directory only on
     * this (rare) path to say which one it was. */
    int dir_bad = 0;
    int dir_err = 0;
    if (t->workdir) {
        struct stat st;
        if (stat(t->workdir, &st) != 0) {
            dir_bad = 1;
            dir_err = errno;
        } else if (!S_ISDIR(st.st_mode)) {
            dir_bad = 1;
            dir_err = ENOTDIR;
        } else if (access(t->workdir, X_OK) != 0) {
            dir_bad = 1;
            dir_err = errno;
        }
    }
    if (dir_bad)
        snprintf(s->spawn_error, sizeof s->spawn_error,
                 "cannot change to working directory '%s': %s", t->workdir, strerror(dir_err));
    else if (!t->argv[0][0])
        snprintf(s->spawn_error, sizeof s->spawn_error,
                 "the program name is empty (the command's first argument rendered to \"\")");
    else
        snprintf(s->spawn_error, sizeof s->spawn_error, "cannot execute '%s': %s", t->argv[0],
                 strerror(err));
    /* Also put the reason where the user will look for it: the task's stderr in the log. */
    char line[300];
    int n = snprintf(line, sizeof line, "sweepmux: %s\n", s->spawn_error);
    if (n > 0 && write(s->err_fd, line, (size_t)n) < 0) {
        /* Nothing to do: the reason is in spawn_error anyway. */
    }
    s->started = 0;
    s->t_end = smx__clock_wall();
}

/*
 * Every attempt gets a result file of its own, named from numbers only (rank, slot, this
 * process, attempt in the slot), created by nobody yet: a process left behind by an earlier task
 * that writes to its own $SWEEPMUX_RESULT later writes a file no attempt reads.
 */
static int fresh_result_path(smx__runner *r, struct slot *s)
{
    s->seq++;
    char *path = str_printf("%s/rank-%05d-slot-%02d-p%ld-%llu.result", r->scratch_dir, r->rank,
                            (int)(s - r->slots), (long)getpid(), s->seq);
    char *env = path ? str_printf("SWEEPMUX_RESULT=%s", path) : NULL;
    if (!path || !env) {
        free(path);
        free(env);
        return smx__error_oom();
    }
    free(s->res_path);
    free(s->env_result);
    s->res_path = path;
    s->env_result = env;
    unlink(path);
    return 0;
}

/* Removes PATH whatever the task made of it (a file, a FIFO, an empty directory). */
static void remove_result(const char *path)
{
    if (unlink(path) != 0 && (errno == EISDIR || errno == EPERM))
        rmdir(path);
}

/* The first free slot, or NULL. */
static struct slot *free_slot(smx__runner *r)
{
    if (r->occupied >= r->nslots)
        return NULL;
    for (int i = 0; i < r->nslots; i++)
        if (r->slots[i].state == SLOT_FREE)
            return &r->slots[i];
    return NULL;
}

/* Everything of TASK the spawn needs into slot S: usable scratch files, a result path, the
 * environment; *FA: the file actions. */
static int slot_prepare(smx__runner *r, struct slot *s, const smx__task *task,
                        const posix_spawn_file_actions_t **fa)
{
    if (s->dirty || !s->files_ok) {
        int rc = slot_fresh_files(s, r->mode == SMX__LOG_NONE);
        if (rc != 0)
            return rc;
    }
    /* A leftover of the slot's previous task that ignores SIGTERM could still write its result
     * file until it is killed: do not let that count for this task. */
    if (s->linger_until > 0 && smx__clock_mono() <= s->linger_until) {
        unlink(s->res_path);
    }
    int rc = fresh_result_path(r, s);
    if (rc == 0)
        rc = build_env(r, s, task);
    if (rc != 0)
        return rc;
    *fa = slot_actions(r, s, task->workdir);
    return *fa ? 0 : smx_error_last_code();
}

/* The slot's bookkeeping for a new attempt of TASK, from its start time on. */
static void slot_begin(struct slot *s, const smx__task *task)
{
    s->index = task->index;
    s->attempt = task->attempt;
    s->user = task->user;
    s->status = 0;
    s->status_known = 0;
    s->started = 0;
    s->spawn_error[0] = '\0';
    s->termed = s->killed = s->timed_out = s->stopped = 0;
    s->kill_at = INFINITY;
    s->pidfd = -1;
    s->t_start = smx__clock_wall();
    double m0 = smx__clock_mono();
    s->deadline = task->timeout > 0 ? m0 + task->timeout : INFINITY;
}

/* The spawn went through: slot S runs PID, watched through a pidfd if the kernel has them. */
static void slot_running(smx__runner *r, struct slot *s, pid_t pid)
{
    s->pid = pid;
    s->started = 1;
    s->state = SLOT_RUNNING;
    r->running++;
    if (!r->no_pidfd) {
        s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (s->pidfd < 0) {
            if (errno == ENOSYS)
                r->no_pidfd = 1;
            s->pidfd = -1; /* this slot is polled with waitpid */
        }
    }
}

int smx__runner_start(smx__runner *r, const smx__task *task)
{
    if (!r || !task)
        return smx__error(SMX_EUSAGE, "smx__runner_start: NULL argument");
    /* An empty program name is this element's failure to start, not the run's (A6-1). */
    if (!task->argv || !task->argv[0])
        return smx__error(SMX_EUSAGE, "smx__runner_start: empty command");
    struct slot *s = free_slot(r);
    if (!s)
        return smx__error(SMX_EUSAGE, "smx__runner_start: no free slot");
    const posix_spawn_file_actions_t *fa = NULL;
    int rc = slot_prepare(r, s, task, &fa);
    if (rc != 0)
        return rc;
    slot_begin(s, task);

    pid_t pid;
    int src = 0;
    if (r->slot_cpus) {
        rc = spawn_bound(&r->slot_cpus[s - r->slots], &pid, task->argv[0], fa, &r->attr, task->argv,
                         r->envp, &src);
        if (rc != 0)
            return rc;
    } else {
        src = posix_spawnp(&pid, task->argv[0], fa, &r->attr, task->argv, r->envp);
    }
    r->occupied++;
    if (src != 0) {
        spawn_failed(s, task, src);
        s->state = SLOT_DONE;
        return 0;
    }
    slot_running(r, s, pid);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */

/* SIGTERM to a group, then SIGCONT so that stopped members can act on it (as systemd does). */
static void term_group(pid_t pgid)
{
    killpg(pgid, SIGTERM);
    killpg(pgid, SIGCONT);
}

static void linger_add(smx__runner *r, pid_t pgid, double kill_at)
{
    if (r->nlinger == r->linger_cap) {
        size_t cap = r->linger_cap ? 2 * r->linger_cap : 8;
        struct linger *nl = realloc(r->lingers, cap * sizeof *nl);
        if (!nl) {
            /* Cannot track it: do not leave it running unsupervised. */
            killpg(pgid, SIGKILL);
            return;
        }
        r->lingers = nl;
        r->linger_cap = cap;
    }
    r->lingers[r->nlinger].pgid = pgid;
    r->lingers[r->nlinger].kill_at = kill_at;
    r->nlinger++;
}

#define ORPHANS_MAX 256
#define ORPHANS_PERIOD 0.25 /* seconds between looks for orphans while tasks run */

/* Non-zero when a running slot's current attempt is the one whose result file is PATH. */
static int attempt_running(const smx__runner *r, const char *path)
{
    for (int i = 0; i < r->nslots; i++)
        if (r->slots[i].state == SLOT_RUNNING && r->slots[i].res_path &&
            !strcmp(r->slots[i].res_path, path))
            return 1;
    return 0;
}

static int lingering(const smx__runner *r, pid_t pgid)
{
    for (size_t i = 0; i < r->nlinger; i++)
        if (r->lingers[i].pgid == pgid)
            return 1;
    return 0;
}

/*
 * What tasks left behind outside their process groups (exec/orphans.h): reaps the ones that
 * exited, and stops the process group of every one whose attempt is over (ALL: every one) the
 * way a task's own leftovers are stopped: SIGTERM now, SIGKILL after the grace period (ALL: at
 * once). Returns how many task orphans are still alive.
 */
static size_t sweep_orphans(smx__runner *r, int all)
{
    if (!r->reaper)
        return 0;
    pid_t skip[r->nslots > 0 ? r->nslots : 1];
    size_t ns = 0, alive = 0;
    for (int i = 0; i < r->nslots; i++)
        if (r->slots[i].state == SLOT_RUNNING)
            skip[ns++] = r->slots[i].pid;
    static smx__orphan o[ORPHANS_MAX];
    size_t n = smx__orphans_list(skip, ns, o, ORPHANS_MAX);
    double at = smx__clock_mono() + r->grace;
    for (size_t k = 0; k < n; k++) {
        if (o[k].zombie) {
            waitpid(o[k].pid, NULL, WNOHANG);
            continue;
        }
        if (!o[k].result[0])
            continue; /* not started by a task */
        alive++;
        if (!all && attempt_running(r, o[k].result))
            continue;
        pid_t g = o[k].pgid;
        if (g <= 1 || g == getpgrp()) { /* never signal the rank's own group */
            kill(o[k].pid, SIGKILL);
        } else if (all || r->grace <= 0) {
            killpg(g, SIGKILL);
        } else if (!lingering(r, g)) {
            term_group(g);
            linger_add(r, g, at);
        }
    }
    return alive;
}

/* Sends the signals that are due: SIGTERM on timeout, SIGKILL after the grace period. */
static void enforce(smx__runner *r, double now)
{
    if (r->reaper && now >= r->orphans_due) {
        sweep_orphans(r, 0);
        r->orphans_due = now + ORPHANS_PERIOD;
    }
    for (int i = 0; i < r->nslots; i++) {
        struct slot *s = &r->slots[i];
        if (s->state != SLOT_RUNNING)
            continue;
        if (!s->termed && now >= s->deadline) {
            s->timed_out = 1;
            s->termed = 1;
            s->kill_at = now + r->grace;
            term_group(s->pid);
        }
        if (s->termed && !s->killed && now >= s->kill_at) {
            s->killed = 1;
            killpg(s->pid, SIGKILL);
        }
    }
    for (size_t i = 0; i < r->nlinger;) {
        struct linger *l = &r->lingers[i];
        int gone = kill(-l->pgid, 0) != 0 && errno == ESRCH;
        if (!gone && now >= l->kill_at) {
            killpg(l->pgid, SIGKILL);
            gone = 1; /* nothing more we can do; stop tracking */
        }
        if (gone)
            r->lingers[i] = r->lingers[--r->nlinger];
        else
            i++;
    }
}

/* Records how the slot's process ended; the group leader is reaped now. */
static void slot_exited(smx__runner *r, struct slot *s, int status, int known)
{
    s->status = status;
    s->status_known = known;
    s->t_end = smx__clock_wall();
    if (s->pidfd >= 0) {
        close(s->pidfd);
        s->pidfd = -1;
    }
    s->state = SLOT_DONE;
    r->running--;
    /* Members of the group that outlive the leader (a task that started something in the
     * background) are asked to stop now and killed after the grace period. */
    if (kill(-s->pid, 0) == 0 || errno == EPERM) {
        double now = smx__clock_mono();
        double at = now + r->grace;
        if (s->termed && s->kill_at < at)
            at = s->kill_at;
        term_group(s->pid);
        if (at <= now)
            killpg(s->pid, SIGKILL);
        else
            linger_add(r, s->pid, at);
        s->dirty = 1;
        s->linger_until = at;
    }
    /* A daemon the task started with setsid() is in a group of its own: look for it now (one it
     * leaves behind later is found by the periodic look in enforce). */
    sweep_orphans(r, 0);
    r->orphans_due = smx__clock_mono() + ORPHANS_PERIOD;
}

static void try_reap(smx__runner *r, struct slot *s)
{
    int status;
    pid_t w;
    do {
        w = waitpid(s->pid, &status, WNOHANG);
    } while (w < 0 && errno == EINTR);
    if (w == s->pid)
        slot_exited(r, s, status, 1);
    else if (w < 0 && errno == ECHILD)
        slot_exited(r, s, 0, 0); /* reaped by someone else (waitpid(-1) or SIGCHLD ignored) */
}

/* ------------------------------------------------------------------------------------------ */

static int name_ok(const char *n, size_t len)
{
    if (len == 0 || len >= SMX__RESULT_NAME_MAX)
        return 0;
    if (!(n[0] == '_' || (n[0] >= 'A' && n[0] <= 'Z') || (n[0] >= 'a' && n[0] <= 'z')))
        return 0;
    for (size_t i = 1; i < len; i++) {
        char c = n[i];
        if (!(c == '_' || c == '.' || c == '-' || (c >= 'A' && c <= 'Z') ||
              (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Parses one `name=value` line (not NUL-terminated) into the result arrays. */
static void parse_result_line(char (*names)[SMX__RESULT_NAME_MAX], double *values, char *line,
                              size_t len, size_t *n)
{
    char *b = line, *e = line + len;
    while (b < e && is_space(*b))
        b++;
    while (e > b && is_space(e[-1]))
        e--;
    if (b == e || *b == '#')
        return;
    char *eq = memchr(b, '=', (size_t)(e - b));
    if (!eq)
        return;
    char *ne = eq;
    while (ne > b && is_space(ne[-1]))
        ne--;
    char *v = eq + 1;
    while (v < e && is_space(*v))
        v++;
    if (v == e || !name_ok(b, (size_t)(ne - b)))
        return;
    /* strtod needs a terminated string; the byte after the value is a newline, a space or the
     * buffer's spare byte, so it can be overwritten. */
    *e = '\0';
    char *end;
    double d = strtod(v, &end);
    if (end != e)
        return;
    size_t nl = (size_t)(ne - b);
    for (size_t i = 0; i < *n; i++)
        if (strlen(names[i]) == nl && memcmp(names[i], b, nl) == 0) {
            values[i] = d;
            return;
        }
    if (*n >= SMX__TASK_RESULTS_MAX)
        return;
    memcpy(names[*n], b, nl);
    names[*n][nl] = '\0';
    values[*n] = d;
    (*n)++;
}

size_t smx__runner_parse_results(char *buf, size_t len, char (*names)[SMX__RESULT_NAME_MAX],
                                 double *values)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || buf[i] == '\n') {
            parse_result_line(names, values, buf + start, i - start, &n);
            start = i + 1;
        }
    }
    return n;
}

static size_t parse_results(struct slot *s)
{
    /* Non-blocking and no symlinks: a task may have left a FIFO, a directory or a link there. */
    int fd = open(s->res_path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        remove_result(s->res_path);
        return 0; /* the common case: the task wrote no results */
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        remove_result(s->res_path);
        return 0;
    }
    size_t n = 0;
    char *buf = malloc(SMX__RESULT_FILE_MAX + 1);
    if (!s->names)
        s->names = malloc(SMX__TASK_RESULTS_MAX * sizeof *s->names);
    if (!s->values)
        s->values = malloc(SMX__TASK_RESULTS_MAX * sizeof *s->values);
    if (!buf || !s->names || !s->values)
        goto done;
    size_t len = 0;
    int full = 0;
    while (len < SMX__RESULT_FILE_MAX) {
        ssize_t k = read(fd, buf + len, SMX__RESULT_FILE_MAX - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    if (len == SMX__RESULT_FILE_MAX) {
        char extra;
        full = read(fd, &extra, 1) == 1;
    }
    if (full) {
        /* Cut at the last complete line rather than parse half a number. */
        while (len > 0 && buf[len - 1] != '\n')
            len--;
    }
    n = smx__runner_parse_results(buf, len, s->names, s->values);
done:
    free(buf);
    close(fd);
    /* Read once, then gone. */
    remove_result(s->res_path);
    return n;
}

/* Length of the valid UTF-8 sequence at P (at most AVAIL bytes), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c >= 0x01 && c <= 0x7f)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (avail < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return len;
}

/* Fills TAIL with the last bytes of the stderr file, as valid UTF-8 without NULs. */
static void read_tail(int fd, long long size, char tail[SMX__TAIL_MAX])
{
    tail[0] = '\0';
    if (size <= 0)
        return;
    unsigned char raw[SMX__TAIL_MAX];
    size_t want = size < SMX__TAIL_MAX - 1 ? (size_t)size : SMX__TAIL_MAX - 1;
    ssize_t got = pread(fd, raw, want, (off_t)(size - (long long)want));
    if (got <= 0)
        return;
    size_t i = 0, o = 0;
    /* Starting in the middle of a character is not an error in the output: drop the fragment. */
    if ((long long)want < size)
        while (i < (size_t)got && i < 3 && (raw[i] & 0xc0) == 0x80)
            i++;
    while (i < (size_t)got) {
        size_t l = utf8_seq(raw + i, (size_t)got - i);
        if (l == 0) {
            tail[o++] = '?';
            i++;
        } else {
            memcpy(tail + o, raw + i, l);
            o += l;
            i += l;
        }
    }
    tail[o] = '\0';
}

/* Fills RES from a finished slot, files its output and frees the slot. */
static void deliver(smx__runner *r, struct slot *s, smx__task_result *res)
{
    memset(res, 0, sizeof *res);
    res->index = s->index;
    res->attempt = s->attempt;
    res->slot = s->num;
    res->user = s->user;
    res->started = s->started;
    memcpy(res->spawn_error, s->spawn_error, sizeof res->spawn_error);
    res->exit_code = -1;
    if (s->started && s->status_known) {
        if (WIFEXITED(s->status))
            res->exit_code = WEXITSTATUS(s->status);
        else if (WIFSIGNALED(s->status))
            res->term_signal = WTERMSIG(s->status);
    }
    res->timed_out = s->timed_out;
    res->stopped = s->stopped;
    res->t_start = s->t_start;
    res->t_end = s->t_end;

    struct stat st;
    long long out_size = -1, err_size = -1;
    if (s->out_fd < 0)
        out_size = 0;
    else if (fstat(s->out_fd, &st) == 0)
        out_size = (long long)st.st_size;
    if (fstat(s->err_fd, &st) == 0)
        err_size = (long long)st.st_size;
    read_tail(s->err_fd, err_size, res->stderr_tail);
    res->nresults = s->started ? parse_results(s) : 0;
    res->result_names = res->nresults ? s->names : NULL;
    res->result_values = res->nresults ? s->values : NULL;

    smx__log_src o = {s->out_path, s->out_fd, out_size};
    smx__log_src e = {s->err_path, s->err_fd, err_size};
    if (smx__log_task_src(r->log, s->index, s->attempt, &o, &e) != 0)
        res->log_failed = 1;

    if (s->dirty || r->mode == SMX__LOG_PER_TASK) {
        /* Leftover processes may still write, or the files were moved into the log: new ones. */
        s->dirty = 1;
        if (slot_fresh_files(s, r->mode == SMX__LOG_NONE) == 0)
            s->dirty = 0;
    } else if ((s->out_fd >= 0 && reset_scratch(s->out_fd, out_size) != 0) ||
               reset_scratch(s->err_fd, err_size) != 0) {
        s->dirty = 1; /* retried (and reported) by the next start */
    }
    s->state = SLOT_FREE;
    r->occupied--;
}

static void deliver_done(smx__runner *r, smx__task_result *out, size_t max, size_t *n)
{
    for (int i = 0; i < r->nslots && *n < max; i++)
        if (r->slots[i].state == SLOT_DONE)
            deliver(r, &r->slots[i], &out[(*n)++]);
}

/* Milliseconds to sleep until END or the next signal that is due, rounded up. */
static int poll_ms(smx__runner *r, double now, double end, int *need_fallback)
{
    double wake = end;
    *need_fallback = 0;
    for (int i = 0; i < r->nslots; i++) {
        struct slot *s = &r->slots[i];
        if (s->state != SLOT_RUNNING)
            continue;
        if (s->pidfd < 0)
            *need_fallback = 1;
        if (!s->termed && s->deadline < wake)
            wake = s->deadline;
        if (s->termed && !s->killed && s->kill_at < wake)
            wake = s->kill_at;
    }
    for (size_t i = 0; i < r->nlinger; i++)
        if (r->lingers[i].kill_at < wake)
            wake = r->lingers[i].kill_at;
    double ms = (wake - now) * 1000.0;
    int t;
    if (ms <= 0)
        t = 0;
    else if (ms >= (double)INT_MAX || isinf(ms))
        t = -1;
    else
        t = (int)ceil(ms);
    if (*need_fallback && (t < 0 || t > SMX__POLL_FALLBACK_MS))
        t = SMX__POLL_FALLBACK_MS;
    return t;
}

int smx__runner_wait(smx__runner *r, int timeout_ms, smx__task_result *out, size_t max, size_t *n)
{
    if (n)
        *n = 0;
    if (!r || !n || (!out && max > 0))
        return smx__error(SMX_EUSAGE, "smx__runner_wait: NULL argument");
    double end = timeout_ms < 0 ? INFINITY : smx__clock_mono() + timeout_ms / 1000.0;
    for (;;) {
        double now = smx__clock_mono();
        enforce(r, now);
        deliver_done(r, out, max, n);
        if (*n > 0 || r->running == 0)
            return 0;

        int fallback;
        int ms = poll_ms(r, now, end, &fallback);
        int np = 0;
        for (int i = 0; i < r->nslots; i++) {
            struct slot *s = &r->slots[i];
            if (s->state == SLOT_RUNNING && s->pidfd >= 0) {
                r->pfds[np].fd = s->pidfd;
                r->pfds[np].events = POLLIN;
                r->pfds[np].revents = 0;
                r->pfd_slot[np] = i;
                np++;
            }
        }
        int pr = poll(r->pfds, (nfds_t)np, ms);
        if (pr > 0) {
            for (int j = 0; j < np; j++)
                if (r->pfds[j].revents)
                    try_reap(r, &r->slots[r->pfd_slot[j]]);
        }
        if (fallback)
            for (int i = 0; i < r->nslots; i++)
                if (r->slots[i].state == SLOT_RUNNING && r->slots[i].pidfd < 0)
                    try_reap(r, &r->slots[i]);
        deliver_done(r, out, max, n);
        if (*n > 0 || max == 0)
            return 0;
        if (smx__clock_mono() >= end) {
            enforce(r, smx__clock_mono());
            return 0;
        }
    }
}

void smx__runner_kill_all(smx__runner *r, double grace)
{
    if (!r)
        return;
    double now = smx__clock_mono();
    if (!(grace > 0))
        grace = 0;
    for (int i = 0; i < r->nslots; i++) {
        struct slot *s = &r->slots[i];
        if (s->state != SLOT_RUNNING)
            continue;
        s->stopped = 1;
        if (s->killed)
            continue;
        double at = now + grace;
        if (!s->termed || at < s->kill_at)
            s->kill_at = at;
        s->termed = 1;
        term_group(s->pid);
        if (grace <= 0) {
            s->killed = 1;
            killpg(s->pid, SIGKILL);
        }
    }
    for (size_t i = 0; i < r->nlinger; i++)
        if (now + grace < r->lingers[i].kill_at)
            r->lingers[i].kill_at = now + grace;
}
