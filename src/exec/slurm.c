/*
 * slurm: the Slurm job around a run, from the environment and (for the end time) from squeue.
 * Nothing here may make a run fail that would otherwise work: a missing or slow squeue only leaves
 * the end time unknown, and the run then relies on the warning signal alone.
 */
#include "exec/slurm.h"

#include <mpi.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "state/lock.h"

extern char **environ;

/* Parses a whole decimal integer environment variable; -1 if unset, empty or not a number. */
static long env_long(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return -1;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < 0)
        return -1;
    return n;
}

/*
 * The parser behind smx__slurm_parse_end_time(), without an error message: detection must not
 * overwrite the caller's last error. Returns 0 and sets *OUT, or -1.
 */
static int parse_end_time(const char *text, double *out)
{
    *out = 0;
    if (!text)
        return -1;
    while (isspace((unsigned char)*text))
        text++;
    size_t len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    if (len == 0 || len >= 64)
        return -1;
    char buf[64];
    memcpy(buf, text, len);
    buf[len] = '\0';

    /* Unix seconds, as in SLURM_JOB_END_TIME. */
    if (strspn(buf, "0123456789") == len) {
        errno = 0;
        long long s = strtoll(buf, NULL, 10);
        if (errno != 0 || s <= 0)
            return -1;
        *out = (double)s;
        return 0;
    }

    /* squeue's %e: an ISO 8601 local time without zone. "N/A", "Unknown", "NONE" fall through. */
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int used = -1;
    if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &used) != 6 ||
        used != (int)len || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
        tm.tm_sec > 60 || tm.tm_year < 1970)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1; /* Let the C library decide whether summer time applies. */
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return -1;
    *out = (double)t;
    return 0;
}

int smx__slurm_parse_end_time(const char *text, double *out)
{
    if (!out)
        return smx__error(SMX_EUSAGE, "smx__slurm_parse_end_time: NULL output");
    if (parse_end_time(text, out) != 0)
        return smx__error(SMX_EINPUT, "not a Slurm end time: '%.64s'", text ? text : "(null)");
    return 0;
}

/*
 * Starts ARGV without a shell, its standard output (and with WITH_STDERR its error output) on the
 * write end of FDS, its input from /dev/null. Returns the pid, or -1.
 */
static pid_t spawn_reader(char *const argv[], const int fds[2], int with_stderr)
{
    posix_spawn_file_actions_t fa;
    pid_t pid = -1;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    /* dup2 clears close-on-exec on the new descriptor, so only the write end reaches the child. */
    if (posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO) == 0 &&
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0) == 0 &&
        (with_stderr ? posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO)
                     : posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY,
                                                        0)) == 0 &&
        posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

/*
 * Collects at most OUTSZ-1 bytes from FD until its end of file (returns 0) or DEADLINE on the
 * monotonic clock (returns -1). OUT is always terminated.
 */
static int read_until(int fd, double deadline, char *out, size_t outsz)
{
    size_t n = 0;
    out[0] = '\0';
    for (;;) {
        double left = deadline - smx__clock_mono();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, (int)(left * 1000) + 1);
        if (pr <= 0)
            continue; /* Interrupted or timed out: the deadline check above ends the loop. */
        char tmp[256];
        ssize_t r = read(fd, tmp, sizeof tmp);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0; /* End of file: the child closed its output. */
        size_t take = (size_t)r;
        if (take > outsz - 1 - n)
            take = outsz - 1 - n;
        memcpy(out + n, tmp, take);
        n += take;
        out[n] = '\0';
    }
}

/*
 * Reaps *PID by DEADLINE and sets *PID to -1 once it needs no reaping. Returns 0 if it exited 0,
 * 1 if it exited otherwise, -1 if it was killed by a signal or is still running.
 */
static int wait_until(pid_t *pid, double deadline)
{
    for (;;) {
        int status = 0;
        pid_t w = waitpid(*pid, &status, WNOHANG);
        if (w == *pid) {
            *pid = -1;
            return WIFEXITED(status) ? (WEXITSTATUS(status) == 0 ? 0 : 1) : -1;
        }
        if (w < 0 && errno != EINTR) {
            *pid =
                -1; /* Not our child any more (SIGCHLD ignored by the caller): nothing to reap. */
            return 0;
        }
        if (smx__clock_mono() >= deadline)
            return -1;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/*
 * Runs `squeue -h -j JOB -o FORMAT` (or $SMX_SQUEUE) without a shell, with WITH_STDERR also `-t
 * all` (jobs in every state, finished ones included), and collects at most OUTSZ-1 bytes of its
 * standard output (and, with WITH_STDERR, its error output) within TIMEOUT seconds. The child is
 * killed and reaped if it is late. Returns 0 if it exited 0 in time, 1 if it exited otherwise in
 * time, -1 if it could not be run or was late.
 */
static int run_squeue(const char *job, const char *format, int with_stderr, char *out, size_t outsz,
                      double timeout)
{
    const char *prog = getenv("SMX_SQUEUE");
    if (!prog || !*prog)
        prog = "squeue";
    char *argv[] = {
        (char *)prog, "-h", "-j", (char *)job, "-o", (char *)format, with_stderr ? "-t" : NULL,
        "all",        NULL};
    int fds[2];
    int rc = -1;
    out[0] = '\0';
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = spawn_reader(argv, fds, with_stderr);
    close(fds[1]);
    double deadline = smx__clock_mono() + timeout;
    if (pid > 0 && read_until(fds[0], deadline, out, outsz) == 0)
        rc = wait_until(&pid, deadline);
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    close(fds[0]);
    return rc;
}

int smx__slurm_detect(smx__slurm *out)
{
    if (!out)
        return smx__error(SMX_EUSAGE, "smx__slurm_detect: NULL output");
    memset(out, 0, sizeof *out);
    out->ntasks = -1;
    out->step_ntasks = -1;

    const char *job = getenv("SLURM_JOB_ID");
    if (!job || !*job)
        return 0;
    out->in_job = 1;

    /* An array task is known to users as ARRAYJOB_TASK, which is what squeue and sacct show. */
    const char *ajob = getenv("SLURM_ARRAY_JOB_ID");
    const char *atask = getenv("SLURM_ARRAY_TASK_ID");
    int w;
    if (ajob && *ajob && atask && *atask)
        w = snprintf(out->job_id, sizeof out->job_id, "%s_%s", ajob, atask);
    else
        w = snprintf(out->job_id, sizeof out->job_id, "%s", job);
    if (w < 0 || (size_t)w >= sizeof out->job_id)
        out->job_id[0] = '\0'; /* A truncated id would name another job: better none. */

    out->ntasks = env_long("SLURM_NTASKS");
    out->step_ntasks = env_long("SLURM_STEP_NUM_TASKS");

    /* SLURM_JOB_END_TIME (newer Slurm) saves a round trip to slurmctld. */
    double end = 0;
    const char *env_end = getenv("SLURM_JOB_END_TIME");
    if (env_end && *env_end && parse_end_time(env_end, &end) == 0) {
        out->end_time = end;
        return 0;
    }
    /* squeue -j takes the numeric SLURM_JOB_ID of an array task as well. */
    char buf[256];
    if (run_squeue(job, "%e", 0, buf, sizeof buf, SMX__SLURM_SQUEUE_TIMEOUT) == 0) {
        char *nl = strchr(buf, '\n');
        if (nl)
            *nl = '\0';
        if (parse_end_time(buf, &end) == 0)
            out->end_time = end;
    }
    return 0;
}

/* The srun MPI plugin this build's MPI needs: MPICH speaks PMI-2, Open MPI PMIx. */
#ifdef MPICH_VERSION
#define SRUN_MPI "pmi2"
#else
#define SRUN_MPI "pmix"
#endif

int smx__slurm_check_size(const smx__slurm *s, int world_size)
{
    if (!s || !s->in_job || s->step_ntasks <= 0 || world_size <= 0)
        return 0;
    if (world_size >= s->step_ntasks)
        return 0;
    if (world_size == 1)
        return smx__error(
            SMX_EINPUT,
            "srun started %ld tasks but each one is a separate one-rank MPI job (MPI_COMM_WORLD "
            "has "
            "size 1): the MPI library was not wired to Slurm. Launch with `srun --mpi=" SRUN_MPI
            " ...` "
            "(or the plugin your MPI was built for; see `srun --mpi=list`), or with mpirun inside "
            "the allocation",
            s->step_ntasks);
    return smx__error(SMX_EINPUT,
                      "srun started %ld tasks but MPI_COMM_WORLD has %d ranks: the tasks did not "
                      "join one MPI job. Launch with `srun --mpi=" SRUN_MPI
                      " ...` (or the plugin your MPI "
                      "was built for), or with mpirun inside the allocation",
                      s->step_ntasks, world_size);
}

/* Job states after which no process of the job runs any more (squeue says COMPLETING until then).
 */
static int state_ended(const char *st)
{
    static const char *const ended[] = {"COMPLETED", "CANCELLED", "FAILED",
                                        "TIMEOUT",   "NODE_FAIL", "PREEMPTED",
                                        "BOOT_FAIL", "DEADLINE",  "OUT_OF_MEMORY"};
    for (size_t i = 0; i < sizeof ended / sizeof ended[0]; i++)
        if (!strcmp(st, ended[i]))
            return 1;
    return 0;
}

int smx__slurm_job_ended(const char *job_id)
{
    if (!job_id || !*job_id || !strcmp(job_id, "none"))
        return -1;
    for (const char *c = job_id; *c; c++)
        if (!isdigit((unsigned char)*c) && *c != '_')
            return -1; /* not a job id: never ask squeue about it */
    char buf[512];
    int r = run_squeue(job_id, "%T", 1, buf, sizeof buf, SMX__SLURM_SQUEUE_TIMEOUT);
    if (r < 0)
        return -1;
    if (r == 1) /* slurmctld no longer knows the job (purged after MinJobAge): it has ended */
        return strstr(buf, "Invalid job id") ? 1 : -1;
    char st[64] = "";
    if (sscanf(buf, "%63s", st) != 1)
        return -1; /* no line: filtered out (SQUEUE_* settings) or unknown; cannot tell */
    return state_ended(st);
}

void smx__slurm_judge_locks(void)
{
    smx__lock_set_job_ended(smx__slurm_job_ended);
}
