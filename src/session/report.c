/* Packing completion reports: see report.h. */
#include "session/report.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sweepmux/common.h"

static int put(smx__report_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return smx__error_oom();
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return SMX_OK;
}

/* Fixed part of an entry, in the order it is packed. */
struct fixed {
    uint64_t index;
    double t_start, t_end;
    int32_t rank, exit_code, term_signal;
    uint16_t attempt, nresults, tail_len;
    uint8_t kind, status;
};

/* A range entry, after its kind byte. */
struct range_entry {
    uint64_t first, count;
    int32_t rank;
};

int smx__report_pack_range(smx__report_buf *b, uint64_t first, uint64_t count, int32_t rank)
{
    uint8_t kind = SMX__REPORT_RANGE;
    struct range_entry e = {first, count, rank};
    char bytes[1 + sizeof e];
    bytes[0] = (char)kind;
    memcpy(bytes + 1, &e, sizeof e);
    int rc = put(b, bytes, sizeof bytes);
    if (rc == SMX_OK)
        b->count++;
    return rc;
}

/* A bits entry, after its kind byte (and before its words). */
struct bits_entry {
    uint64_t first;
    uint32_t nwords;
    int32_t rank;
};

int smx__report_pack_bits(smx__report_buf *b, uint64_t first, const uint64_t *words, size_t nwords,
                          int32_t rank)
{
    if (nwords == 0 || nwords > SMX__REPORT_BITS_MAX || first % 64)
        return smx__error(SMX_EUSAGE, "bits entry of %zu words at %llu", nwords,
                          (unsigned long long)first);
    struct bits_entry e = {first, (uint32_t)nwords, rank};
    char bytes[1 + sizeof e];
    bytes[0] = (char)SMX__REPORT_BITS;
    memcpy(bytes + 1, &e, sizeof e);
    int rc = put(b, bytes, sizeof bytes);
    if (rc == SMX_OK)
        rc = put(b, words, nwords * sizeof *words);
    if (rc == SMX_OK)
        b->count++;
    return rc;
}

int smx__report_pack(smx__report_buf *b, const smx__report *r)
{
    if (r->kind == SMX__REPORT_RANGE)
        return smx__report_pack_range(b, r->index, r->count, r->rank);
    struct fixed f;
    memset(&f, 0, sizeof f);
    f.index = r->index;
    f.t_start = r->t_start;
    f.t_end = r->t_end;
    f.rank = r->rank;
    f.exit_code = r->exit_code;
    f.term_signal = r->term_signal;
    f.attempt = r->attempt;
    f.nresults = r->nresults;
    f.tail_len = (uint16_t)strnlen(r->tail, SMX__TAIL_MAX - 1);
    f.kind = r->kind;
    f.status = r->status;
    int rc = put(b, &f.kind, 1);
    if (rc == SMX_OK)
        rc = put(b, &f, sizeof f);
    for (unsigned i = 0; rc == SMX_OK && i < r->nresults; i++) {
        uint8_t nl = (uint8_t)strnlen(r->result_names[i], SMX__RESULT_NAME_MAX - 1);
        rc = put(b, &nl, 1);
        if (rc == SMX_OK)
            rc = put(b, r->result_names[i], nl);
        if (rc == SMX_OK)
            rc = put(b, &r->result_values[i], sizeof(double));
    }
    if (rc == SMX_OK && f.tail_len)
        rc = put(b, r->tail, f.tail_len);
    if (rc == SMX_OK)
        b->count++;
    return rc;
}

int smx__report_unpack(const char *data, size_t len, size_t *offset, smx__report *r)
{
    struct fixed f;
    size_t o = *offset;
    if (o + 1 > len)
        return smx__error(SMX_EFORMAT, "truncated report");
    uint8_t kind = (uint8_t)data[o++];
    if (kind == SMX__REPORT_RANGE) {
        struct range_entry e;
        if (o + sizeof e > len)
            return smx__error(SMX_EFORMAT, "truncated report");
        memcpy(&e, data + o, sizeof e);
        memset(r, 0, offsetof(smx__report, result_names));
        r->kind = kind;
        r->status = SMX_STATUS_DONE;
        r->attempt = 1;
        r->index = e.first;
        r->count = e.count;
        r->rank = e.rank;
        r->tail[0] = '\0';
        *offset = o + sizeof e;
        return SMX_OK;
    }
    if (kind == SMX__REPORT_BITS) {
        struct bits_entry e;
        if (o + sizeof e > len)
            return smx__error(SMX_EFORMAT, "truncated report");
        memcpy(&e, data + o, sizeof e);
        o += sizeof e;
        if (e.nwords == 0 || e.nwords > SMX__REPORT_BITS_MAX || e.first % 64)
            return smx__error(SMX_EFORMAT, "malformed report");
        if (o + (size_t)e.nwords * sizeof(uint64_t) > len)
            return smx__error(SMX_EFORMAT, "truncated report");
        memset(r, 0, offsetof(smx__report, result_names));
        r->kind = kind;
        r->status = SMX_STATUS_DONE;
        r->attempt = 1;
        r->index = e.first;
        r->count = e.nwords;
        r->rank = e.rank;
        r->bits = data + o;
        r->tail[0] = '\0';
        *offset = o + (size_t)e.nwords * sizeof(uint64_t);
        return SMX_OK;
    }
    if (o + sizeof f > len)
        return smx__error(SMX_EFORMAT, "truncated report");
    memcpy(&f, data + o, sizeof f);
    o += sizeof f;
    if (f.kind != kind)
        return smx__error(SMX_EFORMAT, "malformed report");
    r->index = f.index;
    r->count = 1;
    r->bits = NULL;
    r->t_start = f.t_start;
    r->t_end = f.t_end;
    r->rank = f.rank;
    r->exit_code = f.exit_code;
    r->term_signal = f.term_signal;
    r->attempt = f.attempt;
    r->kind = f.kind;
    r->status = f.status;
    if (f.nresults > SMX__REPORT_MAX_RESULTS || f.tail_len >= SMX__TAIL_MAX)
        return smx__error(SMX_EFORMAT, "malformed report");
    r->nresults = f.nresults;
    for (unsigned i = 0; i < f.nresults; i++) {
        if (o + 1 > len)
            return smx__error(SMX_EFORMAT, "truncated report");
        uint8_t nl = (uint8_t)data[o++];
        if (nl >= SMX__RESULT_NAME_MAX || o + nl + sizeof(double) > len)
            return smx__error(SMX_EFORMAT, "truncated report");
        memcpy(r->result_names[i], data + o, nl);
        r->result_names[i][nl] = '\0';
        o += nl;
        memcpy(&r->result_values[i], data + o, sizeof(double));
        o += sizeof(double);
    }
    if (o + f.tail_len > len)
        return smx__error(SMX_EFORMAT, "truncated report");
    memcpy(r->tail, data + o, f.tail_len);
    r->tail[f.tail_len] = '\0';
    o += f.tail_len;
    *offset = o;
    return SMX_OK;
}

void smx__report_buf_clear(smx__report_buf *b)
{
    b->len = 0;
    b->count = 0;
}

void smx__report_buf_free(smx__report_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
