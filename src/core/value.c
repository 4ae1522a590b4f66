/*
 * Formatting and comparing parameter values. A double prints in the shortest of %.15g, %.16g and
 * %.17g that strtod reads back to the same bits, and always reads as a float: an integral double
 * prints as "1.0" (not "1"), so that a program can tell a float parameter from an integer one.
 */
#include "core/value.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int format_double(double d, char *buf, size_t n)
{
    char tmp[40];
    if (isnan(d))
        return snprintf(buf, n, "nan");
    if (isinf(d))
        return snprintf(buf, n, d < 0 ? "-inf" : "inf");
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (prec == 17 || strtod(tmp, NULL) == d)
            break;
    }
    /* %g drops the point of an integral value ("1", "-0", "1e+20"): add ".0" where it would read
     * as an integer; an exponent form already reads as a float in every language we care about. */
    if (!strpbrk(tmp, ".eE"))
        strcat(tmp, ".0");
    return snprintf(buf, n, "%s", tmp);
}

int smx__value_format(const smx_value *v, char *buf, size_t n)
{
    switch (v->type) {
    case SMX_VALUE_INT:
        return snprintf(buf, n, "%" PRId64, v->u.i);
    case SMX_VALUE_FLOAT:
        return format_double(v->u.f, buf, n);
    case SMX_VALUE_BOOL:
        return snprintf(buf, n, "%s", v->u.b ? "true" : "false");
    case SMX_VALUE_STRING:
        return snprintf(buf, n, "%s", v->u.s ? v->u.s : "");
    }
    if (n)
        buf[0] = '\0';
    return 0;
}

int smx__value_equal(const smx_value *a, const smx_value *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case SMX_VALUE_INT:
        return a->u.i == b->u.i;
    case SMX_VALUE_FLOAT:
        return memcmp(&a->u.f, &b->u.f, sizeof(double)) == 0;
    case SMX_VALUE_BOOL:
        return !a->u.b == !b->u.b;
    case SMX_VALUE_STRING:
        return strcmp(a->u.s ? a->u.s : "", b->u.s ? b->u.s : "") == 0;
    }
    return 0;
}

const char *smx__value_type_word(smx_value_type t)
{
    switch (t) {
    case SMX_VALUE_INT:
        return "int";
    case SMX_VALUE_FLOAT:
        return "float";
    case SMX_VALUE_BOOL:
        return "bool";
    default:
        return "string";
    }
}

int smx__value_type_join(smx_value_type *t, smx_value_type u)
{
    if (u == *t)
        return 0;
    int tnum = *t == SMX_VALUE_INT || *t == SMX_VALUE_FLOAT;
    int unum = u == SMX_VALUE_INT || u == SMX_VALUE_FLOAT;
    if (!tnum || !unum)
        return -1;
    *t = SMX_VALUE_FLOAT;
    return 0;
}
