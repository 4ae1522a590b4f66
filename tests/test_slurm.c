/*
 * Unit tests of src/slurm.c: the job as the environment describes it, end-time parsing, the squeue
 * fallback (a stand-in squeue script named by SMX_SQUEUE, including one that hangs) and the
 * world-size check. The environment is set in-process.
 */
#include <CUnit/CUnit.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "exec/slurm.h"
#include "testutil.h"

static const char *slurm_vars[] = {
    "SLURM_JOB_ID",         "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_NTASKS",
    "SLURM_STEP_NUM_TASKS", "SLURM_JOB_END_TIME", "SMX_SQUEUE",          NULL};

static void clear_env(void)
{
    for (int i = 0; slurm_vars[i]; i++)
        unsetenv(slurm_vars[i]);
}

static double now_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every file the tests create lives in one directory, removed when the suite ends. */
static char *tmp_root;
static char *tmp_files[16];
static int ntmp_files;

static char *tmp_path(const char *name)
{
    size_t n = strlen(tmp_root) + strlen(name) + 2;
    char *path = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(path);
    snprintf(path, n, "%s/%s", tmp_root, name);
    if (ntmp_files < (int)(sizeof tmp_files / sizeof tmp_files[0]))
        tmp_files[ntmp_files++] = strdup(path);
    return path;
}

static int suite_init(void)
{
    tmp_root = smx_test_tmpdir("ut-slurm");
    return tmp_root ? 0 : 1;
}

static int suite_clean(void)
{
    for (int i = 0; i < ntmp_files; i++) {
        unlink(tmp_files[i]);
        free(tmp_files[i]);
    }
    if (tmp_root)
        rmdir(tmp_root);
    free(tmp_root);
    return 0;
}

/* Writes an executable shell script BODY named TAG-squeue; returns its malloc'd path. */
static char *fake_squeue(const char *tag, const char *body)
{
    char name[64];
    snprintf(name, sizeof name, "%s-squeue", tag);
    char *path = tmp_path(name);
    char text[1024];
    snprintf(text, sizeof text, "#!/bin/sh\n%s\n", body);
    CU_ASSERT_EQUAL_FATAL(smx_test_write_file(path, text), 0);
    CU_ASSERT_EQUAL_FATAL(chmod(path, 0755), 0);
    return path;
}

static void test_parse_end_time(void)
{
    double t = -1;
    setenv("TZ", "UTC", 1);
    tzset();
    CU_ASSERT_EQUAL(smx__slurm_parse_end_time("1700000000", &t), 0);
    CU_ASSERT_DOUBLE_EQUAL(t, 1700000000.0, 0.5);
    CU_ASSERT_EQUAL(smx__slurm_parse_end_time("  1700000000\n", &t), 0);
    CU_ASSERT_DOUBLE_EQUAL(t, 1700000000.0, 0.5);
    CU_ASSERT_EQUAL(smx__slurm_parse_end_time("2024-01-02T03:04:05", &t), 0);
    CU_ASSERT_DOUBLE_EQUAL(t, 1704164645.0, 0.5);
    CU_ASSERT_EQUAL(smx__slurm_parse_end_time("2024-01-02T03:04:05\n", &t), 0);
    CU_ASSERT_DOUBLE_EQUAL(t, 1704164645.0, 0.5);

    /* squeue prints local time: the same text means another instant in another zone. */
    setenv("TZ", "UTC-2", 1); /* POSIX sign: two hours east of UTC. */
    tzset();
    CU_ASSERT_EQUAL(smx__slurm_parse_end_time("2024-01-02T03:04:05", &t), 0);
    CU_ASSERT_DOUBLE_EQUAL(t, 1704164645.0 - 7200.0, 0.5);
    setenv("TZ", "UTC", 1);
    tzset();

    const char *bad[] = {"N/A",
                         "Unknown",
                         "NONE",
                         "",
                         "   ",
                         "0",
                         "-5",
                         "12abc",
                         "2024-13-01T00:00:00",
                         "2024-01-02T03:04:05x",
                         "2024-01-02 03:04:05",
                         "2024-01-02T25:00:00",
                         "tomorrow",
                         NULL};
    for (int i = 0; bad[i]; i++) {
        t = -1;
        CU_ASSERT_EQUAL(smx__slurm_parse_end_time(bad[i], &t), SMX_EINPUT);
        CU_ASSERT_EQUAL(t, 0.0);
        CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "end time"));
    }
    CU_ASSERT_EQUAL(smx__slurm_parse_end_time(NULL, &t), SMX_EINPUT);
    CU_ASSERT_EQUAL(smx__slurm_parse_end_time("1", NULL), SMX_EUSAGE);
    unsetenv("TZ");
    tzset();
}

static void test_detect_outside_job(void)
{
    clear_env();
    /* A stale end time without a job id does not make a job. */
    setenv("SLURM_JOB_END_TIME", "1700000000", 1);
    setenv("SLURM_NTASKS", "4", 1);
    smx__slurm s;
    memset(&s, 0x5a, sizeof s);
    CU_ASSERT_EQUAL(smx__slurm_detect(&s), 0);
    CU_ASSERT_EQUAL(s.in_job, 0);
    CU_ASSERT_STRING_EQUAL(s.job_id, "");
    CU_ASSERT_EQUAL(s.ntasks, -1);
    CU_ASSERT_EQUAL(s.step_ntasks, -1);
    CU_ASSERT_EQUAL(s.end_time, 0.0);
    CU_ASSERT_EQUAL(smx__slurm_detect(NULL), SMX_EUSAGE);
    clear_env();
}

static void test_detect_job_env(void)
{
    clear_env();
    setenv("SLURM_JOB_ID", "4242", 1);
    setenv("SLURM_NTASKS", "8", 1);
    setenv("SLURM_STEP_NUM_TASKS", "8", 1);
    setenv("SLURM_JOB_END_TIME", "1700000123", 1);
    /* The end time from the environment must win: a squeue that would answer is never asked. */
    char *sq = fake_squeue("slurm-never", "echo 2000-01-01T00:00:00");
    setenv("SMX_SQUEUE", sq, 1);
    smx__slurm s;
    CU_ASSERT_EQUAL(smx__slurm_detect(&s), 0);
    CU_ASSERT_EQUAL(s.in_job, 1);
    CU_ASSERT_STRING_EQUAL(s.job_id, "4242");
    CU_ASSERT_EQUAL(s.ntasks, 8);
    CU_ASSERT_EQUAL(s.step_ntasks, 8);
    CU_ASSERT_DOUBLE_EQUAL(s.end_time, 1700000123.0, 0.5);

    /* Garbage counts are unknown, not errors. */
    setenv("SLURM_NTASKS", "8x", 1);
    unsetenv("SLURM_STEP_NUM_TASKS");
    CU_ASSERT_EQUAL(smx__slurm_detect(&s), 0);
    CU_ASSERT_EQUAL(s.ntasks, -1);
    CU_ASSERT_EQUAL(s.step_ntasks, -1);
    free(sq);
    clear_env();
}

static void test_detect_array(void)
{
    clear_env();
    setenv("SLURM_JOB_ID", "1007", 1);
    setenv("SLURM_ARRAY_JOB_ID", "1000", 1);
    setenv("SLURM_ARRAY_TASK_ID", "7", 1);
    setenv("SLURM_JOB_END_TIME", "1700000000", 1);
    smx__slurm s;
    CU_ASSERT_EQUAL(smx__slurm_detect(&s), 0);
    CU_ASSERT_STRING_EQUAL(s.job_id, "1000_7");
    clear_env();
}

static void test_detect_squeue(void)
{
    clear_env();
    setenv("TZ", "UTC", 1);
    tzset();
    char *args_path = tmp_path("args");
    char body[512];
    /* Records its argv so the test can check what detect asked for. */
    snprintf(body, sizeof body, "printf '%%s\\n' \"$@\" > '%s'\necho 2024-01-02T03:04:05",
             args_path);
    char *sq = fake_squeue("slurm-sq", body);
    setenv("SMX_SQUEUE", sq, 1);
    setenv("SLURM_JOB_ID", "77", 1);
    setenv("SLURM_ARRAY_JOB_ID", "70", 1);
    setenv("SLURM_ARRAY_TASK_ID", "3", 1);
    smx_error_clear();
    smx__slurm s;
    CU_ASSERT_EQUAL(smx__slurm_detect(&s), 0);
    CU_ASSERT_DOUBLE_EQUAL(s.end_time, 1704164645.0, 0.5);
    CU_ASSERT_STRING_EQUAL(s.job_id, "70_3");
    CU_ASSERT_EQUAL(smx_error_last_code(), SMX_OK);

    FILE *f = fopen(args_path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char args[256] = "";
    size_t n = fread(args, 1, sizeof args - 1, f);
    args[n] = '\0';
    fclose(f);
    /* The numeric job id, which squeue accepts for array tasks too. */
    CU_ASSERT_STRING_EQUAL(args, "-h\n-j\n77\n-o\n%e\n");

    /* squeue that cannot answer: the end time stays unknown, detection still succeeds. */
    free(sq);
    sq = fake_squeue("slurm-na", "echo N/A");
    setenv("SMX_SQUEUE", sq, 1);
    CU_ASSERT_EQUAL(smx__slurm_detect(&s), 0);
    CU_ASSERT_EQUAL(s.end_time, 0.0);
    free(sq);
    sq = fake_squeue("slurm-fail", "echo 'slurm_load_jobs error: Invalid job id' >&2; exit 1");
    setenv("SMX_SQUEUE", sq, 1);
    CU_ASSERT_EQUAL(smx__slurm_detect(&s), 0);
    CU_ASSERT_EQUAL(s.end_time, 0.0);
    setenv("SMX_SQUEUE", "/nonexistent/squeue", 1);
    CU_ASSERT_EQUAL(smx__slurm_detect(&s), 0);
    CU_ASSERT_EQUAL(s.end_time, 0.0);
    CU_ASSERT_EQUAL(s.in_job, 1);
    CU_ASSERT_EQUAL(smx_error_last_code(), SMX_OK);
    free(sq);
    free(args_path);
    unsetenv("TZ");
    tzset();
    clear_env();
}

/* smx__slurm_job_ended: what squeue says about a lock holder's job, and what it is asked. */
static void test_job_ended(void)
{
    clear_env();
    static const struct {
        const char *body;
        int want;
    } cases[] = {
        {"echo COMPLETED", 1},
        {"echo CANCELLED", 1},
        {"echo TIMEOUT", 1},
        {"echo NODE_FAIL", 1},
        {"echo RUNNING", 0},
        {"echo PENDING", 0},
        {"echo COMPLETING", 0}, /* its processes may still run */
        {"echo SUSPENDED", 0},
        {"echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1", 1},
        {"echo 'slurm_load_jobs error: Unable to contact slurm controller' >&2; exit 1", -1},
        {"exit 0", -1}, /* no line: filtered out or unknown */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "ended%zu", i);
        char *sq = fake_squeue(tag, cases[i].body);
        setenv("SMX_SQUEUE", sq, 1);
        int got = smx__slurm_job_ended("4711");
        if (got != cases[i].want)
            fprintf(stderr, "\n  squeue '%s': got %d, want %d\n", cases[i].body, got,
                    cases[i].want);
        CU_ASSERT_EQUAL(got, cases[i].want);
        free(sq);
    }
    /* What it asks: the job's state only, for the id as recorded (array tasks as ARRAY_TASK). */
    char *args_path = tmp_path("ended-args");
    char body[512];
    snprintf(body, sizeof body, "printf '%%s\\n' \"$@\" > '%s'\necho RUNNING", args_path);
    char *sq = fake_squeue("ended-args", body);
    setenv("SMX_SQUEUE", sq, 1);
    CU_ASSERT_EQUAL(smx__slurm_job_ended("70_3"), 0);
    FILE *f = fopen(args_path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char args[256] = "";
    size_t n = fread(args, 1, sizeof args - 1, f);
    args[n] = '\0';
    fclose(f);
    CU_ASSERT_STRING_EQUAL(args, "-h\n-j\n70_3\n-o\n%T\n-t\nall\n");
    /* Not a job id: squeue is never run. */
    unlink(args_path);
    CU_ASSERT_EQUAL(smx__slurm_job_ended("none"), -1);
    CU_ASSERT_EQUAL(smx__slurm_job_ended(""), -1);
    CU_ASSERT_EQUAL(smx__slurm_job_ended("1;rm -rf /"), -1);
    CU_ASSERT_EQUAL(access(args_path, F_OK), -1);
    /* No squeue at all. */
    setenv("SMX_SQUEUE", "/nonexistent/squeue", 1);
    CU_ASSERT_EQUAL(smx__slurm_job_ended("4711"), -1);
    free(sq);
    free(args_path);
    clear_env();
}

static void test_detect_squeue_hangs(void)
{
    clear_env();
    /* A hung slurmctld makes squeue block: detection must give up after its bounded wait. The
       script also holds its output open through a grandchild, which must not extend the wait. */
    char *sq = fake_squeue("slurm-hang", "sleep 20 & sleep 20");
    setenv("SMX_SQUEUE", sq, 1);
    setenv("SLURM_JOB_ID", "5", 1);
    smx__slurm s;
    double t0 = now_monotonic();
    CU_ASSERT_EQUAL(smx__slurm_detect(&s), 0);
    double took = now_monotonic() - t0;
    CU_ASSERT(took >= SMX__SLURM_SQUEUE_TIMEOUT - 0.5);
    CU_ASSERT(took < SMX__SLURM_SQUEUE_TIMEOUT + 2.0);
    CU_ASSERT_EQUAL(s.end_time, 0.0);
    CU_ASSERT_EQUAL(s.in_job, 1);
    free(sq);
    clear_env();
}

static void test_check_size(void)
{
    smx__slurm s;
    memset(&s, 0, sizeof s);
    s.ntasks = -1;
    s.step_ntasks = -1;
    /* Not in a job, or not started by srun: any size is fine. */
    CU_ASSERT_EQUAL(smx__slurm_check_size(&s, 1), 0);
    CU_ASSERT_EQUAL(smx__slurm_check_size(NULL, 3), 0);
    s.in_job = 1;
    s.ntasks = 4;
    CU_ASSERT_EQUAL(smx__slurm_check_size(&s, 1), 0); /* mpirun inside the batch script */
    CU_ASSERT_EQUAL(smx__slurm_check_size(&s, 4), 0);

    s.step_ntasks = 4;
    CU_ASSERT_EQUAL(smx__slurm_check_size(&s, 4), 0);
    /* mpirun inside a one-task srun step, or orted daemons started by srun: larger is fine. */
    s.step_ntasks = 1;
    CU_ASSERT_EQUAL(smx__slurm_check_size(&s, 4), 0);

    /* srun without PMI: every task believes it is a whole one-rank world. */
    s.step_ntasks = 4;
    smx_error_clear();
    CU_ASSERT_EQUAL(smx__slurm_check_size(&s, 1), SMX_EINPUT);
    /* The plugin this build's MPI needs: PMI-2 for MPICH, PMIx for Open MPI. */
#ifdef MPICH_VERSION
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "--mpi=pmi2"));
#else
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "--mpi=pmix"));
#endif
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "4 tasks"));
    CU_ASSERT_EQUAL(smx__slurm_check_size(&s, 2), SMX_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "2 ranks"));
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite suite = CU_add_suite("slurm", suite_init, suite_clean);
    if (!suite || !CU_add_test(suite, "parse end time", test_parse_end_time) ||
        !CU_add_test(suite, "detect outside a job", test_detect_outside_job) ||
        !CU_add_test(suite, "detect from the environment", test_detect_job_env) ||
        !CU_add_test(suite, "detect an array task", test_detect_array) ||
        !CU_add_test(suite, "end time from squeue", test_detect_squeue) ||
        !CU_add_test(suite, "squeue that hangs", test_detect_squeue_hangs) ||
        !CU_add_test(suite, "has a lock holder's job ended", test_job_ended) ||
        !CU_add_test(suite, "world size against srun", test_check_size)) {
        CU_cleanup_registry();
        return 1;
    }
    return smx_test_run();
}
