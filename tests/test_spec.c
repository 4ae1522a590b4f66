/* Unit tests for the spec parser: good specs of every form, and a table of bad ones whose single
 * message must name the right line and column. */
#include <CUnit/CUnit.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "sweepmux/errors.h"
#include "testutil.h"
#include "core/value.h"

static smx_spec *parse_ok(const char *text)
{
    smx_spec *s = NULL;
    int rc = smx__spec_parse(&s, text, strlen(text), "t.yaml", NULL);
    if (rc)
        fprintf(stderr, "\nunexpected error: %s\n", smx_error_last());
    CU_ASSERT_EQUAL(rc, 0);
    return s;
}

/* Each bad spec must fail with SMX_EINPUT and a message containing EXPECT (with line:col). */
static const struct bad {
    const char *text;
    const char *expect;
} bad_specs[] = {
    /* malformed YAML */
    {"command: [a\nparameters: {x: {value: 1}}\n", "t.yaml:2:"},
    {"a: b\n c: d\n", "t.yaml:2:3: invalid YAML"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {values: [1, 2}\n", "t.yaml:3:"},
    /* unknown keys, with suggestions */
    {"command: [a]\nparamters:\n  x: {value: 1}\n",
     "t.yaml:2:1: unknown key 'paramters' in the spec; did you mean 'parameters'?"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {valeus: [1]}\n",
     "t.yaml:3:7: unknown key 'valeus' in a grid parameter; did you mean 'values'?"},
    {"command: [a]\nprogram: train.py\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:1: unknown key 'program'"},
    {"command: [a, \"{x}\"]\nmethod: grdi\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:9: unknown method 'grdi'; did you mean 'grid'?"},
    /* wrong types */
    {"command: [a, \"{x}\"]\nparameters: [x, y]\n",
     "t.yaml:2:13: 'parameters' is a list; expected a mapping"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: [1, 2]\n",
     "t.yaml:3:6: parameter 'x' is a list; expected a mapping"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {values: 3}\n",
     "t.yaml:3:15: 'values' of 'x' is an integer; expected a list"},
    {"command: [a, \"{x}\"]\nshell: yes\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:8: 'shell' is a string ('yes'); expected true or false"},
    {"command: python train.py\nparameters: {x: {value: 1}}\n",
     "t.yaml:1:10: 'command' is a string; expected a list"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {values: [1, [2]]}\n",
     "t.yaml:3:19: value 2 of 'x' is a list"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {values: [1, abc]}\n",
     "t.yaml:3:19: value 2 of 'x' is a string but the earlier ones are an integer"},
    /* empty values */
    {"command: [a, \"{x}\"]\nparameters:\n  x: {values: []}\n",
     "t.yaml:3:15: 'values' of 'x' is empty"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {value: }\n", "'value' of 'x' is empty"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {values: [1, ~]}\n",
     "t.yaml:3:19: value 2 of 'x' is empty"},
    {"", "t.yaml:1:1: the spec is empty"},
    {"command: []\nparameters: {x: {value: 1}}\n", "t.yaml:1:10: 'command' is empty"},
    /* ranges */
    {"command: [a, \"{x}\"]\nparameters:\n  x: {min: 5, max: 1, step: 1}\n",
     "t.yaml:3:12: 'min' of 'x' (5) is greater than 'max' (1)"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {min: 0, max: 1, step: 0}\n",
     "t.yaml:3:29: 'step' of 'x' is 0; expected a positive step"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {min: 0, max: 1, step: -0.5}\n",
     "t.yaml:3:29: 'step' of 'x' is -0.5"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {min: 0, max: 1, num: 0}\n",
     "t.yaml:3:28: 'num' of 'x' is 0; expected at least 1"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {min: 0, max: 1, num: 3, scale: log}\n",
     "t.yaml:3:12: a log scale needs positive bounds but 'min' of 'x' is 0"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {min: 0.5, max: 1}\n",
     "t.yaml:3:7: the range of 'x' has float bounds but no 'step' or 'num'"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {min: 0, step: 1}\n",
     "t.yaml:3:7: parameter 'x' has 'min' but no 'max'"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {min: 0, max: 1, num: 3, scale: cubic}\n",
     "t.yaml:3:38: 'scale' of 'x' is 'cubic'; expected linear or log"},
    /* templates */
    {"command: [python, train.py, --lr, \"{lr}\", --x, \"{depht}\"]\nparameters:\n  lr: {value: "
     "1}\n  depth: {value: 2}\n",
     "t.yaml:1:49: unknown placeholder '{depht}'"},
    {"command: [echo, \"a {lr\"]\nparameters: {lr: {value: 1}}\n",
     "t.yaml:1:20: unterminated placeholder"},
    {"command:\n  - echo\n  - a}b\nparameters: {lr: {value: 1}}\n", "t.yaml:3:6: a single '}'"},
    {"command: [echo, \"{lr}\"]\nenv: {X: \"{nope}\"}\nparameters: {lr: {value: 1}}\n",
     "t.yaml:2:11: unknown placeholder '{nope}'"},
    {"command: [echo, \"{lr}\"]\nworkdir: \"runs/{bad}\"\nparameters: {lr: {value: 1}}\n",
     "t.yaml:2:16: unknown placeholder '{bad}'"},
    /* duplicates */
    {"command: [a, \"{x}\"]\nparameters:\n  x: {value: 1}\n  x: {value: 2}\n",
     "t.yaml:4:3: duplicate parameter 'x' (first at line 3, column 3)"},
    {"command: [a, \"{x}\"]\ncommand: [b]\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:1: duplicate key 'command'"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {value: 1, value: 2}\n",
     "t.yaml:3:17: duplicate key 'value'"},
    /* names */
    {"command: [a]\nparameters:\n  index: {value: 1}\n",
     "t.yaml:3:3: parameter name 'index' is reserved"},
    {"command: [a]\nparameters:\n  \"a b\": {value: 1}\n",
     "t.yaml:3:3: invalid parameter name 'a b'"},
    /* list rows */
    {"command: [a, \"{x}\", \"{y}\"]\nmethod: list\nrows:\n  - {x: 1, y: 2}\n  - {x: 3}\n",
     "t.yaml:5:5: row 2 has no value for 'y'"},
    {"command: [a, \"{x}\"]\nmethod: list\nrows:\n  - {x: 1}\n  - {x: 3, z: 4}\n",
     "t.yaml:5:12: row 2 has key 'z' that row 1 does not have"},
    {"command: [a, \"{x}\"]\nmethod: list\nrows: []\n", "t.yaml:3:7: 'rows' is empty"},
    {"command: [a, \"{x}\"]\nmethod: list\nparameters: {y: {value: 1}}\n",
     "t.yaml:1:1: a list sweep needs 'rows'"},
    {"command: [a, \"{x}\"]\nmethod: list\nrows:\n  - {x: 1}\n  - {x: b}\n",
     "t.yaml:5:9: 'x' in row 2 is a string but in row 1 it is an integer"},
    {"command: [a, \"{x}\"]\nmethod: list\nrows: {csv: does-not-exist.csv}\n",
     "t.yaml:3:13: cannot read the rows' CSV file"},
    {"command: [a, \"{x}\"]\nrows:\n  - {x: 1}\n",
     "t.yaml:2:1: 'rows' is only used with 'method: list'"},
    /* zip */
    {"command: [a, \"{x}{y}\"]\nparameters:\n  x: {values: [1, 2]}\n  y: {values: [1, 2, 3]}\nzip: "
     "[[x, y]]\n",
     "t.yaml:5:11: zip group 1 has axes of different lengths: 'x' has 2 values but 'y' has 3"},
    {"command: [a, \"{x}{y}\"]\nparameters:\n  x: {values: [1, 2]}\n  y: {values: [1, 2]}\nzip: "
     "[[x, yy]]\n",
     "t.yaml:5:11: zip group 1 names 'yy', which is not a parameter; did you mean 'y'?"},
    {"command: [a, \"{x}{y}\"]\nparameters:\n  x: {values: [1, 2]}\n  y: {values: [1, 2]}\nzip: "
     "[[x]]\n",
     "t.yaml:5:7: zip group 1 is too short"},
    {"command: [a, \"{x}{y}\"]\nparameters:\n  x: {values: [1, 2]}\n  y: {values: [1, 2]}\nzip: "
     "[[x, y], [y, x]]\n",
     "t.yaml:5:16: 'y' is already in zip group 1"},
    /* encoding, aliases */
    {"command: [a, \"{x}\"]\nparameters:\n  x: {values: [\"caf\xe9\"]}\n",
     "t.yaml:3:20: invalid UTF-8 (byte 0xE9)"},
    {"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c "
     "[*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: "
     "&e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
     "t.yaml:5:"},
    {"command: [a, *nope]\nparameters: {x: {value: 1}}\n", "t.yaml:1:14: unknown alias '*nope'"},
    /* random */
    {"command: [a, \"{x}\"]\nmethod: random\nparameters:\n  x: {distribution: uniform, min: 0, "
     "max: 1}\n",
     "t.yaml:1:1: a random sweep needs 'count'"},
    {"command: [a, \"{x}\"]\nmethod: random\ncount: 0\nparameters:\n  x: {distribution: uniform, "
     "min: 0, max: 1}\n",
     "t.yaml:3:8: 'count' is 0; expected at least 1"},
    {"command: [a, \"{x}\"]\nmethod: random\ncount: 3\nparameters:\n  x: {distribution: unifrom, "
     "min: 0, max: 1}\n",
     "t.yaml:5:21: unknown distribution 'unifrom' of 'x'; did you mean 'uniform'?"},
    {"command: [a, \"{x}\"]\nmethod: random\ncount: 3\nparameters:\n  x: {distribution: "
     "log_uniform_values, min: 0, max: 1}\n",
     "t.yaml:5:46: distribution log_uniform_values of 'x' needs min > 0"},
    {"command: [a, \"{x}\"]\nmethod: random\ncount: 3\nparameters:\n  x: {distribution: "
     "int_uniform, min: 0.5, max: 3}\n",
     "t.yaml:5:39: distribution int_uniform of 'x' needs integer bounds"},
    {"command: [a, \"{x}\"]\nmethod: random\ncount: 3\nparameters:\n  x: {distribution: uniform, "
     "min: 0, max: 1, step: 2}\n",
     "t.yaml:5:46: unknown key 'step' in a random parameter"},
    {"command: [a, \"{x}\"]\nmethod: random\ncount: 3\nparameters:\n  x: {distribution: uniform, "
     "min: 0, max: 1, values: [1]}\n",
     "t.yaml:5:46: 'values' is not used by distribution 'uniform' of 'x'"},
    {"command: [a, \"{x}\"]\ncount: 3\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:1: 'count' is only used with 'method: random'"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {distribution: uniform, min: 0, max: 1}\n",
     "t.yaml:3:7: 'distribution' is only used with 'method: random'"},
    /* paths of the random-parameter and top-level parsers */
    {"command: [a, \"{x}\"]\nmethod: random\ncount: 2\nparameters:\n  x: {distribution: q_uniform, "
     "min: 0, max: 1, q: 0}\n",
     "t.yaml:5:51: 'q' of 'x' is 0; expected q > 0"},
    {"command: [a, \"{x}\"]\nmethod: random\ncount: 2\nparameters:\n  x: {mu: 0, sigma: -1}\n",
     "t.yaml:5:21: 'sigma' of 'x' is -1; expected sigma >= 0"},
    {"command: [a, \"{x}\"]\nmethod: bayes\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:9: method 'bayes' is not supported"},
    {"command: [a, \"{x}\"]\nmethod: gird\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:9: unknown method 'gird'; did you mean 'grid'?"},
    {"command: [a, \"{x}\"]\nmetric: {name: loss}\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:1: unknown key 'metric' (a W&B sweep key)"},
    {"command: [a, \"{x}\"]\nmethod: random\nparameters: {x: {value: 1}}\n",
     "t.yaml:1:1: a random sweep needs 'count'"},
    {"command: [a, \"{x}\"]\nmethod: list\nzip: [[x, y]]\nrows:\n  - {x: 1}\n",
     "t.yaml:3:1: 'zip' is only used with 'method: grid'"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {min: 1, max: 2, num: 2, scale: cubic}\n",
     "t.yaml:3:38: 'scale' of 'x' is 'cubic'; expected linear or log"},
    {"command: [a, \"{x}\"]\nparameters:\n  x: {min: 0.5, max: 2.5}\n",
     "t.yaml:3:7: the range of 'x' has float bounds but no 'step' or 'num'"},
    {"command: [a, \"{x}{y}\"]\nparameters:\n  x: {values: [1, 2]}\n  y: {values: [1, 2]}\nzip: "
     "[[x, yy]]\n",
     "t.yaml:5:11: zip group 1 names 'yy', which is not a parameter; did you mean 'y'?"},
    /* task settings */
    {"command: [a, \"{x}\"]\nretries: -1\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:10: 'retries' is -1; expected an integer from 0"},
    {"command: [a, \"{x}\"]\ntimeout: 10 minutes\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:10: 'timeout' '10 minutes'"},
    {"command: [a, \"{x}\"]\ntimeout: 10x\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:10: 'timeout' '10x' has an unknown unit"},
    {"command: [a, \"{x}\"]\ntimeout: 30m2h\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:10: 'timeout' '30m2h' repeats or misorders"},
    {"command: [a, \"{x}\"]\nenv: {\"BAD-NAME\": x}\nparameters: {x: {value: 1}}\n",
     "t.yaml:2:7: invalid environment variable name 'BAD-NAME'"},
    /* no parameters */
    {"command: [a]\n", "t.yaml:1:1: the spec has no parameters"},
    {"command: [a]\nparameters: {}\n", "t.yaml:2:13: the spec has no parameters"},
    /* numbers */
    {"command: [a, \"{x}\"]\nparameters:\n  x: {values: [99999999999999999999]}\n",
     "t.yaml:3:16: value 1 of 'x' '99999999999999999999' is out of range"},
    {"- a\n- b\n", "t.yaml:1:1: the spec is a list; expected a mapping"},
    {"command: [a]\n---\ncommand: [b]\n", "t.yaml:2:1: a second YAML document"},
};

static void test_bad_table(void)
{
    size_t n = sizeof bad_specs / sizeof bad_specs[0];
    CU_ASSERT(n >= 30);
    for (size_t i = 0; i < n; i++) {
        smx_spec *s = NULL;
        int rc = smx__spec_parse(&s, bad_specs[i].text, strlen(bad_specs[i].text), "t.yaml", NULL);
        const char *msg = smx_error_last();
        int ok = rc == SMX_EINPUT && s == NULL && strstr(msg, bad_specs[i].expect) != NULL;
        if (!ok)
            fprintf(stderr, "\nbad spec %zu: rc=%d\n  expected: %s\n  got:      %s\n", i, rc,
                    bad_specs[i].expect, msg);
        CU_ASSERT(ok);
        /* One message, one line: a user sees exactly one thing to fix. */
        CU_ASSERT(strchr(msg, '\n') == NULL);
        smx__spec_free(s);
    }
}

static void test_grid_forms(void)
{
    smx_spec *s = parse_ok("name: g\n"
                           "command: [run, \"{a}\", \"{b}\", \"{c}\", \"{d}\", \"{e}\", \"{f}\"]\n"
                           "parameters:\n"
                           "  a: {values: [1, 2.5, 3]}\n"
                           "  b: {value: hello}\n"
                           "  c: {min: 2, max: 8, step: 2}\n"
                           "  d: {min: 0.0, max: 1.0, step: 0.1}\n"
                           "  e: {min: 1.0e-5, max: 1.0e-1, num: 5, scale: log}\n"
                           "  f: {min: 0, max: 1, num: 1}\n"
                           "timeout: 1h30m\nretries: 3\n");
    if (!s)
        return;
    CU_ASSERT_STRING_EQUAL(smx__spec_name(s), "g");
    CU_ASSERT_EQUAL(smx__spec_nparams(s), 6);
    CU_ASSERT_EQUAL(smx__spec_count(s), 3 * 1 * 4 * 11 * 5 * 1);
    CU_ASSERT_EQUAL(smx__spec_param_type(s, 0), SMX_VALUE_FLOAT); /* 1 and 3 promoted */
    CU_ASSERT_EQUAL(smx__spec_param_type(s, 1), SMX_VALUE_STRING);
    CU_ASSERT_EQUAL(smx__spec_param_type(s, 2), SMX_VALUE_INT);
    CU_ASSERT_EQUAL(smx__spec_param_type(s, 3), SMX_VALUE_FLOAT);
    CU_ASSERT_DOUBLE_EQUAL(smx__spec_timeout(s), 5400, 1e-9);
    CU_ASSERT_EQUAL(smx__spec_retries(s), 3);
    CU_ASSERT_EQUAL(smx__spec_shell(s), 0);
    CU_ASSERT(smx__spec_has_command(s));
    CU_ASSERT_EQUAL(smx__spec_nwarnings(s), 0);
    CU_ASSERT_EQUAL(smx__spec_param_find(s, "d"), 3);
    CU_ASSERT_EQUAL(smx__spec_param_find(s, "zz"), -1);
    CU_ASSERT_STRING_EQUAL(smx__spec_method(s), "grid");
    smx__spec_free(s);
}

static void test_no_name_no_command(void)
{
    smx_spec *s = parse_ok("parameters:\n  x: {values: [a, b]}\n");
    if (!s)
        return;
    CU_ASSERT_STRING_EQUAL(smx__spec_name(s), "sweep");
    CU_ASSERT_FALSE(smx__spec_has_command(s));
    CU_ASSERT_EQUAL(smx__spec_nwarnings(s), 0); /* nothing to be unused by */
    CU_ASSERT_EQUAL(smx__spec_count(s), 2);
    smx__spec_free(s);
}

static void test_unused_warning(void)
{
    smx_spec *s =
        parse_ok("command: [a, \"{x}\"]\nparameters:\n  x: {value: 1}\n  y: {value: 2}\n");
    if (!s)
        return;
    CU_ASSERT_EQUAL(smx__spec_nwarnings(s), 1);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(smx__spec_warning(s, 0), "t.yaml:4:3: parameter 'y' is not used"));
    /* A command override that uses y clears the warning and reports x instead. */
    char *argv[] = {"prog", "--y={y}"};
    CU_ASSERT_EQUAL(smx__spec_set_command(s, 2, argv), 0);
    CU_ASSERT_EQUAL(smx__spec_nwarnings(s), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx__spec_warning(s, 0), "parameter 'x'"));
    smx__spec_free(s);
}

static void test_set_command_errors(void)
{
    smx_spec *s = parse_ok("parameters:\n  lr: {value: 1}\n");
    if (!s)
        return;
    char *argv[] = {"prog", "--lr", "x={lr}{nope}"};
    CU_ASSERT_EQUAL(smx__spec_set_command(s, 3, argv), SMX_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(
        smx_error_last(), "command-line argument 3, column 7: unknown placeholder '{nope}'"));
    CU_ASSERT_FALSE(smx__spec_has_command(s));
    char *argv2[] = {"a}"};
    CU_ASSERT_EQUAL(smx__spec_set_command(s, 1, argv2), SMX_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "command-line argument 1, column 2"));
    CU_ASSERT_EQUAL(smx__spec_set_command(s, 0, argv2), SMX_EINPUT);
    char *argv3[] = {"echo", "{lr}"};
    CU_ASSERT_EQUAL(smx__spec_set_command(s, 2, argv3), 0);
    CU_ASSERT(smx__spec_has_command(s));
    smx__spec_free(s);
}

static void test_range_warning(void)
{
    smx_spec *s = parse_ok("command: [a, \"{x}\"]\nparameters:\n  x: {min: 0, max: 10, step: 3}\n");
    if (!s)
        return;
    CU_ASSERT_EQUAL(smx__spec_count(s), 4);
    CU_ASSERT_EQUAL(smx__spec_nwarnings(s), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx__spec_warning(s, 0), "stops at 9, not at max 10"));
    smx__spec_free(s);
}

static void test_random_forms(void)
{
    smx_spec *s = parse_ok("command: [a, \"{a}{b}{c}{d}{e}{f}{g}{h}{i}{j}\"]\nmethod: random\n"
                           "count: 10\nseed: 3\nparameters:\n"
                           "  a: {distribution: constant, value: 1}\n"
                           "  b: {distribution: categorical, values: [x, y]}\n"
                           "  c: {distribution: uniform, min: 0, max: 1.5}\n"
                           "  d: {distribution: int_uniform, min: -3, max: 3}\n"
                           "  e: {distribution: q_uniform, min: 0, max: 10, q: 2.5}\n"
                           "  f: {distribution: log_uniform_values, min: 1.0e-5, max: 1}\n"
                           "  g: {distribution: normal, mu: 1, sigma: 2}\n"
                           "  h: {distribution: log_normal}\n"
                           "  i: {values: [true, false]}\n"
                           "  j: {value: z}\n");
    if (!s)
        return;
    CU_ASSERT_EQUAL(smx__spec_count(s), 10);
    CU_ASSERT_STRING_EQUAL(smx__spec_method(s), "random");
    CU_ASSERT_EQUAL(smx__spec_param_type(s, 3), SMX_VALUE_INT);
    CU_ASSERT_EQUAL(smx__spec_param_type(s, 8), SMX_VALUE_BOOL);
    smx__spec_free(s);
}

static void test_list_inline(void)
{
    smx_spec *s = parse_ok("command: [a, \"{m}\", \"{lr}\", \"{k}\"]\nmethod: list\n"
                           "parameters: {k: {value: 9}}\n"
                           "rows:\n  - {m: r50, lr: 1}\n  - {lr: 0.5, m: vit}\n");
    if (!s)
        return;
    CU_ASSERT_EQUAL(smx__spec_count(s), 2);
    CU_ASSERT_EQUAL(smx__spec_nparams(s), 3);
    CU_ASSERT_STRING_EQUAL(smx__spec_param_name(s, 0), "m");
    CU_ASSERT_STRING_EQUAL(smx__spec_param_name(s, 1), "lr");
    CU_ASSERT_STRING_EQUAL(smx__spec_param_name(s, 2), "k");
    smx_value v[3];
    CU_ASSERT_EQUAL(smx__spec_values(s, 1, v), 0);
    CU_ASSERT_STRING_EQUAL(v[0].u.s, "vit");
    CU_ASSERT_EQUAL(v[1].type, SMX_VALUE_FLOAT);
    CU_ASSERT_DOUBLE_EQUAL(v[1].u.f, 0.5, 0);
    CU_ASSERT_EQUAL(v[2].u.i, 9);
    CU_ASSERT_EQUAL(smx__spec_values(s, 0, v), 0);
    CU_ASSERT_EQUAL(v[1].type, SMX_VALUE_FLOAT); /* promoted with the column */
    CU_ASSERT_EQUAL(smx__spec_values(s, 2, v), SMX_EINPUT);
    smx__spec_free(s);
}

static void test_list_csv(void)
{
    char *dir = smx_test_tmpdir("spec");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char path[512], csv[512];
    snprintf(csv, sizeof csv, "%s/p.csv", dir);
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    CU_ASSERT_EQUAL(smx_test_write_file(csv, "a, b,c,d,e\r\n1,2.5,x,true,007\n"
                                             "2,3,\"y, \"\"z\"\"\",false,8\n\n-4,1e3,5,true,9\n"),
                    0);
    CU_ASSERT_EQUAL(smx_test_write_file(path, "command: [t, \"{a}\", \"{b}\", \"{c}\", \"{d}\", "
                                              "\"{e}\"]\nmethod: list\nrows: {csv: p.csv}\n"),
                    0);
    smx_spec *s = NULL;
    int rc = smx__spec_load(&s, path);
    if (rc)
        fprintf(stderr, "\n%s\n", smx_error_last());
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(smx__spec_count(s), 3);
    CU_ASSERT_EQUAL(smx__spec_param_type(s, 0), SMX_VALUE_INT);
    CU_ASSERT_EQUAL(smx__spec_param_type(s, 1), SMX_VALUE_FLOAT);
    CU_ASSERT_EQUAL(smx__spec_param_type(s, 2), SMX_VALUE_STRING);
    CU_ASSERT_EQUAL(smx__spec_param_type(s, 3), SMX_VALUE_BOOL);
    CU_ASSERT_EQUAL(smx__spec_param_type(s, 4), SMX_VALUE_INT);
    CU_ASSERT_STRING_EQUAL(smx__spec_param_name(s, 1), "b");
    smx_value v[5];
    CU_ASSERT_EQUAL(smx__spec_values(s, 1, v), 0);
    CU_ASSERT_STRING_EQUAL(v[2].u.s, "y, \"z\"");
    CU_ASSERT_EQUAL(v[3].u.b, 0);
    CU_ASSERT_EQUAL(smx__spec_values(s, 2, v), 0);
    CU_ASSERT_EQUAL(v[0].u.i, -4);
    CU_ASSERT_DOUBLE_EQUAL(v[1].u.f, 1000.0, 0);
    CU_ASSERT_STRING_EQUAL(v[2].u.s, "5");
    smx__spec_free(s);

    /* A short row names the CSV file's line. */
    CU_ASSERT_EQUAL(smx_test_write_file(csv, "a,b\n1,2\n3\n"), 0);
    CU_ASSERT_EQUAL(smx__spec_load(&s, path), SMX_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(smx_error_last(), "p.csv:3:1: this row has 1 fields but the header has 2"));
    CU_ASSERT_EQUAL(smx_test_write_file(csv, "a,b\n1,\n"), 0);
    CU_ASSERT_EQUAL(smx__spec_load(&s, path), SMX_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "p.csv:2:3: empty value for 'b'"));
    CU_ASSERT_EQUAL(smx_test_write_file(csv, "a,a\n1,2\n"), 0);
    CU_ASSERT_EQUAL(smx__spec_load(&s, path), SMX_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "p.csv:1:3: duplicate column 'a'"));
    /* A lone CR after a quoted field is refused where it is, not read as a line end that
     * swallows the next character. */
    CU_ASSERT_EQUAL(smx_test_write_file(csv, "x\n\"a\"\rbc\n"), 0);
    CU_ASSERT_EQUAL(smx__spec_load(&s, path), SMX_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "p.csv:2:4: a carriage return without a line "
                                                    "feed after a quoted field"));
    CU_ASSERT_EQUAL(smx_test_write_file(csv, "x\n\"a\"b\n"), 0);
    CU_ASSERT_EQUAL(smx__spec_load(&s, path), SMX_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "p.csv:2:4: text after a quoted field"));
    free(dir);
}

static void test_too_big(void)
{
    char *dir = smx_test_tmpdir("spec");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/big.yaml", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    /* Sparse: the size is what matters, and it must be refused before being read. */
    CU_ASSERT_EQUAL(fseek(f, (long)SMX__SPEC_MAX_BYTES + 10, SEEK_SET), 0);
    fputc('\n', f);
    fclose(f);
    smx_spec *s = NULL;
    CU_ASSERT_EQUAL(smx__spec_load(&s, path), SMX_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "more than the limit"));
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(smx__spec_parse(&s, "x", SMX__SPEC_MAX_BYTES + 1u, "t.yaml", NULL), SMX_EINPUT);
    remove(path);
    snprintf(path, sizeof path, "%s/missing.yaml", dir);
    CU_ASSERT_NOT_EQUAL(smx__spec_load(&s, path), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(smx_error_last(), "missing.yaml"));
    free(dir);
}

static void test_text_and_hash(void)
{
    const char *text = "parameters: {x: {value: 1}}\n";
    smx_spec *s = parse_ok(text);
    if (!s)
        return;
    size_t len = 0;
    CU_ASSERT_STRING_EQUAL(smx__spec_text(s, &len), text);
    CU_ASSERT_EQUAL(len, strlen(text));
    CU_ASSERT_EQUAL(strlen(smx__spec_hash(s)), 64);
    /* sha256 of the exact text, checked with sha256sum. */
    CU_ASSERT_STRING_EQUAL(smx__spec_hash(s),
                           "002946fc8b14c4ae8bc08e7af7cb1460112ccc1c6cec68dc1809c82ff5f2b17d");
    smx__spec_free(s);
}

static void test_aliases_small_ok(void)
{
    smx_spec *s = parse_ok("command: [a, \"{x}\", \"{y}\"]\n"
                           "parameters:\n  x: {values: &v [1, 2, 3]}\n  y: {values: *v}\n");
    if (s)
        CU_ASSERT_EQUAL(smx__spec_count(s), 9);
    smx__spec_free(s);
}

/* Specs are compared by meaning: text that says the same thing is no change; settings are listed;
 * a value, a type or a renumbering is a difference naming its field. */
static void test_compare_meaning(void)
{
    smx_spec *a = parse_ok("name: n\ncommand: [run, \"{x}\", \"{y}\"]\ntimeout: 10s\n"
                           "parameters:\n  x: {values: [1, 2, 3]}\n  y: {values: [u, v]}\n");
    smx_spec *same = parse_ok("# comment\nparameters:\n  x:\n    values: [0x1, 2, 3]\n"
                              "  y: {values: ['u', \"v\"]}\ntimeout: 10\nname: n\n"
                              "command:\n  - run\n  - '{x}'\n  - \"{y}\"\n");
    smx_spec *settings = parse_ok("name: m\ncommand: [run, \"{x}\", \"{y}\"]\nretries: 2\n"
                                  "parameters:\n  x: {values: [1, 2, 3]}\n  y: {values: [u, v]}\n");
    smx_spec *value = parse_ok("name: n\ncommand: [run, \"{x}\", \"{y}\"]\n"
                               "parameters:\n  x: {values: [1, 2, 4]}\n  y: {values: [u, v]}\n");
    smx_spec *swapped = parse_ok("name: n\ncommand: [run, \"{x}\", \"{y}\"]\n"
                                 "parameters:\n  y: {values: [u, v]}\n  x: {values: [1, 2, 3]}\n");
    smx_spec *range =
        parse_ok("name: n\ncommand: [run, \"{x}\", \"{y}\"]\ntimeout: 10s\n"
                 "parameters:\n  x: {min: 1, max: 3, step: 1}\n  y: {values: [u, v]}\n");
    char what[512];
    CU_ASSERT_EQUAL(smx__spec_elements_diff(a, same, what, sizeof what), 0);
    CU_ASSERT_EQUAL(smx__spec_settings_diff(a, same, what, sizeof what), 0);
    CU_ASSERT_STRING_EQUAL(what, "");
    /* Another way of writing the same values is the same sweep. */
    CU_ASSERT_EQUAL(smx__spec_elements_diff(a, range, what, sizeof what), 0);
    CU_ASSERT_EQUAL(smx__spec_elements_diff(a, settings, what, sizeof what), 0);
    CU_ASSERT_EQUAL(smx__spec_settings_diff(a, settings, what, sizeof what), 3);
    CU_ASSERT_STRING_EQUAL(what, "timeout 10s -> none, retries 0 -> 2, name 'n' -> 'm'");
    CU_ASSERT_EQUAL(smx__spec_elements_diff(a, value, what, sizeof what), 1);
    CU_ASSERT_STRING_EQUAL(what, "parameter 'x' of element 4: stored 3; new 4");
    CU_ASSERT_EQUAL(smx__spec_elements_diff(a, swapped, what, sizeof what), 1);
    CU_ASSERT_STRING_EQUAL(what, "parameter 'x' of element 1: stored 1; new 2");
    smx__spec_free(a);
    smx__spec_free(same);
    smx__spec_free(settings);
    smx__spec_free(value);
    smx__spec_free(swapped);
    smx__spec_free(range);
}

int main(void)
{
    CU_initialize_registry();
    CU_pSuite suite = CU_add_suite("spec", NULL, NULL);
    CU_add_test(suite, "bad specs table", test_bad_table);
    CU_add_test(suite, "grid forms", test_grid_forms);
    CU_add_test(suite, "no name, no command", test_no_name_no_command);
    CU_add_test(suite, "unused parameter warning", test_unused_warning);
    CU_add_test(suite, "command override errors", test_set_command_errors);
    CU_add_test(suite, "range end warning", test_range_warning);
    CU_add_test(suite, "random forms", test_random_forms);
    CU_add_test(suite, "list inline rows", test_list_inline);
    CU_add_test(suite, "list CSV rows", test_list_csv);
    CU_add_test(suite, "size limit", test_too_big);
    CU_add_test(suite, "text and hash", test_text_and_hash);
    CU_add_test(suite, "small aliases", test_aliases_small_ok);
    CU_add_test(suite, "compare by meaning", test_compare_meaning);
    return smx_test_run();
}
