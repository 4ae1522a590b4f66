/*
 * Tests of the stored inputs of a state file: parameter values written at creation and read back
 * bit for bit, string value tables, captured CSV rows, and element orders.
 */
#include <CUnit/CUnit.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/value.h"
#include "spec/spec.h"
#include "state/params.h"
#include "state/store.h"
#include "testutil.h"

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Creates a state file for SPEC in DIR and checks every stored value against the spec's. */
static void check_stored(smx_spec *spec, const char *dir, const char *file)
{
    char *path = path_in(dir, file);
    uint64_t n = smx__spec_count(spec);
    size_t np = smx__spec_nparams(spec);
    CU_ASSERT_EQUAL_FATAL(smx__store_create_sweep(path, spec, "default", n, NULL, dir), 0);
    smx__store *st = NULL;
    smx__params *p = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, path, SMX__STORE_READ), 0);
    CU_ASSERT_EQUAL_FATAL(smx__store_params(st, &p), 0);
    CU_ASSERT_EQUAL(smx__params_count(p), np);
    CU_ASSERT_EQUAL(smx__params_elements(p), n);
    for (size_t i = 0; i < np; i++) {
        CU_ASSERT_STRING_EQUAL(smx__params_name(p, i), smx__spec_param_name(spec, i));
        CU_ASSERT_EQUAL(smx__params_type(p, i), smx__spec_param_type(spec, i));
    }
    smx_value *got = calloc(n * np, sizeof *got), *want = calloc(np, sizeof *want);
    CU_ASSERT_EQUAL_FATAL(smx__params_read(p, 0, n, got), 0);
    int bad = 0;
    for (uint64_t e = 0; e < n; e++) {
        CU_ASSERT_EQUAL_FATAL(smx__spec_values(spec, e, want), 0);
        for (size_t i = 0; i < np; i++)
            if (!smx__value_equal(&got[e * np + i], &want[i]))
                bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* A read from the middle, across a chunk boundary when there is one. */
    if (n > 3) {
        CU_ASSERT_EQUAL(smx__params_read(p, n - 3, 3, got), 0);
        CU_ASSERT_EQUAL(smx__spec_values(spec, n - 1, want), 0);
        CU_ASSERT(smx__value_equal(&got[2 * np], &want[0]));
    }
    CU_ASSERT_EQUAL(smx__params_read(p, n, 1, got), SMX_EINPUT);
    char *wd = NULL;
    CU_ASSERT_EQUAL(smx__store_workdir(st, &wd), 0);
    CU_ASSERT_STRING_EQUAL(wd, dir);
    free(wd);
    free(got);
    free(want);
    smx__params_close(p);
    smx__store_close(st);
    free(path);
}

static smx_spec *parse(const char *text, const char *basedir)
{
    smx_spec *s = NULL;
    if (smx__spec_parse(&s, text, strlen(text), "t.yaml", basedir) != 0)
        fprintf(stderr, "parse: %s\n", smx_error_last());
    return s;
}

static void test_grid_values(void)
{
    char *dir = smx_test_tmpdir("params");
    smx_spec *s = parse("parameters:\n"
                        "  lr: {min: 1.0e-5, max: 1.0e-1, num: 5, scale: log}\n"
                        "  depth: {min: 2, max: 8, step: 2}\n"
                        "  opt: {values: [sgd, adam, \"\"]}\n"
                        "  bn: {values: [true, false]}\n"
                        "  x: {min: 0.0, max: 1.0, num: 700}\n",
                        NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    check_stored(s, dir, "grid.h5"); /* 84000 elements: two chunks */
    smx__spec_free(s);
    free(dir);
}

static void test_random_values(void)
{
    char *dir = smx_test_tmpdir("params");
    smx_spec *s = parse("method: random\ncount: 70000\nseed: 3\nparameters:\n"
                        "  lr: {distribution: log_uniform_values, min: 1.0e-5, max: 1.0e-1}\n"
                        "  n: {distribution: int_uniform, min: -5, max: 5}\n"
                        "  c: {distribution: categorical, values: [a, b, c]}\n",
                        NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    check_stored(s, dir, "random.h5");
    smx__spec_free(s);
    free(dir);
}

/* String codes index the value table, which lists each value once in first-use order. */
static void test_string_table(void)
{
    char *dir = smx_test_tmpdir("params");
    smx_spec *s =
        parse("method: list\nrows:\n  - {w: b}\n  - {w: a}\n  - {w: b}\n  - {w: c}\n", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    char *path = path_in(dir, "s.h5");
    CU_ASSERT_EQUAL_FATAL(smx__store_create_sweep(path, s, "default", 4, NULL, dir), 0);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    hid_t d = H5Dopen2(f, "params/w", H5P_DEFAULT);
    uint32_t codes[4] = {9, 9, 9, 9};
    CU_ASSERT(H5Dread(d, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, codes) >= 0);
    CU_ASSERT(codes[0] == 0 && codes[1] == 1 && codes[2] == 0 && codes[3] == 2);
    H5Dclose(d);
    d = H5Dopen2(f, "param_values/w", H5P_DEFAULT);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    char *vals[3] = {NULL, NULL, NULL};
    CU_ASSERT(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals) >= 0);
    CU_ASSERT(vals[0] && !strcmp(vals[0], "b") && vals[1] && !strcmp(vals[1], "a") && vals[2] &&
              !strcmp(vals[2], "c"));
    for (int i = 0; i < 3; i++)
        H5free_memory(vals[i]);
    H5Tclose(t);
    H5Dclose(d);
    H5Fclose(f);
    smx__spec_free(s);
    free(path);
    free(dir);
}

/* The CSV is read once: the stored spec keeps its rows after the file changes or disappears. */
static void test_captured_csv(void)
{
    char *dir = smx_test_tmpdir("params");
    char *csv = path_in(dir, "p.csv"), *path = path_in(dir, "c.h5");
    CU_ASSERT_EQUAL_FATAL(smx_test_write_file(csv, "a,b\n1,x\n2,y\n"), 0);
    smx_spec *s = parse("method: list\nrows: {csv: p.csv}\n", dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(smx__store_create_sweep(path, s, "default", 2, NULL, dir), 0);
    smx__spec_free(s);
    CU_ASSERT_EQUAL_FATAL(smx_test_write_file(csv, "a,b\n100,CHANGED\n"), 0);
    smx__store *st = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, path, SMX__STORE_READ), 0);
    smx_spec *back = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__store_load_spec(st, &back), 0);
    CU_ASSERT_EQUAL(smx__spec_count(back), 2);
    smx_value v[2];
    CU_ASSERT_EQUAL(smx__spec_values(back, 1, v), 0);
    CU_ASSERT(v[0].type == SMX_VALUE_INT && v[0].u.i == 2);
    CU_ASSERT(v[1].type == SMX_VALUE_STRING && !strcmp(v[1].u.s, "y"));
    unlink(csv);
    smx__spec_free(back);
    CU_ASSERT_EQUAL(smx__store_load_spec(st, &back), 0);
    smx__spec_free(back);
    smx__store_close(st);
    free(csv);
    free(path);
    free(dir);
}

static void test_order(void)
{
    smx_spec *s = parse("parameters:\n  i: {min: 0, max: 9}\n", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const uint64_t runs[] = {0, 2, 5, 5, 2, 3};
    CU_ASSERT_EQUAL(smx__spec_set_order(s, runs, 3), 0);
    const uint64_t want[] = {0, 1, 5, 6, 7, 8, 9, 2, 3, 4};
    for (uint64_t e = 0; e < 10; e++) {
        smx_value v;
        CU_ASSERT_EQUAL(smx__spec_values(s, e, &v), 0);
        CU_ASSERT_EQUAL((uint64_t)v.u.i, want[e]);
    }
    /* Not a permutation: a repeat, a gap, out of range. Each is refused and changes nothing. */
    const uint64_t twice[] = {0, 6, 5, 5}, short_[] = {0, 9}, out[] = {0, 5, 5, 6};
    CU_ASSERT_EQUAL(smx__spec_set_order(s, twice, 2), SMX_EINPUT);
    CU_ASSERT_EQUAL(smx__spec_set_order(s, short_, 1), SMX_EINPUT);
    CU_ASSERT_EQUAL(smx__spec_set_order(s, out, 2), SMX_EINPUT);
    CU_ASSERT_EQUAL(smx__spec_index_of(s, 2), 5);
    CU_ASSERT_EQUAL(smx__spec_set_order(s, NULL, 0), 0);
    CU_ASSERT_EQUAL(smx__spec_index_of(s, 2), 2);
    smx__spec_free(s);
}

/* An order survives the state file: element i keeps the values it was stored with. */
static void test_order_stored(void)
{
    char *dir = smx_test_tmpdir("params");
    smx_spec *s = parse("parameters:\n  i: {min: 0, max: 99999}\n", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const uint64_t runs[] = {70000, 30000, 0, 70000};
    CU_ASSERT_EQUAL_FATAL(smx__spec_set_order(s, runs, 2), 0);
    check_stored(s, dir, "o.h5");
    char *path = path_in(dir, "o.h5");
    smx__store *st = NULL;
    smx_spec *back = NULL;
    CU_ASSERT_EQUAL_FATAL(smx__store_open(&st, path, SMX__STORE_READ), 0);
    CU_ASSERT_EQUAL_FATAL(smx__store_load_spec(st, &back), 0);
    smx_value v;
    CU_ASSERT_EQUAL(smx__spec_values(back, 0, &v), 0);
    CU_ASSERT_EQUAL(v.u.i, 70000);
    CU_ASSERT_EQUAL(smx__spec_values(back, 30000, &v), 0);
    CU_ASSERT_EQUAL(v.u.i, 0);
    smx__spec_free(back);
    smx__store_close(st);
    smx__spec_free(s);
    free(path);
    free(dir);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("params", NULL, NULL);
    CU_add_test(s, "grid values stored bit for bit", test_grid_values);
    CU_add_test(s, "random values stored bit for bit", test_random_values);
    CU_add_test(s, "string value table in first-use order", test_string_table);
    CU_add_test(s, "CSV rows captured at creation", test_captured_csv);
    CU_add_test(s, "element order runs", test_order);
    CU_add_test(s, "element order stored", test_order_stored);
    return smx_test_run();
}
