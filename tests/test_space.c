/* Unit tests for the parameter space: counts, mixed-radix decoding, overflow edges, and the
 * determinism and bounds of random sweeps. */
#include <CUnit/CUnit.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "sweepmux/errors.h"
#include "testutil.h"
#include "core/value.h"

static smx_spec *parse(const char *text)
{
    smx_spec *s = NULL;
    if (smx__spec_parse(&s, text, strlen(text), "t.yaml", NULL))
        fprintf(stderr, "\n%s\n", smx_error_last());
    return s;
}

static void test_counts_and_decoding(void)
{
    smx_spec *s = parse("parameters:\n  a: {values: [x, y]}\n  b: {min: 1, max: 3, step: 1}\n"
                        "  c: {values: [true, false]}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(smx__spec_count(s), 12);
    smx_value v[3];
    /* Nested loops in declaration order: c fastest, then b, then a. */
    for (uint64_t i = 0; i < 12; i++) {
        CU_ASSERT_EQUAL(smx__spec_values(s, i, v), 0);
        CU_ASSERT_STRING_EQUAL(v[0].u.s, i < 6 ? "x" : "y");
        CU_ASSERT_EQUAL(v[1].u.i, 1 + (int64_t)(i / 2) % 3);
        CU_ASSERT_EQUAL(v[2].u.b, i % 2 == 0);
    }
    CU_ASSERT_EQUAL(smx__spec_values(s, 12, v), SMX_EINPUT);
    smx__spec_free(s);
}

static void test_zip(void)
{
    smx_spec *s = parse("parameters:\n  lr: {values: [0.1, 0.01, 0.001]}\n  d: {values: [1, 2]}\n"
                        "  w: {values: [10, 20, 30]}\nzip: [[lr, w]]\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(smx__spec_count(s), 6);
    smx_value v[3];
    for (uint64_t i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(smx__spec_values(s, i, v), 0);
        /* The zip axis sits at lr's position; d varies fastest. */
        CU_ASSERT_EQUAL(v[2].u.i, 10 * (int64_t)(i / 2 + 1));
        CU_ASSERT_EQUAL(v[1].u.i, (int64_t)(i % 2) + 1);
    }
    smx__spec_free(s);
}

/* An integer range without step counts in ones and stays integer. */
static void test_int_range_default_step(void)
{
    smx_spec *s = parse("parameters:\n  n: {min: -2, max: 3}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(smx__spec_count(s), 6);
    smx_value v;
    CU_ASSERT_EQUAL(smx__spec_values(s, 5, &v), 0);
    CU_ASSERT_EQUAL(v.type, SMX_VALUE_INT);
    CU_ASSERT_EQUAL(v.u.i, 3);
    smx__spec_free(s);
}

static void test_float_ranges(void)
{
    smx_spec *s = parse("parameters:\n  a: {min: 0.0, max: 1.0, step: 0.1}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(smx__spec_count(s), 11); /* the 1e-9 slack keeps max despite rounding */
    smx_value v;
    CU_ASSERT_EQUAL(smx__spec_values(s, 3, &v), 0);
    CU_ASSERT_EQUAL(v.u.f, 0.0 + 3 * 0.1); /* min + i*step, no accumulation */
    smx__spec_free(s);

    s = parse("parameters:\n  a: {min: 1, max: 3, num: 5}\n  b: {min: 1.0e-5, max: 1.0e-1, num: 5, "
              "scale: log}\n  c: {min: 2, max: 9, num: 1}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(smx__spec_count(s), 25);
    smx_value w[3];
    const double lin[] = {1, 1.5, 2, 2.5, 3}, lg[] = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1};
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(smx__spec_values(s, (uint64_t)i * 5 + (uint64_t)i, w), 0);
        CU_ASSERT_EQUAL(w[0].type, SMX_VALUE_FLOAT);
        CU_ASSERT_DOUBLE_EQUAL(w[0].u.f, lin[i], 1e-15);
        CU_ASSERT_DOUBLE_EQUAL(w[1].u.f / lg[i], 1.0, 1e-14);
        CU_ASSERT_EQUAL(w[2].u.f, 2.0); /* num: 1 gives min */
    }
    CU_ASSERT_EQUAL(smx__spec_values(s, 24, w), 0);
    CU_ASSERT_EQUAL(w[0].u.f, 3.0); /* the end points are exact */
    CU_ASSERT_EQUAL(w[1].u.f, 1.0e-1);
    smx__spec_free(s);
}

static void test_int_range_extremes(void)
{
    smx_spec *s = parse("parameters:\n  a: {min: -9223372036854775808, max: 9223372036854775807, "
                        "step: 4611686018427387904}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(smx__spec_count(s), 4);
    smx_value v;
    CU_ASSERT_EQUAL(smx__spec_values(s, 3, &v), 0);
    CU_ASSERT_EQUAL(v.u.i, 4611686018427387904); /* -2^63 + 3 * 2^62 */
    smx__spec_free(s);
}

static void test_overflow_edges(void)
{
    /* 2 * 2147483647 * 2147483649 = 2^63 - 2: the largest count accepted. */
    smx_spec *s =
        parse("parameters:\n  a: {values: [0, 1]}\n  b: {min: 0, max: 2147483646, step: 1}\n"
              "  c: {min: 0, max: 2147483648, step: 1}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(smx__spec_count(s), (uint64_t)INT64_MAX - 1);
    smx_value v[3];
    CU_ASSERT_EQUAL(smx__spec_values(s, (uint64_t)INT64_MAX - 2, v), 0);
    CU_ASSERT_EQUAL(v[0].u.i, 1);
    CU_ASSERT_EQUAL(v[1].u.i, 2147483646);
    CU_ASSERT_EQUAL(v[2].u.i, 2147483648);
    CU_ASSERT_EQUAL(smx__spec_values(s, (uint64_t)INT64_MAX - 1, v), SMX_EINPUT);
    smx__spec_free(s);

    /* 7 * 7 * 73 * 127 * 337 * 92737 * 649657 = 2^63 - 1: one more, refused at the last axis. */
    s = NULL;
    const char *big =
        "parameters:\n  a: {min: 1, max: 7, step: 1}\n  b: {min: 1, max: 7, step: 1}\n"
        "  c: {min: 1, max: 73, step: 1}\n  d: {min: 1, max: 127, step: 1}\n"
        "  e: {min: 1, max: 337, step: 1}\n  f: {min: 1, max: 92737, step: 1}\n"
        "  g: {min: 1, max: 649657, step: 1}\n";
    CU_ASSERT_EQUAL(smx__spec_parse(&s, big, strlen(big), "t.yaml", NULL), SMX_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "t.yaml:8:3: the grid has more than "
                                                    "9223372036854775806 elements (it overflows "
                                                    "at parameter 'g'"));
    /* A wrapping 64-bit product (2^32 * 2^32) must not look small. */
    const char *wrap = "parameters:\n  a: {min: 1, max: 4294967296, step: 1}\n"
                       "  b: {min: 1, max: 4294967296, step: 1}\n  c: {value: 1}\n";
    CU_ASSERT_EQUAL(smx__spec_parse(&s, wrap, strlen(wrap), "t.yaml", NULL), SMX_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "parameter 'b'"));
    const char *one = "parameters:\n  a: {min: 0, max: 9223372036854775807, step: 1}\n";
    CU_ASSERT_EQUAL(smx__spec_parse(&s, one, strlen(one), "t.yaml", NULL), SMX_EINPUT);
    CU_ASSERT_PTR_NULL(s);
}

static const char *random_spec =
    "method: random\ncount: 1000\nseed: 42\nparameters:\n"
    "  u: {distribution: uniform, min: -2, max: 3.5}\n"
    "  i: {distribution: int_uniform, min: -3, max: 4}\n"
    "  c: {distribution: categorical, values: [a, b, c]}\n"
    "  l: {distribution: log_uniform_values, min: 1.0e-6, max: 1.0e-2}\n"
    "  q: {distribution: q_uniform, min: 0, max: 10, q: 2.5}\n"
    "  n: {distribution: normal, mu: 5, sigma: 0.5}\n"
    "  k: {value: 9}\n"
    "  z: {distribution: log_normal, mu: 0, sigma: 1}\n";

static void test_random_determinism(void)
{
    smx_spec *a = parse(random_spec), *b = parse(random_spec);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(smx__spec_count(a), 1000);
    smx_value va[8], vb[8];
    int seen[8] = {0}, cats[3] = {0};
    double nsum = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        /* Any order of evaluation gives the same values: no state between elements. */
        CU_ASSERT_EQUAL(smx__spec_values(a, i, va), 0);
        CU_ASSERT_EQUAL(smx__spec_values(b, 999 - i, vb), 0);
        CU_ASSERT_EQUAL(smx__spec_values(b, i, vb), 0);
        for (int p = 0; p < 8; p++)
            CU_ASSERT(smx__value_equal(&va[p], &vb[p]));
        CU_ASSERT(va[0].u.f >= -2 && va[0].u.f < 3.5);
        CU_ASSERT(va[1].type == SMX_VALUE_INT && va[1].u.i >= -3 && va[1].u.i <= 4);
        if (va[1].u.i == -3)
            seen[0] = 1;
        if (va[1].u.i == 4)
            seen[1] = 1;
        cats[va[2].u.s[0] - 'a']++;
        CU_ASSERT(va[3].u.f >= 1e-6 && va[3].u.f <= 1e-2);
        if (va[3].u.f < 1e-5)
            seen[2] = 1;
        if (va[3].u.f > 1e-3)
            seen[3] = 1;
        CU_ASSERT(va[4].u.f >= 0 && va[4].u.f <= 10 && fmod(va[4].u.f, 2.5) == 0);
        nsum += va[5].u.f;
        CU_ASSERT_EQUAL(va[6].u.i, 9);
        CU_ASSERT(va[7].u.f > 0);
    }
    CU_ASSERT(seen[0] && seen[1] && seen[2] && seen[3]);
    for (int c = 0; c < 3; c++)
        CU_ASSERT(cats[c] > 250 && cats[c] < 420);
    CU_ASSERT_DOUBLE_EQUAL(nsum / 1000, 5.0, 0.1);
    CU_ASSERT_EQUAL(smx__spec_values(a, 1000, va), SMX_EINPUT);
    smx__spec_free(a);
    smx__spec_free(b);
}

static void test_random_pinned(void)
{
    /* Pinned values for seed 42: a change of generator would silently change resumed sweeps. */
    smx_spec *s = parse(random_spec);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    smx_value v[8];
    char buf[64];
    CU_ASSERT_EQUAL(smx__spec_values(s, 0, v), 0);
    smx__value_format(&v[0], buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "-0.575094698090473");
    CU_ASSERT_EQUAL(v[1].u.i, -3);
    CU_ASSERT_STRING_EQUAL(v[2].u.s, "b");
    CU_ASSERT_EQUAL(smx__spec_values(s, 777, v), 0);
    smx__value_format(&v[0], buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "1.4254046224598262");
    CU_ASSERT_EQUAL(v[1].u.i, 3);
    smx__spec_free(s);

    /* Another seed gives other values; a parameter's stream depends on its name, not on the
     * parameters declared before it. */
    smx_spec *t = parse("method: random\ncount: 5\nseed: 43\nparameters:\n"
                        "  u: {distribution: uniform, min: -2, max: 3.5}\n");
    smx_spec *r = parse("method: random\ncount: 5\nseed: 42\nparameters:\n"
                        "  new: {distribution: uniform, min: 0, max: 1}\n"
                        "  u: {distribution: uniform, min: -2, max: 3.5}\n");
    smx_spec *o = parse(random_spec);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    smx_value x[8], y[2], z[1];
    CU_ASSERT_EQUAL(smx__spec_values(o, 2, x), 0);
    CU_ASSERT_EQUAL(smx__spec_values(r, 2, y), 0);
    CU_ASSERT_EQUAL(smx__spec_values(t, 2, z), 0);
    CU_ASSERT(smx__value_equal(&x[0], &y[1]));
    CU_ASSERT_FALSE(smx__value_equal(&x[0], &z[0]));
    smx__spec_free(t);
    smx__spec_free(r);
    smx__spec_free(o);
}

int main(void)
{
    CU_initialize_registry();
    CU_pSuite suite = CU_add_suite("space", NULL, NULL);
    CU_add_test(suite, "counts and mixed-radix decoding", test_counts_and_decoding);
    CU_add_test(suite, "zip groups", test_zip);
    CU_add_test(suite, "int range default step", test_int_range_default_step);
    CU_add_test(suite, "float ranges", test_float_ranges);
    CU_add_test(suite, "int range extremes", test_int_range_extremes);
    CU_add_test(suite, "overflow edges", test_overflow_edges);
    CU_add_test(suite, "random determinism and bounds", test_random_determinism);
    CU_add_test(suite, "random pinned values", test_random_pinned);
    return smx_test_run();
}
