/* Unit tests for element state names: the state file, status, export and requeue share them. */
#include <CUnit/CUnit.h>

#include "core/status.h"
#include "testutil.h"

static void test_names_and_parse(void)
{
    CU_ASSERT_STRING_EQUAL(smx__status_name(SMX_STATUS_PENDING), "pending");
    CU_ASSERT_STRING_EQUAL(smx__status_name(SMX_STATUS_RUNNING), "running");
    CU_ASSERT_STRING_EQUAL(smx__status_name(SMX_STATUS_DONE), "done");
    CU_ASSERT_STRING_EQUAL(smx__status_name(SMX_STATUS_FAILED), "failed");
    CU_ASSERT_STRING_EQUAL(smx__status_name(4), "unknown");
    CU_ASSERT_STRING_EQUAL(smx__status_name(-1), "unknown");
    for (int s = 0; s < SMX__STATUS_COUNT; s++)
        CU_ASSERT_EQUAL(smx__status_parse(smx__status_name(s)), s);
    CU_ASSERT_EQUAL(smx__status_parse("Done"), -1);
    CU_ASSERT_EQUAL(smx__status_parse("unknown"), -1);
    CU_ASSERT_EQUAL(smx__status_parse(""), -1);
    CU_ASSERT_EQUAL(smx__status_parse(NULL), -1);
}

static void test_final(void)
{
    CU_ASSERT(!smx__status_is_final(SMX_STATUS_PENDING));
    CU_ASSERT(!smx__status_is_final(SMX_STATUS_RUNNING));
    CU_ASSERT(smx__status_is_final(SMX_STATUS_DONE));
    CU_ASSERT(smx__status_is_final(SMX_STATUS_FAILED));
    CU_ASSERT(!smx__status_is_final(7));
}

int main(void)
{
    CU_initialize_registry();
    CU_pSuite suite = CU_add_suite("status", NULL, NULL);
    CU_add_test(suite, "names and parsing", test_names_and_parse);
    CU_add_test(suite, "final states", test_final);
    return smx_test_run();
}
