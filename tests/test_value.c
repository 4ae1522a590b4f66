/* Unit tests for value formatting: doubles round-trip bit for bit and still read as floats. */
#include <CUnit/CUnit.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "testutil.h"
#include "core/value.h"

static void check_roundtrip(double d)
{
    smx_value v = {.type = SMX_VALUE_FLOAT, .u.f = d};
    char buf[64];
    int n = smx__value_format(&v, buf, sizeof buf);
    CU_ASSERT(n > 0 && (size_t)n < sizeof buf);
    double back = strtod(buf, NULL);
    int same = memcmp(&back, &d, sizeof d) == 0;
    if (!same)
        fprintf(stderr, "\n%.17g printed as %s\n", d, buf);
    CU_ASSERT(same);
    /* It must not read as an integer. */
    CU_ASSERT(strpbrk(buf, ".eEni") != NULL);
}

static void test_doubles(void)
{
    const double fixed[] = {0.1,
                            0.2,
                            0.3,
                            1.0 / 3,
                            1e300,
                            -1e300,
                            1e-300,
                            5e-324,
                            2.2250738585072014e-308,
                            2.225073858507201e-308,
                            DBL_MAX,
                            -DBL_MIN,
                            1e15,
                            1e16,
                            1e17,
                            123456789012345678.0,
                            0.0,
                            -0.0,
                            1.0,
                            -2.0,
                            100.0,
                            1e22,
                            9007199254740993.0,
                            0.1 + 0.2,
                            1e-5,
                            3.14159};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check_roundtrip(fixed[i]);
    /* Random bit patterns (a fixed xorshift so a failure reproduces), skipping NaNs. */
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (isnan(d))
            continue;
        check_roundtrip(d);
    }
    /* Subnormals. */
    for (uint64_t m = 1; m < ((uint64_t)1 << 52); m = m * 3 + 1) {
        double d;
        memcpy(&d, &m, sizeof d);
        check_roundtrip(d);
    }
}

static void test_shortest_forms(void)
{
    static const struct {
        double d;
        const char *s;
    } cases[] = {{0.1, "0.1"},      {1.0, "1.0"},
                 {-0.0, "-0.0"},    {1e-05, "1e-05"},
                 {2.5, "2.5"},      {1e300, "1e+300"},
                 {100.0, "100.0"},  {0.30000000000000004, "0.30000000000000004"},
                 {INFINITY, "inf"}, {-INFINITY, "-inf"}};
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        smx_value v = {.type = SMX_VALUE_FLOAT, .u.f = cases[i].d};
        smx__value_format(&v, buf, sizeof buf);
        CU_ASSERT_STRING_EQUAL(buf, cases[i].s);
    }
    smx_value nan = {.type = SMX_VALUE_FLOAT, .u.f = NAN};
    smx__value_format(&nan, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "nan");
}

static void test_other_types(void)
{
    char buf[64];
    smx_value v = {.type = SMX_VALUE_INT, .u.i = INT64_MIN};
    CU_ASSERT_EQUAL(smx__value_format(&v, buf, sizeof buf), 20);
    CU_ASSERT_STRING_EQUAL(buf, "-9223372036854775808");
    v.u.i = 42;
    smx__value_format(&v, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "42");
    smx_value b = {.type = SMX_VALUE_BOOL, .u.b = 1};
    smx__value_format(&b, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "true");
    b.u.b = 0;
    smx__value_format(&b, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "false");
    smx_value s = {.type = SMX_VALUE_STRING, .u.s = "hello world"};
    /* snprintf-like: truncates, returns the length needed. */
    CU_ASSERT_EQUAL(smx__value_format(&s, buf, 6), 11);
    CU_ASSERT_STRING_EQUAL(buf, "hello");

    smx_value f1 = {.type = SMX_VALUE_FLOAT, .u.f = 0.0},
              f2 = {.type = SMX_VALUE_FLOAT, .u.f = -0.0};
    CU_ASSERT_FALSE(smx__value_equal(&f1, &f2)); /* bit for bit */
    smx_value i1 = {.type = SMX_VALUE_INT, .u.i = 0};
    CU_ASSERT_FALSE(smx__value_equal(&f1, &i1));
    CU_ASSERT(smx__value_equal(&f1, &f1));
    smx_value s2 = {.type = SMX_VALUE_STRING, .u.s = "hello world"};
    CU_ASSERT(smx__value_equal(&s, &s2));
}

static void test_sha256(void)
{
    char hex[65];
    smx__sha256_hex("", 0, hex);
    CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    smx__sha256_hex("abc", 3, hex);
    CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    smx__sha256_hex(m, strlen(m), hex);
    CU_ASSERT_STRING_EQUAL(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* One million 'a', fed in uneven pieces to exercise the buffering. */
    char *a = malloc(1000000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    memset(a, 'a', 1000000);
    smx__sha256 c;
    unsigned char d[32];
    smx__sha256_init(&c);
    for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 7 % 1000 + 1)
        smx__sha256_update(&c, a + off, off + step > 1000000 ? 1000000 - off : step);
    smx__sha256_final(&c, d);
    static const unsigned char want[32] = {0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92,
                                           0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
                                           0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e,
                                           0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
    CU_ASSERT_EQUAL(memcmp(d, want, 32), 0);
    /* 55, 56 and 64 bytes: the padding boundaries. */
    smx__sha256_hex(a, 55, hex);
    CU_ASSERT_STRING_EQUAL(hex, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    smx__sha256_hex(a, 56, hex);
    CU_ASSERT_STRING_EQUAL(hex, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    smx__sha256_hex(a, 64, hex);
    CU_ASSERT_STRING_EQUAL(hex, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    free(a);
}

int main(void)
{
    CU_initialize_registry();
    CU_pSuite suite = CU_add_suite("value", NULL, NULL);
    CU_add_test(suite, "doubles round-trip", test_doubles);
    CU_add_test(suite, "shortest forms", test_shortest_forms);
    CU_add_test(suite, "ints, bools, strings, equality", test_other_types);
    CU_add_test(suite, "sha256 known vectors", test_sha256);
    return smx_test_run();
}
