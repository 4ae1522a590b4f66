/* The stored parameters, captured inputs and element order of a state file: see params.h. */
#include "state/params.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/value.h"

/* Elements per chunk of a parameter dataset: 512 KiB of int64 or float64. */
#define CHUNK_ELEMENTS ((hsize_t)65536)
/* deflate level: 1 compresses a grid's periodic columns almost as well as 9, several times
 * faster (bench/create_params.sh). */
#define DEFLATE_LEVEL 1

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    if (n == 0 && e->desc && e->desc[0])
        snprintf(data, 256, "%s", e->desc);
    return 0;
}

/* Records CODE with the message and the innermost HDF5 message; call right after the failure. */
static int SMX__PRINTF(2, 3) h5_fail(int code, const char *fmt, ...)
{
    char msg[1024], h5[256] = "";
    va_list ap;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, h5);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return h5[0] ? smx__error(code, "%s (HDF5: %s)", msg, h5) : smx__error(code, "%s", msg);
}

#define PCHECK(expr, ...)                                                                          \
    do {                                                                                           \
        if ((expr) < 0) {                                                                          \
            rc = h5_fail(SMX_EIO, __VA_ARGS__);                                                    \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

static void drop(hid_t *id)
{
    if (*id >= 0) {
        H5Idec_ref(*id);
        *id = H5I_INVALID_HID;
    }
}

/* The file and memory types of a parameter column of type T. */
static hid_t file_type(smx_value_type t)
{
    switch (t) {
    case SMX_VALUE_INT:
        return H5T_STD_I64LE;
    case SMX_VALUE_FLOAT:
        return H5T_IEEE_F64LE;
    case SMX_VALUE_BOOL:
        return H5T_STD_U8LE;
    default:
        return H5T_STD_U32LE;
    }
}

static hid_t mem_type(smx_value_type t)
{
    switch (t) {
    case SMX_VALUE_INT:
        return H5T_NATIVE_INT64;
    case SMX_VALUE_FLOAT:
        return H5T_NATIVE_DOUBLE;
    case SMX_VALUE_BOOL:
        return H5T_NATIVE_UINT8;
    default:
        return H5T_NATIVE_UINT32;
    }
}

static size_t elem_size(smx_value_type t)
{
    return t == SMX_VALUE_INT || t == SMX_VALUE_FLOAT ? 8 : t == SMX_VALUE_BOOL ? 1 : 4;
}

static int put_str_attr(hid_t loc, const char *name, const char *value, const char *where)
{
    int rc = 0;
    hid_t t = H5I_INVALID_HID, sp = H5I_INVALID_HID, a = H5I_INVALID_HID;
    size_t len = strlen(value);
    PCHECK(t = H5Tcopy(H5T_C_S1), "%s: attribute %s", where, name);
    PCHECK(H5Tset_size(t, len ? len : 1), "%s: attribute %s", where, name);
    PCHECK(H5Tset_cset(t, H5T_CSET_UTF8), "%s: attribute %s", where, name);
    PCHECK(H5Tset_strpad(t, H5T_STR_NULLPAD), "%s: attribute %s", where, name);
    PCHECK(sp = H5Screate(H5S_SCALAR), "%s: attribute %s", where, name);
    PCHECK(a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create attribute %s", where, name);
    PCHECK(H5Awrite(a, t, len ? value : "\0"), "%s: cannot write attribute %s", where, name);
done:
    drop(&a);
    drop(&sp);
    drop(&t);
    return rc;
}

/* Reads a fixed-length string attribute into BUF (truncated to N bytes). */
static int get_str_attr(hid_t loc, const char *name, char *buf, size_t n, const char *where)
{
    int rc = 0;
    hid_t a = H5I_INVALID_HID, t = H5I_INVALID_HID;
    char *tmp = NULL;
    PCHECK(a = H5Aopen(loc, name, H5P_DEFAULT), "%s: no attribute %s", where, name);
    PCHECK(t = H5Aget_type(a), "%s: attribute %s", where, name);
    if (H5Tget_class(t) != H5T_STRING) {
        rc = smx__error(SMX_EFORMAT, "%s: attribute %s is not a string", where, name);
        goto done;
    }
    if (H5Tis_variable_str(t) > 0) {
        /* Written by h5py (attrs["type"] = "int"): one variable-length string. */
        char *v = NULL;
        PCHECK(H5Aread(a, t, &v), "%s: cannot read attribute %s", where, name);
        snprintf(buf, n, "%s", v ? v : "");
        H5free_memory(v);
        goto done;
    }
    size_t sz = H5Tget_size(t);
    if (!(tmp = calloc(sz + 1, 1))) {
        rc = smx__error_oom();
        goto done;
    }
    PCHECK(H5Aread(a, t, tmp), "%s: cannot read attribute %s", where, name);
    snprintf(buf, n, "%s", tmp);
done:
    free(tmp);
    drop(&t);
    drop(&a);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------------------------- */

/* Distinct strings of one parameter in first-use order, with a hash index over them. */
typedef struct strtab {
    const char **vals;
    size_t n, cap;
    uint32_t *slots; /* code + 1, or 0 for empty */
    size_t nslots;
} strtab;

static uint64_t str_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    return h;
}

static int strtab_grow(strtab *t)
{
    size_t ns = t->nslots ? t->nslots * 2 : 64;
    uint32_t *slots = calloc(ns, sizeof *slots);
    if (!slots)
        return smx__error_oom();
    for (size_t i = 0; i < t->n; i++) {
        size_t p = str_hash(t->vals[i]) & (ns - 1);
        while (slots[p])
            p = (p + 1) & (ns - 1);
        slots[p] = (uint32_t)i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
    return 0;
}

/* The code of S, adding it (borrowed: S lives as long as the spec) when it is new. */
static int strtab_code(strtab *t, const char *s, uint32_t *code)
{
    if (2 * (t->n + 1) > t->nslots && strtab_grow(t))
        return SMX_ENOMEM;
    size_t p = str_hash(s) & (t->nslots - 1);
    for (; t->slots[p]; p = (p + 1) & (t->nslots - 1))
        if (!strcmp(t->vals[t->slots[p] - 1], s)) {
            *code = t->slots[p] - 1;
            return 0;
        }
    if (t->n == UINT32_MAX)
        return smx__error(SMX_EINPUT, "a string parameter has more than 2^32 - 1 distinct values");
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        const char **v = realloc(t->vals, nc * sizeof *v);
        if (!v)
            return smx__error_oom();
        t->vals = v;
        t->cap = nc;
    }
    t->vals[t->n] = s;
    t->slots[p] = (uint32_t)t->n + 1;
    *code = (uint32_t)t->n++;
    return 0;
}

/* Creates /params/NAME for parameter I of SPEC with N elements, and its attributes. */
static hid_t create_column(hid_t g, const char *where, const smx_spec *spec, size_t i, uint64_t n)
{
    int rc = 0;
    hid_t dcpl = H5I_INVALID_HID, sp = H5I_INVALID_HID, d = H5I_INVALID_HID, a = H5I_INVALID_HID;
    hid_t asp = H5I_INVALID_HID;
    const char *name = smx__spec_param_name(spec, i);
    smx_value_type t = smx__spec_param_type(spec, i);
    hsize_t dims[1] = {n}, chunk[1] = {n < CHUNK_ELEMENTS ? n : CHUNK_ELEMENTS};
    int32_t order = (int32_t)i;
    PCHECK(dcpl = H5Pcreate(H5P_DATASET_CREATE), "%s: /params/%s", where, name);
    PCHECK(H5Pset_chunk(dcpl, 1, chunk), "%s: /params/%s", where, name);
    PCHECK(H5Pset_shuffle(dcpl), "%s: /params/%s", where, name);
    PCHECK(H5Pset_deflate(dcpl, DEFLATE_LEVEL), "%s: /params/%s", where, name);
    PCHECK(H5Pset_obj_track_times(dcpl, 0), "%s: /params/%s", where, name);
    PCHECK(sp = H5Screate_simple(1, dims, NULL), "%s: /params/%s", where, name);
    PCHECK(d = H5Dcreate2(g, name, file_type(t), sp, H5P_DEFAULT, dcpl, H5P_DEFAULT),
           "%s: cannot create /params/%s", where, name);
    if ((rc = put_str_attr(d, "type", smx__value_type_word(t), where)))
        goto done;
    PCHECK(asp = H5Screate(H5S_SCALAR), "%s: /params/%s", where, name);
    PCHECK(a = H5Acreate2(d, "order", H5T_STD_I32LE, asp, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create attribute order of /params/%s", where, name);
    PCHECK(H5Awrite(a, H5T_NATIVE_INT32, &order), "%s: cannot write attribute order", where);
done:
    drop(&a);
    drop(&asp);
    drop(&sp);
    drop(&dcpl);
    if (rc)
        drop(&d);
    return d;
}

/* Writes COUNT values from BUF at START of column D. */
static int write_slab(hid_t d, hid_t mtype, uint64_t start, uint64_t count, const void *buf,
                      const char *where, const char *name)
{
    int rc = 0;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    hsize_t off[1] = {start}, cnt[1] = {count};
    PCHECK(fs = H5Dget_space(d), "%s: /params/%s", where, name);
    PCHECK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, NULL, cnt, NULL), "%s: /params/%s", where,
           name);
    PCHECK(ms = H5Screate_simple(1, cnt, NULL), "%s: /params/%s", where, name);
    PCHECK(H5Dwrite(d, mtype, ms, fs, H5P_DEFAULT, buf), "%s: cannot write /params/%s", where,
           name);
done:
    drop(&ms);
    drop(&fs);
    return rc;
}

/* Writes /param_values/NAME: the distinct strings of one parameter. */
static int write_value_table(hid_t g, const char *where, const char *name, const strtab *t)
{
    int rc = 0;
    hid_t st = H5I_INVALID_HID, sp = H5I_INVALID_HID, d = H5I_INVALID_HID;
    hsize_t dims[1] = {t->n};
    PCHECK(st = H5Tcopy(H5T_C_S1), "%s: /param_values/%s", where, name);
    PCHECK(H5Tset_size(st, H5T_VARIABLE), "%s: /param_values/%s", where, name);
    PCHECK(H5Tset_cset(st, H5T_CSET_UTF8), "%s: /param_values/%s", where, name);
    PCHECK(sp = H5Screate_simple(1, dims, NULL), "%s: /param_values/%s", where, name);
    PCHECK(d = H5Dcreate2(g, name, st, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create /param_values/%s", where, name);
    if (t->n)
        PCHECK(H5Dwrite(d, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->vals),
               "%s: cannot write /param_values/%s", where, name);
done:
    drop(&d);
    drop(&sp);
    drop(&st);
    return rc;
}

/* Fills the column buffers with elements [START, START + COUNT) of SPEC. */
static int fill_chunk(const smx_spec *spec, uint64_t start, uint64_t count, smx_value *vals,
                      void **bufs, strtab *tabs)
{
    size_t np = smx__spec_nparams(spec);
    for (uint64_t k = 0; k < count; k++) {
        int rc = smx__spec_values(spec, start + k, vals);
        if (rc)
            return rc;
        for (size_t i = 0; i < np; i++) {
            const smx_value *v = &vals[i];
            switch (smx__spec_param_type(spec, i)) {
            case SMX_VALUE_INT:
                ((int64_t *)bufs[i])[k] = v->u.i;
                break;
            case SMX_VALUE_FLOAT:
                ((double *)bufs[i])[k] = v->u.f;
                break;
            case SMX_VALUE_BOOL:
                ((uint8_t *)bufs[i])[k] = v->u.b ? 1 : 0;
                break;
            default:
                if ((rc = strtab_code(&tabs[i], v->u.s ? v->u.s : "", &((uint32_t *)bufs[i])[k])))
                    return rc;
            }
        }
    }
    return 0;
}

/* The captured CSV text and the element order, when the spec has them. */
static int write_inputs(hid_t f, const char *where, const smx_spec *spec)
{
    int rc = 0;
    hid_t g = H5I_INVALID_HID, t = H5I_INVALID_HID, sp = H5I_INVALID_HID, d = H5I_INVALID_HID;
    size_t len = 0, nruns = 0;
    const char *path = NULL, *csv = smx__spec_csv(spec, &len, &path);
    const uint64_t *runs = smx__spec_order(spec, &nruns);
    if (csv) {
        PCHECK(g = H5Gcreate2(f, "inputs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               "%s: cannot create /inputs", where);
        PCHECK(t = H5Tcopy(H5T_C_S1), "%s: /inputs/csv", where);
        PCHECK(H5Tset_size(t, len ? len : 1), "%s: /inputs/csv", where);
        PCHECK(H5Tset_cset(t, H5T_CSET_UTF8), "%s: /inputs/csv", where);
        PCHECK(H5Tset_strpad(t, H5T_STR_NULLPAD), "%s: /inputs/csv", where);
        PCHECK(sp = H5Screate(H5S_SCALAR), "%s: /inputs/csv", where);
        PCHECK(d = H5Dcreate2(g, "csv", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
               "%s: cannot create /inputs/csv", where);
        PCHECK(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, len ? csv : "\0"),
               "%s: cannot write /inputs/csv", where);
        if ((rc = put_str_attr(d, "path", path ? path : "", where)))
            goto done;
        drop(&d);
        drop(&sp);
    }
    if (nruns) {
        hsize_t dims[2] = {nruns, 2};
        PCHECK(sp = H5Screate_simple(2, dims, NULL), "%s: /element_order", where);
        PCHECK(d = H5Dcreate2(f, "element_order", H5T_STD_U64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT),
               "%s: cannot create /element_order", where);
        PCHECK(H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, runs),
               "%s: cannot write /element_order", where);
    }
done:
    drop(&d);
    drop(&sp);
    drop(&t);
    drop(&g);
    return rc;
}

int smx__params_write(hid_t f, const char *where, const smx_spec *spec)
{
    int rc = 0;
    size_t np = smx__spec_nparams(spec);
    uint64_t n = smx__spec_count(spec);
    hid_t g = H5I_INVALID_HID, gv = H5I_INVALID_HID;
    hid_t *cols = calloc(np ? np : 1, sizeof *cols);
    void **bufs = calloc(np ? np : 1, sizeof *bufs);
    strtab *tabs = calloc(np ? np : 1, sizeof *tabs);
    smx_value *vals = calloc(np ? np : 1, sizeof *vals);
    if (!cols || !bufs || !tabs || !vals) {
        rc = smx__error_oom();
        goto done;
    }
    for (size_t i = 0; i < np; i++)
        cols[i] = H5I_INVALID_HID;
    if ((rc = write_inputs(f, where, spec)))
        goto done;
    PCHECK(g = H5Gcreate2(f, "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create /params", where);
    PCHECK(gv = H5Gcreate2(f, "param_values", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create /param_values", where);
    if (n == 0)
        goto done;
    for (size_t i = 0; i < np; i++) {
        size_t b = n < CHUNK_ELEMENTS ? (size_t)n : (size_t)CHUNK_ELEMENTS;
        if (!(bufs[i] = malloc(b * elem_size(smx__spec_param_type(spec, i))))) {
            rc = smx__error_oom();
            goto done;
        }
        if ((cols[i] = create_column(g, where, spec, i, n)) < 0) {
            rc = smx_error_last_code();
            goto done;
        }
    }
    /* One chunk of every column at a time: memory stays at a few MiB for any sweep size. */
    for (uint64_t s = 0; s < n; s += CHUNK_ELEMENTS) {
        uint64_t c = n - s < CHUNK_ELEMENTS ? n - s : CHUNK_ELEMENTS;
        if ((rc = fill_chunk(spec, s, c, vals, bufs, tabs)))
            goto done;
        for (size_t i = 0; i < np; i++)
            if ((rc = write_slab(cols[i], mem_type(smx__spec_param_type(spec, i)), s, c, bufs[i],
                                 where, smx__spec_param_name(spec, i))))
                goto done;
    }
    for (size_t i = 0; i < np; i++)
        if (smx__spec_param_type(spec, i) == SMX_VALUE_STRING &&
            (rc = write_value_table(gv, where, smx__spec_param_name(spec, i), &tabs[i])))
            goto done;
done:
    for (size_t i = 0; cols && bufs && tabs && i < np; i++) {
        drop(&cols[i]);
        free(bufs[i]);
        free(tabs[i].vals);
        free(tabs[i].slots);
    }
    free(cols);
    free(bufs);
    free(tabs);
    free(vals);
    drop(&gv);
    drop(&g);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------------------------- */

typedef struct pcol {
    char *name;
    int32_t order;
    smx_value_type type;
    hid_t d;
    char **table; /* string parameters: the value table */
    size_t ntable;
} pcol;

struct smx__params {
    const char *where;
    pcol *cols;
    size_t n;
    uint64_t elements;
    void *buf;
    size_t bufcap;
};

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)g;
    (void)info;
    smx__params *p = data;
    pcol *c = realloc(p->cols, (p->n + 1) * sizeof *c);
    if (!c)
        return -1;
    p->cols = c;
    memset(&c[p->n], 0, sizeof *c);
    c[p->n].d = H5I_INVALID_HID;
    if (!(c[p->n].name = strdup(name)))
        return -1;
    p->n++;
    return 0;
}

static int col_cmp(const void *a, const void *b)
{
    const pcol *x = a, *y = b;
    return (x->order > y->order) - (x->order < y->order);
}

static int read_table(hid_t f, pcol *c, const char *where)
{
    int rc = 0;
    hid_t d = H5I_INVALID_HID, sp = H5I_INVALID_HID, st = H5I_INVALID_HID;
    char path[300];
    snprintf(path, sizeof path, "/param_values/%s", c->name);
    PCHECK(d = H5Dopen2(f, path, H5P_DEFAULT), "%s: cannot open %s", where, path);
    PCHECK(sp = H5Dget_space(d), "%s: %s", where, path);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    PCHECK(n, "%s: %s", where, path);
    PCHECK(st = H5Tcopy(H5T_C_S1), "%s: %s", where, path);
    PCHECK(H5Tset_size(st, H5T_VARIABLE), "%s: %s", where, path);
    PCHECK(H5Tset_cset(st, H5T_CSET_UTF8), "%s: %s", where, path);
    if (!(c->table = calloc((size_t)n + 1, sizeof *c->table))) {
        rc = smx__error_oom();
        goto done;
    }
    c->ntable = (size_t)n;
    if (n)
        PCHECK(H5Dread(d, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, c->table), "%s: cannot read %s", where,
               path);
done:
    drop(&st);
    drop(&sp);
    drop(&d);
    return rc;
}

/* Opens the dataset of column C and reads its attributes. */
static int open_col(hid_t g, hid_t f, pcol *c, const char *where, uint64_t *n)
{
    int rc = 0;
    hid_t a = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    char word[16];
    PCHECK(c->d = H5Dopen2(g, c->name, H5P_DEFAULT), "%s: cannot open /params/%s", where, c->name);
    if ((rc = get_str_attr(c->d, "type", word, sizeof word, where)))
        goto done;
    static const smx_value_type types[] = {SMX_VALUE_INT, SMX_VALUE_FLOAT, SMX_VALUE_BOOL,
                                           SMX_VALUE_STRING};
    c->type = 0;
    for (size_t k = 0; k < 4; k++)
        if (!strcmp(word, smx__value_type_word(types[k])))
            c->type = types[k];
    if (!c->type) {
        rc = smx__error(SMX_EFORMAT,
                        "%s: /params/%s has type \"%s\"; expected int, float, bool or "
                        "string",
                        where, c->name, word);
        goto done;
    }
    PCHECK(a = H5Aopen(c->d, "order", H5P_DEFAULT), "%s: /params/%s has no attribute order", where,
           c->name);
    PCHECK(H5Aread(a, H5T_NATIVE_INT32, &c->order), "%s: /params/%s: attribute order", where,
           c->name);
    PCHECK(sp = H5Dget_space(c->d), "%s: /params/%s", where, c->name);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    PCHECK(np, "%s: /params/%s", where, c->name);
    *n = (uint64_t)np;
    if (c->type == SMX_VALUE_STRING)
        rc = read_table(f, c, where);
done:
    drop(&sp);
    drop(&a);
    return rc;
}

int smx__params_open(hid_t f, const char *where, smx__params **out)
{
    int rc = 0;
    hid_t g = H5I_INVALID_HID;
    smx__params *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        return smx__error_oom();
    p->where = where;
    PCHECK(g = H5Gopen2(f, "params", H5P_DEFAULT), "%s: no group /params", p->where);
    PCHECK(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, list_cb, p), "%s: cannot list /params",
           p->where);
    for (size_t i = 0; i < p->n; i++) {
        uint64_t n = 0;
        if ((rc = open_col(g, f, &p->cols[i], p->where, &n)))
            goto done;
        if (i > 0 && n != p->elements) {
            rc = smx__error(SMX_EFORMAT, "%s: /params/%s has %llu elements, /params/%s %llu",
                            p->where, p->cols[i].name, (unsigned long long)n, p->cols[0].name,
                            (unsigned long long)p->elements);
            goto done;
        }
        p->elements = n;
    }
    qsort(p->cols, p->n, sizeof *p->cols, col_cmp);
    *out = p;
    p = NULL;
done:
    drop(&g);
    smx__params_close(p);
    return rc;
}

void smx__params_close(smx__params *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        pcol *c = &p->cols[i];
        for (size_t k = 0; k < c->ntable; k++)
            H5free_memory(c->table[k]); /* H5Dread allocated them */
        free(c->table);
        drop(&c->d);
        free(c->name);
    }
    free(p->cols);
    free(p->buf);
    free(p);
}

size_t smx__params_count(const smx__params *p)
{
    return p->n;
}

const char *smx__params_name(const smx__params *p, size_t i)
{
    return p->cols[i].name;
}

smx_value_type smx__params_type(const smx__params *p, size_t i)
{
    return p->cols[i].type;
}

uint64_t smx__params_elements(const smx__params *p)
{
    return p->elements;
}

/* Converts COUNT raw values of column C into every NP-th entry of VALS. */
static int convert(const smx__params *p, const pcol *c, const void *raw, uint64_t start,
                   uint64_t count, smx_value *vals, size_t np)
{
    for (uint64_t k = 0; k < count; k++) {
        smx_value *v = &vals[k * np];
        v->type = c->type;
        switch (c->type) {
        case SMX_VALUE_INT:
            v->u.i = ((const int64_t *)raw)[k];
            break;
        case SMX_VALUE_FLOAT:
            v->u.f = ((const double *)raw)[k];
            break;
        case SMX_VALUE_BOOL:
            v->u.b = ((const uint8_t *)raw)[k] != 0;
            break;
        default: {
            uint32_t code = ((const uint32_t *)raw)[k];
            if (code >= c->ntable)
                return smx__error(SMX_EFORMAT,
                                  "%s: /params/%s[%llu] is code %u but /param_values/%s has %zu "
                                  "values",
                                  p->where, c->name, (unsigned long long)(start + k), code, c->name,
                                  c->ntable);
            v->u.s = c->table[code] ? c->table[code] : "";
        }
        }
    }
    return 0;
}

int smx__params_read(smx__params *p, uint64_t start, uint64_t count, smx_value *vals)
{
    int rc = 0;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    if (start > p->elements || count > p->elements - start)
        return smx__error(SMX_EINPUT, "%s: elements %llu..%llu are beyond the %llu stored",
                          p->where, (unsigned long long)start, (unsigned long long)(start + count),
                          (unsigned long long)p->elements);
    if (count * 8 > p->bufcap) {
        void *b = realloc(p->buf, count * 8);
        if (!b)
            return smx__error_oom();
        p->buf = b;
        p->bufcap = count * 8;
    }
    for (size_t i = 0; i < p->n && count; i++) {
        pcol *c = &p->cols[i];
        hsize_t off[1] = {start}, cnt[1] = {count};
        PCHECK(fs = H5Dget_space(c->d), "%s: /params/%s", p->where, c->name);
        PCHECK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, NULL, cnt, NULL), "%s: /params/%s",
               p->where, c->name);
        PCHECK(ms = H5Screate_simple(1, cnt, NULL), "%s: /params/%s", p->where, c->name);
        PCHECK(H5Dread(c->d, mem_type(c->type), ms, fs, H5P_DEFAULT, p->buf),
               "%s: cannot read /params/%s", p->where, c->name);
        drop(&ms);
        drop(&fs);
        if ((rc = convert(p, c, p->buf, start, count, vals + i, p->n)))
            goto done;
    }
done:
    drop(&ms);
    drop(&fs);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * The stored spec, with its captured inputs
 * ------------------------------------------------------------------------------------------- */

/* Reads /inputs/csv if the file has it (*TEXT NULL otherwise). */
static int read_csv(hid_t f, const char *where, char **text, size_t *len)
{
    int rc = 0;
    hid_t d = H5I_INVALID_HID, t = H5I_INVALID_HID;
    *text = NULL;
    *len = 0;
    htri_t has = H5Lexists(f, "inputs", H5P_DEFAULT);
    PCHECK(has, "%s: cannot look up /inputs", where);
    if (has) {
        has = H5Lexists(f, "inputs/csv", H5P_DEFAULT);
        PCHECK(has, "%s: cannot look up /inputs/csv", where);
    }
    if (!has)
        goto done;
    PCHECK(d = H5Dopen2(f, "inputs/csv", H5P_DEFAULT), "%s: cannot open /inputs/csv", where);
    PCHECK(t = H5Dget_type(d), "%s: /inputs/csv", where);
    if (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) != 0) {
        rc = smx__error(SMX_EFORMAT, "%s: /inputs/csv is not a fixed-length string", where);
        goto done;
    }
    size_t sz = H5Tget_size(t);
    if (!(*text = calloc(sz + 1, 1))) {
        rc = smx__error_oom();
        goto done;
    }
    PCHECK(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, *text), "%s: cannot read /inputs/csv",
           where);
    *len = strlen(*text);
done:
    if (rc) {
        free(*text);
        *text = NULL;
    }
    drop(&t);
    drop(&d);
    return rc;
}

/* Reads /element_order if the file has it (*RUNS NULL otherwise). */
static int read_order(hid_t f, const char *where, uint64_t **runs, size_t *nruns)
{
    int rc = 0;
    hid_t d = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    *runs = NULL;
    *nruns = 0;
    htri_t has = H5Lexists(f, "element_order", H5P_DEFAULT);
    PCHECK(has, "%s: cannot look up /element_order", where);
    if (!has)
        goto done;
    PCHECK(d = H5Dopen2(f, "element_order", H5P_DEFAULT), "%s: cannot open /element_order", where);
    PCHECK(sp = H5Dget_space(d), "%s: /element_order", where);
    hsize_t dims[2] = {0, 0};
    if (H5Sget_simple_extent_ndims(sp) != 2 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0 ||
        dims[1] != 2) {
        rc = smx__error(SMX_EFORMAT, "%s: /element_order is not a [R][2] table", where);
        goto done;
    }
    if (!(*runs = malloc((dims[0] ? dims[0] : 1) * 2 * sizeof **runs))) {
        rc = smx__error_oom();
        goto done;
    }
    PCHECK(H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, *runs),
           "%s: cannot read /element_order", where);
    *nruns = (size_t)dims[0];
done:
    if (rc) {
        free(*runs);
        *runs = NULL;
    }
    drop(&sp);
    drop(&d);
    return rc;
}

int smx__inputs_read(hid_t f, const char *where, char **csv, size_t *csv_len, uint64_t **runs,
                     size_t *nruns)
{
    int rc = read_csv(f, where, csv, csv_len);
    if (rc == 0 && (rc = read_order(f, where, runs, nruns))) {
        free(*csv);
        *csv = NULL;
    }
    return rc;
}
