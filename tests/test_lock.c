/*
 * Tests of the single-writer lock: acquire/release, a live holder refused, stale locks (dead pid,
 * zombie, reused pid, old heartbeat) taken over, a lost lock noticed, and races for one stale
 * lock won by exactly one process.
 */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "state/lock.h"
#include "testutil.h"

typedef struct paths {
    char *dir;
    char state[512];
    char lock[512];
} paths;

static void paths_init(paths *p)
{
    p->dir = smx_test_tmpdir("lock");
    snprintf(p->state, sizeof p->state, "%s/run.h5", p->dir);
    snprintf(p->lock, sizeof p->lock, "%s/run.h5.lock", p->dir);
}

static void paths_free(paths *p)
{
    unlink(p->lock);
    rmdir(p->dir);
    free(p->dir);
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static long lock_pid(const char *path)
{
    char *t = slurp(path);
    char *p = t ? strstr(t, "pid=") : NULL;
    return p ? strtol(p + 4, NULL, 10) : -1;
}

static void age_file(const char *path, double seconds)
{
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= (time_t)seconds;
    ts[1] = ts[0];
    CU_ASSERT_EQUAL(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void test_acquire_release(void)
{
    paths p;
    paths_init(&p);
    smx__lock *l = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    CU_ASSERT_PTR_NOT_NULL(l);
    char *t = slurp(p.lock);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "host="));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "slurm_job="));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "started="));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "token="));
    CU_ASSERT_EQUAL(lock_pid(p.lock), (long)getpid());
    age_file(p.lock, 50);
    CU_ASSERT_EQUAL(smx__lock_heartbeat(l), 0);
    struct stat sb;
    CU_ASSERT_EQUAL(stat(p.lock, &sb), 0);
    CU_ASSERT(time(NULL) - sb.st_mtime < 5);
    smx__lock_release(l);
    CU_ASSERT_EQUAL(access(p.lock, F_OK), -1);
    smx__lock_release(NULL);
    /* Again after release. */
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    smx__lock_release(l);
    paths_free(&p);
}

static void test_second_acquire_refused(void)
{
    paths p;
    paths_init(&p);
    smx__lock *l = NULL, *l2 = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    CU_ASSERT_EQUAL(smx__lock_acquire(&l2, p.state, SMX__LOCK_STALE_SECONDS), SMX_ELOCKED);
    CU_ASSERT_PTR_NULL(l2);
    char want[64];
    snprintf(want, sizeof want, "pid %ld", (long)getpid());
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), want));
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "in use by host"));
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), p.lock));
    /* Another process is refused too. */
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        smx__lock *x = NULL;
        int rc = smx__lock_acquire(&x, p.state, SMX__LOCK_STALE_SECONDS);
        _exit(rc == SMX_ELOCKED && strstr(smx_error_last(), want) ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CU_ASSERT_EQUAL(lock_pid(p.lock), (long)getpid());
    smx__lock_release(l);
    paths_free(&p);
}

/* A child takes the lock and dies without releasing it. REAP: wait for it (else it is a zombie). */
static pid_t child_dies_holding(const paths *p, int reap)
{
    pid_t pid = fork();
    if (pid == 0) {
        smx__lock *l = NULL;
        _exit(smx__lock_acquire(&l, p->state, SMX__LOCK_STALE_SECONDS) == 0 ? 0 : 1);
    }
    if (reap) {
        int st = 0;
        waitpid(pid, &st, 0);
        CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    } else {
        /* Wait until it has written the lock and exited, without reaping it. */
        siginfo_t si;
        memset(&si, 0, sizeof si);
        waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
    }
    return pid;
}

static void test_stale_dead_pid(void)
{
    paths p;
    paths_init(&p);
    pid_t dead = child_dies_holding(&p, 1);
    CU_ASSERT_EQUAL(lock_pid(p.lock), (long)dead);
    smx__lock *l = NULL;
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    CU_ASSERT_EQUAL(lock_pid(p.lock), (long)getpid());
    smx__lock_release(l);

    /* A zombie holds nothing either. */
    pid_t zombie = child_dies_holding(&p, 0);
    CU_ASSERT_EQUAL(lock_pid(p.lock), (long)zombie);
    CU_ASSERT_EQUAL(kill(zombie, 0), 0); /* the pid still exists */
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    CU_ASSERT_EQUAL(lock_pid(p.lock), (long)getpid());
    smx__lock_release(l);
    waitpid(zombie, NULL, 0);
    paths_free(&p);
}

/* A lock naming a live pid of this host whose start time differs: the pid was reused. */
static void test_stale_reused_pid(void)
{
    paths p;
    paths_init(&p);
    char host[256], text[1024];
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    snprintf(text, sizeof text,
             "host=%s\npid=%ld\npstart=1\nboot=unknown\nslurm_job=77\nstarted=%lld\ntoken=abc\n",
             host, (long)getppid(), (long long)time(NULL));
    CU_ASSERT_EQUAL_FATAL(smx_test_write_file(p.lock, text), 0);
    smx__lock *l = NULL;
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    smx__lock_release(l);
    paths_free(&p);
}

static void write_foreign_lock(const char *path, const char *token)
{
    char text[512];
    snprintf(text, sizeof text,
             "host=some-other-node-xyz\npid=4242\npstart=99\nboot=other\nslurm_job=9001\n"
             "started=%lld\ntoken=%s\n",
             (long long)time(NULL) - 1000, token);
    CU_ASSERT_EQUAL_FATAL(smx_test_write_file(path, text), 0);
}

static void test_stale_mtime(void)
{
    paths p;
    paths_init(&p);
    smx__lock *l = NULL;
    /* Another host, fresh heartbeat: it cannot be proved dead, so it holds. */
    write_foreign_lock(p.lock, "t1");
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), SMX_ELOCKED);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "some-other-node-xyz"));
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "pid 4242"));
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "Slurm job 9001"));
    /* Its heartbeat stops: after the stale limit it is taken over. */
    age_file(p.lock, 300);
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    CU_ASSERT_EQUAL(lock_pid(p.lock), (long)getpid());
    smx__lock_release(l);
    /* A shorter limit given by the caller. */
    write_foreign_lock(p.lock, "t2");
    age_file(p.lock, 10);
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, 120), SMX_ELOCKED);
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, 5), 0);
    smx__lock_release(l);
    /* A lock file without content, old: taken over; fresh: refused. */
    CU_ASSERT_EQUAL(smx_test_write_file(p.lock, ""), 0);
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), SMX_ELOCKED);
    age_file(p.lock, 300);
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    smx__lock_release(l);
    paths_free(&p);
}

/* What the fake Slurm of test_slurm_job_ended answers, and how often it was asked about what. */
static int fake_answer, fake_calls;
static char fake_job[64];

static int fake_job_ended(const char *job_id)
{
    fake_calls++;
    snprintf(fake_job, sizeof fake_job, "%s", job_id);
    return fake_answer;
}

/*
 * A lock of another host with a fresh heartbeat is taken over at once when the installed check
 * says its Slurm job has ended, and only then; a lock of no Slurm job never asks.
 */
static void test_slurm_job_ended(void)
{
    paths p;
    paths_init(&p);
    smx__lock *l = NULL;
    smx__lock_set_job_ended(fake_job_ended);
    static const int answers[] = {0, -1};
    for (size_t i = 0; i < 2; i++) {
        fake_answer = answers[i];
        fake_calls = 0;
        write_foreign_lock(p.lock, "alive");
        CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), SMX_ELOCKED);
        CU_ASSERT_EQUAL(fake_calls, 1);
        CU_ASSERT_STRING_EQUAL(fake_job, "9001");
        CU_ASSERT_EQUAL(lock_pid(p.lock), 4242);
    }
    fake_answer = 1;
    fake_calls = 0;
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    CU_ASSERT_EQUAL(fake_calls, 1);
    CU_ASSERT_EQUAL(lock_pid(p.lock), (long)getpid());
    smx__lock_release(l);
    /* No Slurm job recorded: nothing to ask, the heartbeat rule alone. */
    char text[512];
    snprintf(text, sizeof text,
             "host=some-other-node-xyz\npid=4242\npstart=99\nboot=other\nslurm_job=none\n"
             "started=%lld\ntoken=nojob\n",
             (long long)time(NULL));
    CU_ASSERT_EQUAL_FATAL(smx_test_write_file(p.lock, text), 0);
    fake_calls = 0;
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), SMX_ELOCKED);
    CU_ASSERT_EQUAL(fake_calls, 0);
    smx__lock_set_job_ended(NULL);
    /* Without a check installed an ended job's fresh lock holds, as before. */
    write_foreign_lock(p.lock, "nocheck");
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), SMX_ELOCKED);
    unlink(p.lock);
    paths_free(&p);
}

static void test_lost_lock(void)
{
    paths p;
    paths_init(&p);
    smx__lock *l = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    /* Another run took it over (say our heartbeat had stopped). */
    unlink(p.lock);
    write_foreign_lock(p.lock, "theirs");
    CU_ASSERT_EQUAL(smx__lock_heartbeat(l), SMX_ELOCKED);
    smx__lock_release(l); /* must not remove their lock */
    CU_ASSERT_EQUAL(access(p.lock, F_OK), 0);
    CU_ASSERT_EQUAL(lock_pid(p.lock), 4242);
    paths_free(&p);
}

/*
 * A live process of this host keeps its lock however old its heartbeat (A5-1: a run stopped with
 * SIGSTOP, or a library rank 0 computing for minutes); a stale limit from SWEEPMUX_LOCK_STALE
 * changes nothing about that.
 */
static void test_live_same_host_kept(void)
{
    paths p;
    paths_init(&p);
    char host[256], text[1024], boot[64] = "";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    FILE *bf = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (bf) {
        if (fgets(boot, sizeof boot, bf))
            boot[strcspn(boot, "\n")] = '\0';
        fclose(bf);
    }
    snprintf(text, sizeof text,
             "host=%s\npid=%ld\npstart=0\nboot=%s\nslurm_job=none\nstarted=%lld\n"
             "token=live\n",
             host, (long)getppid(), boot, (long long)time(NULL) - 10000);
    CU_ASSERT_EQUAL_FATAL(smx_test_write_file(p.lock, text), 0);
    age_file(p.lock, 10000);
    setenv("SWEEPMUX_LOCK_STALE", "1", 1);
    CU_ASSERT_DOUBLE_EQUAL(smx__lock_stale_limit(120), 1.0, 1e-9);
    smx__lock *l = NULL;
    CU_ASSERT_EQUAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), SMX_ELOCKED);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "pid"));
    unsetenv("SWEEPMUX_LOCK_STALE");
    CU_ASSERT_DOUBLE_EQUAL(smx__lock_stale_limit(120), 120.0, 1e-9);
    CU_ASSERT_EQUAL(lock_pid(p.lock), (long)getppid());
    paths_free(&p);
}

/*
 * A guarded descriptor is fenced when the lock is lost: nothing written through it afterwards
 * reaches the file, and the check names the new holder.
 */
static void test_guard_fences(void)
{
    paths p;
    paths_init(&p);
    CU_ASSERT_EQUAL_FATAL(smx_test_write_file(p.state, "before"), 0);
    int fd = open(p.state, O_RDWR);
    CU_ASSERT_FATAL(fd >= 0);
    smx__lock *l = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    CU_ASSERT_EQUAL_FATAL(smx__lock_guard(l, fd), 0);
    CU_ASSERT_EQUAL(smx__lock_check(l), 0);
    CU_ASSERT_EQUAL(pwrite(fd, "B", 1, 0), 1); /* still ours: reaches the file */
    unlink(p.lock);
    write_foreign_lock(p.lock, "theirs");
    CU_ASSERT_EQUAL(smx__lock_check(l), SMX_ELOCKED);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "some-other-node-xyz"));
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "pid 4242"));
    CU_ASSERT_EQUAL(smx__lock_lost(l), SMX_ELOCKED);
    CU_ASSERT_EQUAL(pwrite(fd, "XXXXXXXX", 8, 0), 8); /* goes nowhere */
    CU_ASSERT_STRING_EQUAL(slurp(p.state), "Before");
    smx__lock_release(l); /* must not remove their lock */
    CU_ASSERT_EQUAL(lock_pid(p.lock), 4242);
    close(fd);

    /* The heartbeat thread notices by itself that the state file was replaced. */
    unlink(p.lock);
    fd = open(p.state, O_RDWR);
    CU_ASSERT_FATAL(fd >= 0);
    setenv("SWEEPMUX_LOCK_STALE", "0.4", 1);
    CU_ASSERT_EQUAL_FATAL(smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS), 0);
    unsetenv("SWEEPMUX_LOCK_STALE");
    CU_ASSERT_EQUAL_FATAL(smx__lock_guard(l, fd), 0);
    char other[600];
    snprintf(other, sizeof other, "%s.new", p.state);
    CU_ASSERT_EQUAL_FATAL(smx_test_write_file(other, "replacement"), 0);
    CU_ASSERT_EQUAL_FATAL(rename(other, p.state), 0);
    int lost = 0;
    for (int i = 0; i < 500 && !lost; i++) {
        lost = smx__lock_lost(l) == SMX_ELOCKED;
        usleep(10000);
    }
    CU_ASSERT(lost);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "replaced"));
    smx__lock_release(l); /* lost: the lock file stays for whoever replaced the file */
    close(fd);
    unlink(p.state);
    paths_free(&p);
}

/*
 * NPROC processes race for one stale lock, 20 times: exactly one wins, the others are refused
 * naming the winner, and the lock file names the winner.
 */
static void race(int nproc, int reps)
{
    for (int rep = 0; rep < reps; rep++) {
        paths p;
        paths_init(&p);
        write_foreign_lock(p.lock, "stale");
        age_file(p.lock, 1000);
        int go[2], res[2], fin[2];
        CU_ASSERT_FATAL(pipe(go) == 0 && pipe(res) == 0 && pipe(fin) == 0);
        pid_t pids[8];
        for (int i = 0; i < nproc; i++) {
            pids[i] = fork();
            CU_ASSERT_FATAL(pids[i] >= 0);
            if (pids[i] == 0) {
                close(go[1]);
                close(res[0]);
                close(fin[1]);
                char c;
                (void)!read(go[0], &c, 1); /* returns 0 when the parent closes it: start */
                smx__lock *l = NULL;
                int rc = smx__lock_acquire(&l, p.state, SMX__LOCK_STALE_SECONDS);
                int msg[2] = {(int)getpid(), rc};
                (void)!write(res[1], msg, sizeof msg);
                (void)!read(fin[0], &c, 1); /* hold it until everyone has tried */
                _exit(0);
            }
        }
        close(go[0]);
        close(res[1]);
        close(fin[0]);
        close(go[1]);
        int winners = 0, refused = 0;
        long winner = -1;
        for (int i = 0; i < nproc; i++) {
            int msg[2];
            if (read(res[0], msg, sizeof msg) != sizeof msg)
                break;
            if (msg[1] == 0) {
                winners++;
                winner = msg[0];
            } else if (msg[1] == SMX_ELOCKED) {
                refused++;
            }
        }
        CU_ASSERT_EQUAL(winners, 1);
        CU_ASSERT_EQUAL(refused, nproc - 1);
        CU_ASSERT_EQUAL(lock_pid(p.lock), winner);
        if (winners != 1)
            fprintf(stderr, "rep %d: %d winners\n", rep, winners);
        close(fin[1]);
        close(res[0]);
        for (int i = 0; i < nproc; i++)
            waitpid(pids[i], NULL, 0);
        /* No leftovers (moved-aside stale locks) besides the lock itself. */
        DIR *d = opendir(p.dir);
        int others = 0;
        for (struct dirent *e; d && (e = readdir(d));)
            others += e->d_name[0] != '.' && strcmp(e->d_name, "run.h5.lock") != 0;
        if (d)
            closedir(d);
        CU_ASSERT_EQUAL(others, 0);
        paths_free(&p);
    }
}

static void test_race_two(void)
{
    race(2, 20);
}

static void test_race_many(void)
{
    race(6, 50);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("lock", NULL, NULL);
    CU_add_test(s, "acquire, heartbeat, release", test_acquire_release);
    CU_add_test(s, "a live holder on this host is never stale", test_live_same_host_kept);
    CU_add_test(s, "a lost lock fences the guarded file", test_guard_fences);
    CU_add_test(s, "a live holder is refused, named", test_second_acquire_refused);
    CU_add_test(s, "stale: dead pid, zombie", test_stale_dead_pid);
    CU_add_test(s, "stale: reused pid", test_stale_reused_pid);
    CU_add_test(s, "stale: old heartbeat", test_stale_mtime);
    CU_add_test(s, "stale: the holder's Slurm job has ended", test_slurm_job_ended);
    CU_add_test(s, "a lost lock is noticed and left alone", test_lost_lock);
    CU_add_test(s, "two processes race for a stale lock (20x)", test_race_two);
    CU_add_test(s, "six processes race for a stale lock (50x)", test_race_many);
    return smx_test_run();
}
