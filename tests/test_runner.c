/* Unit tests for the task runner (src/runner.c). Every wait is bounded so no test can hang. */
#include "testutil.h"

#include "core/error.h"
#include "exec/runner.h"

#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A copy of a result that outlives the next smx__runner_wait. */
typedef struct res {
    smx__task_result r;
    size_t n;
    char names[16][SMX__RESULT_NAME_MAX];
    double values[16];
} res;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static smx__runner *make_runner(int slots, smx__log_mode mode, double grace, char **dir_out)
{
    char *dir = smx_test_tmpdir("runner");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    smx__runner_opts o = {
        .slots = slots, .rank = 3, .log_dir = dir, .log_mode = mode, .kill_grace = grace};
    smx__runner *r = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__runner_create(&r, &o), 0);
    if (dir_out)
        *dir_out = dir;
    else
        free(dir);
    return r;
}

static void keep(res *dst, const smx__task_result *src)
{
    dst->r = *src;
    dst->n = src->nresults < 16 ? src->nresults : 16;
    for (size_t i = 0; i < dst->n; i++) {
        memcpy(dst->names[i], src->result_names[i], SMX__RESULT_NAME_MAX);
        dst->values[i] = src->result_values[i];
    }
    dst->r.result_names = NULL;
    dst->r.result_values = NULL;
}

/* Collects up to WANT results, giving up after LIMIT seconds; returns how many arrived. */
static size_t collect(smx__runner *r, res *out, size_t want, double limit)
{
    size_t got = 0;
    double end = now_s() + limit;
    smx__task_result buf[8];
    while (got < want && now_s() < end) {
        size_t n = 0;
        CU_ASSERT_EQUAL(smx__runner_wait(r, 100, buf, 8, &n), 0);
        for (size_t i = 0; i < n && got < want; i++)
            keep(&out[got++], &buf[i]);
    }
    return got;
}

/* Runs one task to completion (or LIMIT seconds) and returns its result in OUT. */
static int run1(smx__runner *r, const smx__task *t, res *out, double limit)
{
    CU_ASSERT_EQUAL_FATAL(smx__runner_start(r, t), 0);
    size_t n = collect(r, out, 1, limit);
    CU_ASSERT_EQUAL(n, 1);
    return n == 1 ? 0 : -1;
}

static int sh_run(smx__runner *r, const char *script, res *out, double limit)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    smx__task t = {.index = 1, .attempt = 1, .argv = argv};
    return run1(r, &t, out, limit);
}

/* A process that is neither gone nor a zombie (a zombie's parent may be a non-reaping init). */
static int proc_alive(pid_t pid)
{
    char p[64], buf[512];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *cp = strrchr(buf, ')');
    return cp && cp[1] == ' ' && cp[2] != 'Z' && cp[2] != 'X';
}

static void rm_rf(const char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        /* Leftover temporary files do not affect the result. */
    }
}

/* ------------------------------------------------------------------------------------------ */

static void test_exit_codes(void)
{
    smx__runner *r = make_runner(1, SMX__LOG_NONE, 1, NULL);
    res x;
    if (sh_run(r, "exit 0", &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.started, 1);
        CU_ASSERT_EQUAL(x.r.exit_code, 0);
        CU_ASSERT_EQUAL(x.r.term_signal, 0);
        CU_ASSERT_EQUAL(x.r.timed_out, 0);
        CU_ASSERT_EQUAL(x.r.slot, 0);
        CU_ASSERT(x.r.t_end >= x.r.t_start && x.r.t_start > 1e9);
    }
    if (sh_run(r, "exit 3", &x, 10) == 0)
        CU_ASSERT_EQUAL(x.r.exit_code, 3);
    /* A real exit status of 127 is a started task, unlike a program that cannot be executed. */
    if (sh_run(r, "exit 127", &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.started, 1);
        CU_ASSERT_EQUAL(x.r.exit_code, 127);
        CU_ASSERT_STRING_EQUAL(x.r.spawn_error, "");
    }
    CU_ASSERT_EQUAL(smx__runner_active(r), 0);
    CU_ASSERT_EQUAL(smx__runner_free_slots(r), 1);
    smx__runner_free(r);
}

/*
 * Valgrind runs posix_spawn's CLONE_VM|CLONE_VFORK child as a plain fork, so glibc cannot hand the
 * exec error back and the child exits 127 instead: "could not start" is untestable under it.
 */
static int under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

static void test_not_started(void)
{
    if (under_valgrind()) {
        fprintf(stderr, "(skipped under valgrind) ");
        return;
    }
    char *dir;
    smx__runner *r = make_runner(1, SMX__LOG_PER_RANK, 1, &dir);
    res x;
    char *a1[] = {"smx-no-such-program-xyz", "arg", NULL};
    smx__task t = {.index = 5, .attempt = 2, .argv = a1};
    /* Until it is handed back, a task that could not start still counts as active. */
    CU_ASSERT_EQUAL_FATAL(smx__runner_start(r, &t), 0);
    CU_ASSERT_EQUAL(smx__runner_active(r), 1);
    CU_ASSERT_EQUAL(smx__runner_free_slots(r), 0);
    if (collect(r, &x, 1, 10) == 1) {
        CU_ASSERT_EQUAL(smx__runner_active(r), 0);
        CU_ASSERT_EQUAL(x.r.started, 0);
        CU_ASSERT_EQUAL(x.r.exit_code, -1);
        CU_ASSERT_EQUAL(x.r.index, 5);
        CU_ASSERT_EQUAL(x.r.attempt, 2);
        CU_ASSERT_STRING_EQUAL(
            x.r.spawn_error, "cannot execute 'smx-no-such-program-xyz': No such file or directory");
    }
    char *a2[] = {"/nonexistent/smx/prog", NULL};
    t.argv = a2;
    if (run1(r, &t, &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.started, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(x.r.spawn_error, "No such file or directory"));
    }

    /* A file without execute permission (EACCES even for root). */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/noexec.sh", dir);
    CU_ASSERT_EQUAL(smx_test_write_file(path, "#!/bin/sh\nexit 0\n"), 0);
    chmod(path, 0644);
    char *a3[] = {path, NULL};
    t.argv = a3;
    if (run1(r, &t, &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.started, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(x.r.spawn_error, "Permission denied"));
        CU_ASSERT_PTR_NOT_NULL(strstr(x.r.spawn_error, "cannot execute"));
    }

    /* A working directory that does not exist. */
    char *a4[] = {"/bin/true", NULL};
    t.argv = a4;
    t.workdir = "/nonexistent/smx-workdir";
    if (run1(r, &t, &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.started, 0);
        CU_ASSERT_STRING_EQUAL(x.r.spawn_error, "cannot change to working directory "
                                                "'/nonexistent/smx-workdir': No such file or "
                                                "directory");
    }

    /* The reason is also filed as the attempt's stderr in the log. */
    char lp[PATH_MAX];
    snprintf(lp, sizeof lp, "%s/rank-00003.log", dir);
    char *log = smx_test_read_file(lp, NULL);
    CU_ASSERT_PTR_NOT_NULL(log);
    if (log)
        CU_ASSERT_PTR_NOT_NULL(strstr(log, "cannot execute 'smx-no-such-program-xyz'"));
    free(log);
    smx__runner_free(r);
    rm_rf(dir);
    free(dir);
}

static void test_signals(void)
{
    smx__runner *r = make_runner(1, SMX__LOG_NONE, 1, NULL);
    res x;
    if (sh_run(r, "kill -SEGV $$", &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.started, 1);
        CU_ASSERT_EQUAL(x.r.exit_code, -1);
        CU_ASSERT_EQUAL(x.r.term_signal, SIGSEGV);
        CU_ASSERT_EQUAL(x.r.timed_out, 0);
    }
    if (sh_run(r, "kill -KILL $$", &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.exit_code, -1);
        CU_ASSERT_EQUAL(x.r.term_signal, SIGKILL);
    }
    smx__runner_free(r);
}

static void test_timeout(void)
{
    smx__runner *r = make_runner(1, SMX__LOG_NONE, 5, NULL);
    char *argv[] = {"sleep", "30", NULL};
    smx__task t = {.index = 9, .attempt = 1, .argv = argv, .timeout = 0.3};
    res x;
    double t0 = now_s();
    if (run1(r, &t, &x, 10) == 0) {
        double el = now_s() - t0;
        CU_ASSERT(el >= 0.29 && el < 3.0);
        CU_ASSERT_EQUAL(x.r.timed_out, 1);
        CU_ASSERT_EQUAL(x.r.term_signal, SIGTERM);
        CU_ASSERT_EQUAL(x.r.exit_code, -1);
        CU_ASSERT_EQUAL(x.r.stopped, 0);
    }
    smx__runner_free(r);
}

static void test_timeout_stopped_task(void)
{
    /* A stopped task only acts on SIGTERM once continued: the runner sends SIGCONT after it. */
    smx__runner *r = make_runner(1, SMX__LOG_NONE, 5, NULL);
    char *argv[] = {"/bin/sh", "-c", "kill -STOP $$; sleep 30", NULL};
    smx__task t = {.index = 1, .attempt = 1, .argv = argv, .timeout = 0.3};
    res x;
    double t0 = now_s();
    if (run1(r, &t, &x, 10) == 0) {
        CU_ASSERT(now_s() - t0 < 3.0);
        CU_ASSERT_EQUAL(x.r.timed_out, 1);
        CU_ASSERT_EQUAL(x.r.term_signal, SIGTERM);
    }
    smx__runner_free(r);
}

static void test_timeout_sigkill_after_grace(void)
{
    smx__runner *r = make_runner(1, SMX__LOG_NONE, 0.4, NULL);
    /* The shell and its sleep both ignore SIGTERM (an ignored disposition survives exec). */
    char *argv[] = {"/bin/sh", "-c", "trap '' TERM; sleep 30; exit 0", NULL};
    smx__task t = {.index = 1, .attempt = 1, .argv = argv, .timeout = 0.3};
    res x;
    double t0 = now_s();
    if (run1(r, &t, &x, 10) == 0) {
        double el = now_s() - t0;
        CU_ASSERT(el >= 0.69 && el < 3.0);
        CU_ASSERT_EQUAL(x.r.timed_out, 1);
        CU_ASSERT_EQUAL(x.r.term_signal, SIGKILL);
    }
    smx__runner_free(r);
}

static void test_wait_bounded(void)
{
    smx__runner *r = make_runner(1, SMX__LOG_NONE, 0.2, NULL);
    char *argv[] = {"sleep", "30", NULL};
    smx__task t = {.argv = argv};
    CU_ASSERT_EQUAL_FATAL(smx__runner_start(r, &t), 0);
    CU_ASSERT_EQUAL(smx__runner_active(r), 1);
    CU_ASSERT_EQUAL(smx__runner_free_slots(r), 0);
    CU_ASSERT_EQUAL(smx__runner_start(r, &t), SMX_EUSAGE); /* no free slot */
    smx__task_result out[1];
    size_t n = 99;
    double t0 = now_s();
    CU_ASSERT_EQUAL(smx__runner_wait(r, 0, out, 1, &n), 0);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(smx__runner_wait(r, 150, out, 1, &n), 0);
    double el = now_s() - t0;
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT(el >= 0.14 && el < 1.0);
    smx__runner_free(r); /* kills the sleep */
}

static void test_kill_all(void)
{
    smx__runner *r = make_runner(3, SMX__LOG_NONE, 5, NULL);
    char *a1[] = {"sleep", "30", NULL};
    char *a2[] = {"/bin/sh", "-c", "trap '' TERM; sleep 30", NULL};
    smx__task t1 = {.index = 1, .argv = a1};
    smx__task t2 = {.index = 2, .argv = a1};
    smx__task t3 = {.index = 3, .argv = a2};
    CU_ASSERT_EQUAL_FATAL(smx__runner_start(r, &t1), 0);
    CU_ASSERT_EQUAL_FATAL(smx__runner_start(r, &t2), 0);
    CU_ASSERT_EQUAL_FATAL(smx__runner_start(r, &t3), 0);
    CU_ASSERT_EQUAL(smx__runner_active(r), 3);
    res x[3];
    CU_ASSERT_EQUAL(collect(r, x, 3, 0.2), 0);
    double t0 = now_s();
    smx__runner_kill_all(r, 0.4);
    size_t n = collect(r, x, 3, 10);
    double el = now_s() - t0;
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT(el >= 0.39 && el < 3.0); /* the TERM-ignoring one needed SIGKILL after 0.4 s */
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(x[i].r.stopped, 1);
        CU_ASSERT_EQUAL(x[i].r.timed_out, 0);
        int want = x[i].r.index == 3 ? SIGKILL : SIGTERM;
        CU_ASSERT_EQUAL(x[i].r.term_signal, want);
    }
    CU_ASSERT_EQUAL(smx__runner_active(r), 0);
    smx__runner_free(r);
}

static double result_of(const res *x, const char *name, int *found)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->names[i], name) == 0) {
            *found = 1;
            return x->values[i];
        }
    *found = 0;
    return 0;
}

static void test_results(void)
{
    smx__runner *r = make_runner(1, SMX__LOG_NONE, 1, NULL);
    res x;
    const char *script =
        "printf '%s\\n' 'a=1.5' 'b=hello' '# c=3' '' '  d = 2e3  ' 'a=7' 'e=inf' 'f=-nan' "
        "'9bad=1' 'x=1.0abc' 'noequals' 'y=' 'z.k-1=0x10' 'g=1e999' "
        "'n123456789012345678901234567890123456789012345678901234567890123=1' "
        "> \"$SWEEPMUX_RESULT\"; printf 'last=4' >> \"$SWEEPMUX_RESULT\"";
    if (sh_run(r, script, &x, 10) == 0) {
        int f;
        CU_ASSERT_EQUAL(x.r.exit_code, 0);
        CU_ASSERT_EQUAL(x.r.nresults, 7);
        CU_ASSERT_DOUBLE_EQUAL(result_of(&x, "a", &f), 7.0, 0);
        CU_ASSERT(f);
        CU_ASSERT_DOUBLE_EQUAL(result_of(&x, "d", &f), 2000.0, 0);
        CU_ASSERT(f);
        CU_ASSERT(isinf(result_of(&x, "e", &f)) && f);
        CU_ASSERT(isnan(result_of(&x, "f", &f)) && f);
        CU_ASSERT_DOUBLE_EQUAL(result_of(&x, "z.k-1", &f), 16.0, 0);
        CU_ASSERT(f);
        CU_ASSERT(isinf(result_of(&x, "g", &f)) && f);
        CU_ASSERT_DOUBLE_EQUAL(result_of(&x, "last", &f), 4.0, 0);
        CU_ASSERT(f);
        result_of(&x, "b", &f);
        CU_ASSERT(!f);
        result_of(&x, "x", &f);
        CU_ASSERT(!f);
        result_of(&x, "y", &f);
        CU_ASSERT(!f);
        CU_ASSERT_STRING_EQUAL(x.names[0], "a"); /* an override keeps the first position */
    }
    /* The next task in the same slot does not see the previous task's results. */
    if (sh_run(r, "test ! -e \"$SWEEPMUX_RESULT\"", &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.exit_code, 0);
        CU_ASSERT_EQUAL(x.r.nresults, 0);
        CU_ASSERT_PTR_NULL(x.r.result_names);
    }
    smx__runner_free(r);
}

static void test_env(void)
{
    setenv("SMX_TEST_INHERIT", "outer", 1);
    setenv("SMX_TEST_KEEP", "kept", 1);
    setenv("SWEEPMUX_PARAM_STALE", "outer-task", 1);
    smx__runner *r = make_runner(2, SMX__LOG_NONE, 1, NULL);
    unsetenv("SWEEPMUX_PARAM_STALE");
    char *env[] = {"SMX_TEST_INHERIT=inner", "SMX_CUSTOM=1", "SMX_CUSTOM=42", "SWEEPMUX_SLOT=99",
                   NULL};
    char *argv[] = {"/bin/sh", "-c",
                    "[ \"$SWEEPMUX_SLOT\" = 0 ] || exit 10; "
                    "[ \"$SMX_TEST_INHERIT\" = inner ] || exit 11; "
                    "[ \"$SMX_CUSTOM\" = 42 ] || exit 12; "
                    "[ \"$SMX_TEST_KEEP\" = kept ] || exit 13; "
                    "case \"$SWEEPMUX_RESULT\" in */.scratch/rank-00003-slot-00-p*-1.result) ;; "
                    "*) exit 14;; esac; "
                    "[ \"$SWEEPMUX_RANK\" = 3 ] || exit 15; "
                    "[ \"$SWEEPMUX_INDEX\" = 77 ] || exit 16; "
                    "[ \"$SWEEPMUX_ATTEMPT\" = 2 ] || exit 17; "
                    "[ -z \"$SWEEPMUX_PARAM_STALE\" ] || exit 18; "
                    "[ $(env | grep -c '^SMX_TEST_INHERIT=') = 1 ] || exit 19; "
                    "[ $(env | grep -c '^SMX_CUSTOM=') = 1 ] || exit 20; "
                    "exit 0",
                    NULL};
    smx__task t = {.index = 77, .attempt = 2, .argv = argv, .env = env};
    res x;
    if (run1(r, &t, &x, 10) == 0)
        CU_ASSERT_EQUAL(x.r.exit_code, 0);

    char *bad[] = {"NOEQUALS", NULL};
    t.env = bad;
    CU_ASSERT_EQUAL(smx__runner_start(r, &t), SMX_EUSAGE);
    CU_ASSERT_EQUAL(smx__runner_free_slots(r), 2);
    smx__runner_free(r);
    unsetenv("SMX_TEST_INHERIT");
    unsetenv("SMX_TEST_KEEP");
}

static void test_relative_log_dir(void)
{
    /* A relative log directory, then the program changes directory and the task runs elsewhere:
     * SWEEPMUX_RESULT and the log still name the right files. */
    char *dir = smx_test_tmpdir("runner");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char old[PATH_MAX];
    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(old, sizeof old));
    CU_ASSERT_EQUAL_FATAL(chdir(dir), 0);
    smx__runner_opts o = {.slots = 1, .rank = 3, .log_dir = "logs", .log_mode = SMX__LOG_PER_RANK};
    smx__runner *r = NULL;
    int rc = smx__runner_create(&r, &o);
    CU_ASSERT_EQUAL(chdir(old), 0);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    char *argv[] = {"/bin/sh", "-c", "echo v=5 > \"$SWEEPMUX_RESULT\"; echo hi", NULL};
    smx__task t = {.index = 4, .attempt = 1, .argv = argv, .workdir = "/"};
    res x;
    if (run1(r, &t, &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.exit_code, 0);
        CU_ASSERT_EQUAL(x.n, 1);
        CU_ASSERT_DOUBLE_EQUAL(x.values[0], 5.0, 0);
    }
    smx__runner_free(r);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/logs/rank-00003.log", dir);
    char *log = smx_test_read_file(p, NULL);
    CU_ASSERT_PTR_NOT_NULL(log);
    if (log)
        CU_ASSERT_PTR_NOT_NULL(strstr(log, "stream=stdout bytes=3 <==\nhi\n"));
    free(log);
    rm_rf(dir);
    free(dir);
}

static void test_workdir_and_stdin(void)
{
    char *dir;
    smx__runner *r = make_runner(1, SMX__LOG_NONE, 1, &dir);
    char real[PATH_MAX];
    CU_ASSERT_PTR_NOT_NULL_FATAL(realpath(dir, real));
    char script[PATH_MAX + 128];
    snprintf(script, sizeof script,
             "[ \"$(pwd -P)\" = '%s' ] || exit 10; [ -z \"$(cat)\" ] || exit 11; exit 0", real);
    char *argv[] = {"/bin/sh", "-c", script, NULL};
    smx__task t = {.argv = argv, .workdir = dir};
    res x;
    if (run1(r, &t, &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.started, 1);
        CU_ASSERT_EQUAL(x.r.exit_code, 0);
    }
    smx__runner_free(r);
    rm_rf(dir);
    free(dir);
}

static void test_signal_state_reset(void)
{
    /* The embedding program ignores SIGPIPE and blocks SIGUSR1; tasks must not inherit either. */
    struct sigaction old, ign = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ign, &old);
    sigset_t blk, oldmask;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigprocmask(SIG_BLOCK, &blk, &oldmask);
    smx__runner *r = make_runner(1, SMX__LOG_NONE, 1, NULL);
    res x;
    /* SigIgn and SigBlk are hex masks, bit N-1 for signal N. Only signals 1..31 are checked:
     * glibc's posix_spawn itself leaves its internal signals 32 and 33 ignored in the child. */
    if (sh_run(r,
               "v=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status); "
               "[ $((0x$v & 0x7fffffff)) = 0 ] || exit 10; "
               "v=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/self/status); "
               "[ $((0x$v & 0x7fffffff)) = 0 ] || exit 11; "
               "exec /bin/sh -c 'kill -PIPE $$'",
               &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.exit_code, -1);
        CU_ASSERT_EQUAL(x.r.term_signal, SIGPIPE);
    }
    smx__runner_free(r);
    sigprocmask(SIG_SETMASK, &oldmask, NULL);
    sigaction(SIGPIPE, &old, NULL);
}

static void test_background_child(void)
{
    char *dir;
    smx__runner *r = make_runner(1, SMX__LOG_PER_RANK, 0.3, &dir);
    char script[PATH_MAX + 128];
    snprintf(script, sizeof script, "sleep 100 & echo $! > '%s/bg.pid'; echo started; exit 0", dir);
    res x;
    double t0 = now_s();
    if (sh_run(r, script, &x, 10) == 0) {
        CU_ASSERT(now_s() - t0 < 3.0);
        CU_ASSERT_EQUAL(x.r.exit_code, 0);
    }
    char pp[PATH_MAX];
    snprintf(pp, sizeof pp, "%s/bg.pid", dir);
    char *s = smx_test_read_file(pp, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    pid_t bg = (pid_t)atoi(s);
    free(s);
    CU_ASSERT(bg > 0);
    double end = now_s() + 3;
    while (proc_alive(bg) && now_s() < end)
        usleep(10000);
    CU_ASSERT(!proc_alive(bg));

    /* Same for one that ignores SIGTERM: SIGKILL after the grace period, sent by later waits. */
    snprintf(script, sizeof script,
             "cd '%s' || exit 1; (trap '' TERM; : > ready; exec sleep 100) & echo $! > bg.pid; "
             "while [ ! -e ready ]; do sleep 0.01; done; exit 0",
             dir);
    t0 = now_s();
    if (sh_run(r, script, &x, 10) == 0)
        CU_ASSERT(now_s() - t0 < 3.0);
    s = smx_test_read_file(pp, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    bg = (pid_t)atoi(s);
    free(s);
    usleep(100000);
    CU_ASSERT(proc_alive(bg)); /* still within the grace period */
    end = now_s() + 3;
    while (proc_alive(bg) && now_s() < end) {
        smx__task_result o[1];
        size_t n;
        smx__runner_wait(r, 10, o, 1, &n);
        usleep(10000);
    }
    CU_ASSERT(!proc_alive(bg));

    /* The slot's next task starts with clean output files. */
    if (sh_run(r, "echo second", &x, 10) == 0)
        CU_ASSERT_EQUAL(x.r.exit_code, 0);
    smx__runner_free(r);
    rm_rf(dir);
    free(dir);
}

static void test_concurrent_slots(void)
{
    char *dir;
    smx__runner *r = make_runner(4, SMX__LOG_PER_RANK, 1, &dir);
    char script[PATH_MAX + 256];
    /* mkdir is atomic: it fails if another task holds the same slot. */
    snprintf(
        script, sizeof script,
        "mkdir '%s/busy-'$SWEEPMUX_SLOT || exit 9; echo slot=$SWEEPMUX_SLOT > "
        "\"$SWEEPMUX_RESULT\"; sleep 0.0$((SWEEPMUX_INDEX %% 4)); rmdir '%s/busy-'$SWEEPMUX_SLOT",
        dir, dir);
    char *argv[] = {"/bin/sh", "-c", script, NULL};
    int seen[40] = {0};
    int started = 0, finished = 0;
    double end = now_s() + 30;
    while (finished < 40 && now_s() < end) {
        while (started < 40 && smx__runner_free_slots(r) > 0) {
            smx__task t = {.index = (uint64_t)started, .attempt = 1, .argv = argv};
            CU_ASSERT_EQUAL_FATAL(smx__runner_start(r, &t), 0);
            started++;
        }
        CU_ASSERT(smx__runner_active(r) <= 4);
        smx__task_result out[3];
        size_t n = 0;
        CU_ASSERT_EQUAL(smx__runner_wait(r, 200, out, 3, &n), 0);
        CU_ASSERT(n <= 3);
        for (size_t i = 0; i < n; i++) {
            CU_ASSERT_EQUAL(out[i].exit_code, 0);
            CU_ASSERT(out[i].slot >= 0 && out[i].slot < 4);
            CU_ASSERT(out[i].index < 40);
            if (out[i].index < 40)
                seen[out[i].index]++;
            CU_ASSERT_EQUAL(out[i].nresults, 1);
            if (out[i].nresults == 1)
                CU_ASSERT_DOUBLE_EQUAL(out[i].result_values[0], out[i].slot, 0);
            finished++;
        }
    }
    CU_ASSERT_EQUAL(finished, 40);
    for (int i = 0; i < 40; i++)
        CU_ASSERT_EQUAL(seen[i], 1);
    smx__runner_free(r);
    rm_rf(dir);
    free(dir);
}

static void test_stderr_tail(void)
{
    smx__runner *r = make_runner(1, SMX__LOG_NONE, 1, NULL);
    res x;
    if (sh_run(r, "i=0; while [ $i -lt 200 ]; do echo \"line $i\" >&2; i=$((i+1)); done; exit 1",
               &x, 10) == 0) {
        char full[4096];
        size_t len = 0;
        for (int i = 0; i < 200; i++)
            len += (size_t)snprintf(full + len, sizeof full - len, "line %d\n", i);
        CU_ASSERT(len > SMX__TAIL_MAX);
        CU_ASSERT_EQUAL(strlen(x.r.stderr_tail), SMX__TAIL_MAX - 1);
        CU_ASSERT_STRING_EQUAL(x.r.stderr_tail, full + len - (SMX__TAIL_MAX - 1));
        CU_ASSERT_EQUAL(x.r.exit_code, 1);
    }
    /* NULs and invalid UTF-8 become '?'; valid multibyte characters survive. */
    if (sh_run(r, "printf 'a\\000b\\377c\\303\\251d' >&2", &x, 10) == 0)
        CU_ASSERT_STRING_EQUAL(x.r.stderr_tail, "a?b?c\xc3\xa9"
                                                "d");
    /* A tail that starts inside a two-byte character drops the fragment. */
    if (sh_run(r, "i=0; while [ $i -lt 600 ]; do printf '\\303\\251' >&2; i=$((i+1)); done", &x,
               10) == 0) {
        CU_ASSERT_EQUAL(strlen(x.r.stderr_tail), 510);
        CU_ASSERT_EQUAL((unsigned char)x.r.stderr_tail[0], 0xc3);
    }
    if (sh_run(r, "true", &x, 10) == 0)
        CU_ASSERT_STRING_EQUAL(x.r.stderr_tail, "");
    smx__runner_free(r);
}

static void test_log_none(void)
{
    char *dir;
    smx__runner *r = make_runner(1, SMX__LOG_NONE, 1, &dir);
    res x;
    /* stdout is discarded at the source (a write to it still succeeds); stderr keeps its tail. */
    if (sh_run(r, "echo to-stdout || exit 5; echo to-stderr >&2; exit 2", &x, 10) == 0) {
        CU_ASSERT_EQUAL(x.r.exit_code, 2);
        CU_ASSERT_STRING_EQUAL(x.r.stderr_tail, "to-stderr\n");
    }
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/.scratch/rank-00003-slot-00.out", dir);
    CU_ASSERT_NOT_EQUAL(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/rank-00003.log", dir);
    CU_ASSERT_NOT_EQUAL(access(p, F_OK), 0);
    smx__runner_free(r);
    rm_rf(dir);
    free(dir);
}

/* Checks that the rank log's index has a line for (INDEX, STREAM) pointing at EXPECT. */
static void check_idx(const char *dir, uint64_t index, const char *stream, const char *expect)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/rank-00003.idx", dir);
    char *idx = smx_test_read_file(p, NULL);
    snprintf(p, sizeof p, "%s/rank-00003.log", dir);
    size_t loglen = 0;
    char *log = smx_test_read_file(p, &loglen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(idx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    int found = 0;
    for (char *line = strtok(idx, "\n"); line; line = strtok(NULL, "\n")) {
        uint64_t i;
        int a;
        char st[16];
        long long off, len;
        if (sscanf(line, "%" SCNu64 " %d %15s %lld %lld", &i, &a, st, &off, &len) != 5)
            continue;
        if (i != index || strcmp(st, stream) != 0)
            continue;
        found = 1;
        CU_ASSERT_EQUAL(len, (long long)strlen(expect));
        CU_ASSERT((size_t)(off + len) <= loglen);
        if ((size_t)(off + len) <= loglen)
            CU_ASSERT_EQUAL(memcmp(log + off, expect, strlen(expect)), 0);
    }
    CU_ASSERT(found);
    free(idx);
    free(log);
}

static void test_log_per_rank(void)
{
    char *dir;
    smx__runner *r = make_runner(2, SMX__LOG_PER_RANK, 1, &dir);
    char *a1[] = {"/bin/sh", "-c", "printf 'out one\\n'; printf 'err one' >&2", NULL};
    char *a2[] = {"/bin/sh", "-c", "printf 'second\\nstdout'", NULL};
    smx__task t1 = {.index = 11, .attempt = 1, .argv = a1};
    smx__task t2 = {.index = 12, .attempt = 3, .argv = a2};
    res x[2];
    CU_ASSERT_EQUAL(smx__runner_start(r, &t1), 0);
    CU_ASSERT_EQUAL(smx__runner_start(r, &t2), 0);
    CU_ASSERT_EQUAL(collect(r, x, 2, 10), 2);
    check_idx(dir, 11, "stdout", "out one\n");
    check_idx(dir, 11, "stderr", "err one");
    check_idx(dir, 12, "stdout", "second\nstdout");
    /* The header names the attempt, and no record exists for the empty stderr of task 12. */
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/rank-00003.log", dir);
    char *log = smx_test_read_file(p, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "==> index=12 attempt=3 stream=stdout bytes=13 <==\n"
                                       "second\nstdout\n"));
    CU_ASSERT_PTR_NULL(strstr(log, "index=12 attempt=3 stream=stderr"));
    free(log);
    smx__runner_free(r);
    rm_rf(dir);
    free(dir);
}

static void test_log_per_task(void)
{
    char *dir;
    smx__runner *r = make_runner(1, SMX__LOG_PER_TASK, 1, &dir);
    res x;
    char *a1[] = {"/bin/sh", "-c", "echo hello; echo oops >&2", NULL};
    smx__task t = {.index = 42, .attempt = 2, .argv = a1};
    CU_ASSERT_EQUAL(run1(r, &t, &x, 10), 0);
    char *a2[] = {"/bin/sh", "-c", "echo again", NULL};
    t.argv = a2;
    t.attempt = 3;
    CU_ASSERT_EQUAL(run1(r, &t, &x, 10), 0);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/task-42-2.out", dir);
    char *s = smx_test_read_file(p, NULL);
    CU_ASSERT_PTR_NOT_NULL(s);
    if (s)
        CU_ASSERT_STRING_EQUAL(s, "hello\n");
    free(s);
    snprintf(p, sizeof p, "%s/task-42-2.err", dir);
    s = smx_test_read_file(p, NULL);
    CU_ASSERT_PTR_NOT_NULL(s);
    if (s)
        CU_ASSERT_STRING_EQUAL(s, "oops\n");
    free(s);
    snprintf(p, sizeof p, "%s/task-42-3.out", dir);
    s = smx_test_read_file(p, NULL);
    CU_ASSERT_PTR_NOT_NULL(s);
    if (s)
        CU_ASSERT_STRING_EQUAL(s, "again\n");
    free(s);
    snprintf(p, sizeof p, "%s/task-42-3.err", dir);
    CU_ASSERT_NOT_EQUAL(access(p, F_OK), 0); /* empty streams leave no file */
    smx__runner_free(r);
    rm_rf(dir);
    free(dir);
}

static void test_huge_output(void)
{
    char *dir;
    smx__runner *r = make_runner(1, SMX__LOG_PER_RANK, 1, &dir);
    /* First a small record, so the big payload does not start at a trivial offset. */
    res x;
    CU_ASSERT_EQUAL(sh_run(r, "echo small", &x, 10), 0);
    const long long big = 200000000;
    char *argv[] = {"/bin/sh", "-c", "yes abcdefghij | head -c 200000000", NULL};
    smx__task t = {.index = 2, .attempt = 1, .argv = argv, .timeout = 60};
    if (run1(r, &t, &x, 90) == 0) {
        CU_ASSERT_EQUAL(x.r.exit_code, 0);
        CU_ASSERT_EQUAL(x.r.timed_out, 0);
    }
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/rank-00003.idx", dir);
    char *idx = smx_test_read_file(p, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(idx);
    long long off = -1, len = -1;
    for (char *line = strtok(idx, "\n"); line; line = strtok(NULL, "\n")) {
        uint64_t i;
        int a;
        char st[16];
        long long o, l;
        if (sscanf(line, "%" SCNu64 " %d %15s %lld %lld", &i, &a, st, &o, &l) == 5 && i == 2 &&
            strcmp(st, "stdout") == 0) {
            off = o;
            len = l;
        }
    }
    free(idx);
    CU_ASSERT_EQUAL(len, big);
    snprintf(p, sizeof p, "%s/rank-00003.log", dir);
    int fd = open(p, O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    struct stat st;
    fstat(fd, &st);
    CU_ASSERT_EQUAL(st.st_size, off + len + 1); /* payload plus the added newline */
    char hdr[64], head[11], tail[4];
    const char *h = "bytes=200000000 <==\n";
    CU_ASSERT_EQUAL(pread(fd, hdr, strlen(h), off - (off_t)strlen(h)), (ssize_t)strlen(h));
    CU_ASSERT_EQUAL(memcmp(hdr, h, strlen(h)), 0);
    CU_ASSERT_EQUAL(pread(fd, head, 11, off), 11);
    CU_ASSERT_EQUAL(memcmp(head, "abcdefghij\n", 11), 0);
    /* 200000000 = 11 * 18181818 + 2: the payload ends with "ab", then the added newline. */
    CU_ASSERT_EQUAL(pread(fd, tail, 4, off + len - 3), 4);
    CU_ASSERT_EQUAL(memcmp(tail, "\nab\n", 4), 0);
    close(fd);
    smx__runner_free(r);
    rm_rf(dir);
    free(dir);
}

static int count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            n++;
    return n;
}

static void test_no_fd_leak(void)
{
    int before = count_fds();
    char *dir;
    smx__runner *r = make_runner(3, SMX__LOG_PER_TASK, 0.2, &dir);
    res x;
    CU_ASSERT_EQUAL(sh_run(r, "echo a; echo b >&2", &x, 10), 0);
    CU_ASSERT_EQUAL(sh_run(r, "sleep 100 & exit 0", &x, 10), 0); /* leaves a leftover */
    /* A descriptor the embedding program forgot to mark close-on-exec does not reach tasks:
     * they see exactly stdin, stdout and stderr (plus the one ls itself opens). */
    int forgot = open("/dev/null", O_RDONLY);
    CU_ASSERT(forgot > 2);
    CU_ASSERT_EQUAL(sh_run(r, "[ $(ls /proc/self/fd | wc -l) -le 4 ]", &x, 10), 0);
    CU_ASSERT_EQUAL(x.r.exit_code, 0);
    close(forgot);
    char *argv[] = {"sleep", "30", NULL};
    smx__task t = {.argv = argv};
    CU_ASSERT_EQUAL(smx__runner_start(r, &t), 0); /* still running at free */
    smx__runner_free(r);
    CU_ASSERT_EQUAL(count_fds(), before);
    rm_rf(dir);
    free(dir);
}

static void test_create_errors(void)
{
    smx__runner *r = NULL;
    smx__runner_opts o = {.slots = 0, .log_dir = "/tmp"};
    CU_ASSERT_EQUAL(smx__runner_create(&r, &o), SMX_EUSAGE);
    CU_ASSERT_PTR_NULL(r);
    o.slots = 1;
    o.log_dir = NULL;
    CU_ASSERT_EQUAL(smx__runner_create(&r, &o), SMX_EUSAGE);
    o.log_dir = "/proc/smx-cannot-create/here";
    CU_ASSERT_EQUAL(smx__runner_create(&r, &o), SMX_EIO);
    CU_ASSERT_PTR_NULL(r);
    smx__runner_free(NULL);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("runner", NULL, NULL);
    CU_add_test(s, "exit codes", test_exit_codes);
    CU_add_test(s, "could not start", test_not_started);
    CU_add_test(s, "killed by signal", test_signals);
    CU_add_test(s, "timeout", test_timeout);
    CU_add_test(s, "timeout of a stopped task", test_timeout_stopped_task);
    CU_add_test(s, "timeout, SIGKILL after grace", test_timeout_sigkill_after_grace);
    CU_add_test(s, "wait is bounded", test_wait_bounded);
    CU_add_test(s, "kill_all", test_kill_all);
    CU_add_test(s, "results", test_results);
    CU_add_test(s, "environment", test_env);
    CU_add_test(s, "workdir and stdin", test_workdir_and_stdin);
    CU_add_test(s, "relative log directory", test_relative_log_dir);
    CU_add_test(s, "signal state reset", test_signal_state_reset);
    CU_add_test(s, "background child", test_background_child);
    CU_add_test(s, "concurrent slots", test_concurrent_slots);
    CU_add_test(s, "stderr tail", test_stderr_tail);
    CU_add_test(s, "no log", test_log_none);
    CU_add_test(s, "per-rank log", test_log_per_rank);
    CU_add_test(s, "per-task log", test_log_per_task);
    CU_add_test(s, "huge output", test_huge_output);
    CU_add_test(s, "no descriptor leaks", test_no_fd_leak);
    CU_add_test(s, "create errors", test_create_errors);
    return smx_test_run();
}
