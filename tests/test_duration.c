/* Unit tests for the one duration grammar (core/duration.h) that the spec and the CLI share. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/duration.h"
#include "testutil.h"

static void expect(const char *text, double want)
{
    double got = -1;
    smx__duration_err err = smx__duration_parse(text, &got);
    if (err != SMX__DURATION_OK || fabs(got - want) > 1e-9)
        fprintf(stderr, "\n'%s': error %d, %g seconds (want %g)\n", text, (int)err, got, want);
    CU_ASSERT_EQUAL(err, SMX__DURATION_OK);
    CU_ASSERT_DOUBLE_EQUAL(got, want, 1e-9);
}

static void refuse(const char *text, smx__duration_err want)
{
    double got = 12345;
    smx__duration_err err = smx__duration_parse(text, &got);
    if (err != want)
        fprintf(stderr, "\n'%s': error %d (want %d)\n", text, (int)err, (int)want);
    CU_ASSERT_EQUAL(err, want);
    CU_ASSERT_DOUBLE_EQUAL(got, 12345, 0); /* untouched on failure */
}

static void test_accepted(void)
{
    expect("0", 0);
    expect("90", 90);
    expect("1.5", 1.5);
    expect(".5", 0.5);
    expect("90s", 90);
    expect("10m", 600);
    expect("2h", 7200);
    expect("1d", 86400);
    expect("1h30m", 5400);
    expect("2d12h", 216000);
    expect("1d2h3m4s", 86400 + 7200 + 180 + 4);
    expect("1.5h", 5400);
    expect("0.25m", 15);
    expect("1h0.5m", 3630);
    expect("5.s", 5);
}

static void test_refused(void)
{
    refuse("", SMX__DURATION_EMPTY);
    refuse("soon", SMX__DURATION_SYNTAX);
    refuse("-5", SMX__DURATION_SYNTAX);
    refuse("+5", SMX__DURATION_SYNTAX);
    refuse(" 5", SMX__DURATION_SYNTAX);
    refuse("h", SMX__DURATION_SYNTAX);
    refuse(".", SMX__DURATION_SYNTAX);
    refuse("1hm", SMX__DURATION_SYNTAX);
    refuse("0x10", SMX__DURATION_UNIT); /* no hexadecimal, though strtod would take it */
    refuse("1e3", SMX__DURATION_UNIT);  /* no exponent */
    refuse("inf", SMX__DURATION_SYNTAX);
    refuse("10x", SMX__DURATION_UNIT);
    refuse("10 m", SMX__DURATION_UNIT);
    refuse("5s ", SMX__DURATION_SYNTAX);
    refuse("10M", SMX__DURATION_UNIT);
    refuse("1h30", SMX__DURATION_NO_UNIT);
    /* The case that used to differ: the CLI took 30m1h, the spec refused it. Both refuse now. */
    refuse("30m1h", SMX__DURATION_ORDER);
    refuse("30m2h", SMX__DURATION_ORDER);
    refuse("1h1h", SMX__DURATION_ORDER);
    refuse("1s1m", SMX__DURATION_ORDER);
}

static void test_range(void)
{
    char big[400];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = '9';
    big[sizeof big - 1] = '\0';
    refuse(big, SMX__DURATION_RANGE);
    expect("100000000d", 8.64e12);
}

static void test_problems(void)
{
    /* Every refusal has its own phrase, used verbatim by the spec's and the CLI's messages. */
    const char *seen[8] = {0};
    for (int e = SMX__DURATION_EMPTY; e <= SMX__DURATION_RANGE; e++) {
        seen[e] = smx__duration_problem((smx__duration_err)e);
        CU_ASSERT_PTR_NOT_NULL(seen[e]);
        for (int f = SMX__DURATION_EMPTY; f < e; f++)
            CU_ASSERT_STRING_NOT_EQUAL(seen[e], seen[f]);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(smx__duration_problem(SMX__DURATION_UNIT), "unknown unit"));
    CU_ASSERT_PTR_NOT_NULL(strstr(smx__duration_problem(SMX__DURATION_ORDER), "misorders"));
}

int main(void)
{
    CU_initialize_registry();
    CU_pSuite suite = CU_add_suite("duration", NULL, NULL);
    CU_add_test(suite, "accepted forms", test_accepted);
    CU_add_test(suite, "refused forms and why", test_refused);
    CU_add_test(suite, "too large", test_range);
    CU_add_test(suite, "messages", test_problems);
    return smx_test_run();
}
