/* The duration grammar: see duration.h. */
#include "duration.h"

#include <math.h>
#include <string.h>

/* Scans NUMBER at *P (see duration.h); returns -1 if there is none. */
static int scan_number(const char **p, double *out)
{
    const char *s = *p;
    double v = 0, scale = 1;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++)
        v = v * 10 + (*s - '0');
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
            scale /= 10;
            v += (*s - '0') * scale;
        }
    }
    if (!digits)
        return -1;
    *p = s;
    *out = v;
    return 0;
}

smx__duration_err smx__duration_parse(const char *text, double *seconds)
{
    static const char units[] = "dhms";
    static const double unit_seconds[] = {86400, 3600, 60, 1};
    const char *p = text;
    double total = 0;
    int parts = 0, last_unit = -1;
    if (!p || !*p)
        return SMX__DURATION_EMPTY;
    while (*p) {
        double v;
        if (scan_number(&p, &v) < 0)
            return SMX__DURATION_SYNTAX;
        if (!*p) {
            if (parts)
                return SMX__DURATION_NO_UNIT;
            total = v; /* a bare number: seconds */
            break;
        }
        const char *u = strchr(units, *p);
        if (!u)
            return SMX__DURATION_UNIT;
        int ui = (int)(u - units);
        if (ui <= last_unit)
            return SMX__DURATION_ORDER;
        last_unit = ui;
        total += v * unit_seconds[ui];
        parts++;
        p++;
    }
    if (!isfinite(total))
        return SMX__DURATION_RANGE;
    *seconds = total;
    return SMX__DURATION_OK;
}

const char *smx__duration_problem(smx__duration_err err)
{
    switch (err) {
    case SMX__DURATION_OK:
        return "is a duration";
    case SMX__DURATION_EMPTY:
        return "is empty";
    case SMX__DURATION_SYNTAX:
        return "is not a duration (each part is a number, then d, h, m or s)";
    case SMX__DURATION_UNIT:
        return "has an unknown unit (units are d, h, m and s)";
    case SMX__DURATION_NO_UNIT:
        return "has a number without a unit after its first part";
    case SMX__DURATION_ORDER:
        return "repeats or misorders its units (larger units first, each once)";
    case SMX__DURATION_RANGE:
        return "is too long";
    }
    return "is not a duration";
}
