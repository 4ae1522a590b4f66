/*
 * Result values as stored (README "The state file"): a result a task did not report is one
 * particular NaN, SMX__RESULT_MISSING_BITS (the quiet NaN with payload 1); a task that reports
 * nan gets the ordinary quiet NaN, and +-inf are stored as they are. Files from before this
 * distinction (sessions without the attribute result_missing) used any NaN for "not reported".
 */
#ifndef SMX_RESULT_H
#define SMX_RESULT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define SMX__RESULT_MISSING_BITS UINT64_C(0x7ff8000000000001)

/* The value of a result that was not reported. */
static inline double smx__result_missing(void)
{
    uint64_t b = SMX__RESULT_MISSING_BITS;
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

/* Non-zero when V is the "not reported" value. */
static inline int smx__result_is_missing(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b == SMX__RESULT_MISSING_BITS;
}

/* A reported value as stored: every NaN (whatever its sign or payload) becomes the ordinary quiet
 * NaN, so that no report can look like "not reported". */
static inline double smx__result_reported(double v)
{
    if (isnan(v)) {
        uint64_t b = UINT64_C(0x7ff8000000000000);
        memcpy(&v, &b, sizeof v);
    }
    return v;
}

#endif
