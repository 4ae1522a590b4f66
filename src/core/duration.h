/*
 * The one duration grammar, shared by the spec (`timeout:`) and the command line (--max-time,
 * --grace, --progress, --sync-interval):
 *
 *   DURATION := NUMBER | PART PART...        90   1.5   90s   10m   2h   1d   1h30m   2d12h   1.5h
 *   PART     := NUMBER UNIT                  UNIT is d (86400 s), h (3600 s), m (60 s) or s
 *   NUMBER   := DIGITS [. DIGITS] | . DIGITS (decimal: no sign, no exponent, no spaces)
 *
 * A bare NUMBER is seconds. With units, each unit appears at most once and larger units come
 * first, so "30m1h", "1h1h" and "1h30" (a bare number after a part) are refused rather than
 * guessed at: they are more likely typos than intent.
 */
#ifndef SMX_DURATION_H
#define SMX_DURATION_H

/* Why a text is not a duration (0: it is one). */
typedef enum smx__duration_err {
    SMX__DURATION_OK = 0,
    SMX__DURATION_EMPTY,   /* "" */
    SMX__DURATION_SYNTAX,  /* a part does not start with a number: "soon", "-5", "h" */
    SMX__DURATION_UNIT,    /* a number is followed by something other than d, h, m, s */
    SMX__DURATION_NO_UNIT, /* a bare number after a part: "1h30" */
    SMX__DURATION_ORDER,   /* a unit repeated or smaller before larger: "30m1h" */
    SMX__DURATION_RANGE    /* too large to be a number of seconds */
} smx__duration_err;

/* Examples for messages, in the order users meet them. */
#define SMX__DURATION_EXAMPLES "90, 90s, 10m, 2h, 1h30m"

/* Parses TEXT into *SECONDS (>= 0, finite). Returns SMX__DURATION_OK or why it is not one; *SECONDS
 * is untouched on failure. */
smx__duration_err smx__duration_parse(const char *text, double *seconds);

/* A short phrase for ERR that completes "'TEXT' ...", e.g. "has an unknown unit". */
const char *smx__duration_problem(smx__duration_err err);

#endif
