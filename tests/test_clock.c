/* Unit tests for the two clocks: the monotonic one measures intervals, the wall one tells the time.
 */
#include <CUnit/CUnit.h>
#include <sys/time.h>
#include <time.h>

#include "core/clock.h"
#include "testutil.h"

static void test_mono_measures_a_sleep(void)
{
    double t0 = smx__clock_mono();
    struct timespec nap = {0, 50 * 1000 * 1000};
    nanosleep(&nap, NULL);
    double t1 = smx__clock_mono();
    /* At least the sleep; the upper bound is generous because the test machine may be loaded. */
    CU_ASSERT(t1 - t0 >= 0.049);
    CU_ASSERT(t1 - t0 < 30.0);
    double prev = t1;
    for (int i = 0; i < 1000; i++) {
        double t = smx__clock_mono();
        CU_ASSERT_FATAL(t >= prev);
        prev = t;
    }
}

static void test_wall_is_unix_time(void)
{
    /* Bounds from gettimeofday, not time(): glibc's time() reads the coarse clock, which may still
     * show the previous second a few milliseconds after CLOCK_REALTIME has passed it (this made
     * the test fail on a CI machine). gettimeofday truncates to microseconds, hence the 1 us. */
    struct timeval before, after;
    gettimeofday(&before, NULL);
    double w = smx__clock_wall();
    gettimeofday(&after, NULL);
    CU_ASSERT(w >= (double)before.tv_sec + (double)before.tv_usec * 1e-6 - 1e-6);
    CU_ASSERT(w <= (double)after.tv_sec + (double)after.tv_usec * 1e-6 + 1e-6);
    /* Sub-second resolution: two readings a few ms apart differ. */
    struct timespec nap = {0, 5 * 1000 * 1000};
    nanosleep(&nap, NULL);
    CU_ASSERT(smx__clock_wall() > w);
}

int main(void)
{
    CU_initialize_registry();
    CU_pSuite suite = CU_add_suite("clock", NULL, NULL);
    CU_add_test(suite, "monotonic clock measures a sleep", test_mono_measures_a_sleep);
    CU_add_test(suite, "wall clock is unix time", test_wall_is_unix_time);
    return smx_test_run();
}
