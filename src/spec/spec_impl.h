/*
 * The inside of a parsed spec, shared by the modules that read it (spec, space, template). Not part
 * of any public interface: everything else goes through spec.h.
 */
#ifndef SMX_SPEC_IMPL_H
#define SMX_SPEC_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "spec/spec.h"

enum smx__method { SMX__METHOD_GRID = 0, SMX__METHOD_RANDOM = 1, SMX__METHOD_LIST = 2 };

/* How a parameter produces its values. The first group are grid axes, the second random draws. */
enum smx__pkind {
    SMX__P_VALUES = 1, /* an explicit list (or a single value) */
    SMX__P_IRANGE,     /* integer min..max by step */
    SMX__P_FRANGE,     /* float min..max by step */
    SMX__P_LINEAR,     /* num points from min to max, evenly spaced */
    SMX__P_LOG,        /* num points from min to max, evenly spaced in log space */
    SMX__P_ROW,        /* a column of a list sweep's rows */
    SMX__P_CONSTANT,   /* random: always vals[0] */
    SMX__P_CATEGORICAL,
    SMX__P_UNIFORM,
    SMX__P_INT_UNIFORM,
    SMX__P_Q_UNIFORM,
    SMX__P_LOG_UNIFORM,
    SMX__P_NORMAL,
    SMX__P_LOG_NORMAL
};

typedef struct smx__param {
    char *name;
    int line, col; /* where the parameter's name is, 1-based */
    enum smx__pkind kind;
    smx_value_type type; /* the type of every value the parameter takes */
    smx_value *vals;     /* VALUES, CONSTANT, CATEGORICAL */
    size_t nvals;
    int64_t imin, imax, istep; /* IRANGE, INT_UNIFORM */
    double fmin, fmax, fstep; /* FRANGE, LINEAR, LOG, UNIFORM, Q_UNIFORM (fstep = q), LOG_UNIFORM */
    double mu, sigma;         /* NORMAL, LOG_NORMAL */
    uint64_t len;             /* grid: the number of values on this parameter's axis */
    int axis;                 /* grid: the axis this parameter belongs to (zip groups share one) */
    uint64_t key;             /* random: the stream key, a hash of the parameter's name */
    size_t column;            /* list: the column in the rows table */
    int used;                 /* referenced by some template */
} smx__param;

/* One piece of a compiled template: literal text, or a placeholder. */
typedef struct smx__seg {
    char *lit; /* literal text, or NULL for a placeholder */
    int param; /* placeholder: parameter position, or -1 for {index} */
} smx__seg;

typedef struct smx__tmpl {
    char *src; /* the template as written */
    smx__seg *segs;
    size_t nsegs;
} smx__tmpl;

typedef struct smx__env {
    char *name;
    smx__tmpl value;
} smx__env;

struct smx_spec {
    char *text;
    size_t len;
    char hash[65];
    char *filename;
    char *name;
    char *description;
    enum smx__method method;

    smx__param *params;
    size_t nparams;

    /* grid: axis lengths in axis order (the last axis varies fastest) */
    uint64_t *axis_len;
    uint64_t *axis_stride; /* product of the lengths of the axes after this one */
    size_t naxes;

    /* random */
    uint64_t seed;
    int has_seed;

    /* list: nrows * ncols values, row-major; strings owned by the spec */
    smx_value *rows;
    size_t ncols;

    uint64_t count;

    /* list from a CSV file: the file's text as read (or as captured in a state file) and the
     * path it was read from */
    char *csv_text;
    size_t csv_len;
    char *csv_path;

    /* The order of the elements when it is not the spec's own (after --extend): runs of spec
     * indices, order[2k] = first, order[2k+1] = length; order_end[k] = elements in runs 0..k.
     * NULL: element i is spec index i. */
    uint64_t *order;
    uint64_t *order_end;
    size_t norder;

    smx__tmpl *command;
    size_t ncommand;
    int has_command;
    int shell;
    smx__env *env;
    size_t nenv;
    smx__tmpl workdir;
    int has_workdir;
    double timeout;
    int retries;

    char **warnings; /* found while parsing */
    size_t nwarnings;
    char **uwarnings; /* unused parameters: recomputed when the command changes */
    size_t nuwarnings;
    char **strings; /* string values owned by the spec, freed with it */
    size_t nstrings;
};

/* space.c: sets up the axes of a grid (counting elements, refusing overflow) and counts the rest.
 */
int smx__space_init(smx_spec *spec);

/* space.c: the counter-based generator: 64 random bits for (seed, index, key, draw). */
uint64_t smx__space_random(uint64_t seed, uint64_t index, uint64_t key, uint64_t draw);

/* Position of the parameter called NAME among PARAMS[0 .. N-1], or -1. */
static inline int smx__param_find(const smx__param *params, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(params[i].name, name))
            return (int)i;
    return -1;
}

/*
 * template.c: compiles TEXT, whose placeholders name PARAMS[0 .. NPARAMS-1] (the spec's
 * parameters, so far as they are parsed); WHERE names the template's position for messages.
 */
typedef struct smx__where {
    const char *file; /* NULL: a command-line argument (argn) */
    int line, col;    /* where the template's first character is */
    int argn;
} smx__where;
int smx__template_compile(const smx__param *params, size_t nparams, const char *text,
                          const smx__where *where, smx__tmpl *out);
void smx__template_clear(smx__tmpl *t);

/* Recomputes the warnings for parameters that no template uses (after a parse or a new command). */
int smx__spec_check_unused(smx_spec *s);

#endif
