/*
 * Completion reports: what a rank tells rank 0 about the elements it worked on, packed into one
 * byte buffer per message so many completions travel in one MPI send. Ranks of one job run the
 * same binary on the same architecture, so fields are packed in host byte order. Each entry
 * starts with its kind byte; a range entry (consecutive elements done without results) is only
 * that byte, the first index, the count and the rank; a bits entry (elements done without results
 * that are not consecutive, e.g. one rank's share of chunks of 1 claimed by several) is that byte,
 * the index of its first bit (a multiple of 64), the number of 64-bit words, the rank and the
 * words: bit b of word k stands for element first + 64 k + b.
 */
#ifndef SMX_REPORT_H
#define SMX_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"

/* What an entry says. */
enum smx__report_kind {
    SMX__REPORT_FINAL = 1,   /* the element's final outcome in this job (done or failed) */
    SMX__REPORT_FAILURE = 2, /* an attempt failed and will be retried (kept in the failure ring) */
    SMX__REPORT_RELEASE = 3, /* the element was claimed but not finished: back to pending */
    SMX__REPORT_RANGE = 4,   /* elements [index, index + count) done without results, attempt 1 */
    SMX__REPORT_BITS = 5     /* the elements whose bits are set, done without results, attempt 1 */
};

/* Words in a bits entry, at most. */
#define SMX__REPORT_BITS_MAX 4096

#define SMX__REPORT_MAX_RESULTS 256

typedef struct smx__report {
    uint8_t kind;
    uint8_t status;
    uint16_t attempt;
    int32_t rank;
    uint64_t index;
    uint64_t count; /* SMX__REPORT_RANGE: elements in the range; SMX__REPORT_BITS: words; else 1 */
    const char *bits; /* SMX__REPORT_BITS: the words, unaligned, in the buffer unpacked from */
    int32_t exit_code;
    int32_t term_signal;
    double t_start, t_end;
    uint16_t nresults;
    char result_names[SMX__REPORT_MAX_RESULTS][SMX__RESULT_NAME_MAX];
    double result_values[SMX__REPORT_MAX_RESULTS];
    char tail[SMX__TAIL_MAX]; /* "" unless a failure */
} smx__report;

/* A growable byte buffer of packed reports. */
typedef struct smx__report_buf {
    char *data;
    size_t len, cap;
    size_t count;
} smx__report_buf;

/* Appends R; returns SMX_ENOMEM on allocation failure. */
int smx__report_pack(smx__report_buf *b, const smx__report *r);

/* Appends a range entry (SMX__REPORT_RANGE: 21 bytes on the wire, whatever COUNT is). */
int smx__report_pack_range(smx__report_buf *b, uint64_t first, uint64_t count, int32_t rank);

/*
 * Appends a bits entry: the NWORDS words at WORDS (1 to SMX__REPORT_BITS_MAX) for the elements from
 * FIRST (a multiple of 64) on.
 */
int smx__report_pack_bits(smx__report_buf *b, uint64_t first, const uint64_t *words, size_t nwords,
                          int32_t rank);

/* Unpacks the entry at *OFFSET of DATA (LEN bytes) into R and advances *OFFSET; SMX_EFORMAT if
 * truncated. */
int smx__report_unpack(const char *data, size_t len, size_t *offset, smx__report *r);

void smx__report_buf_clear(smx__report_buf *b);
void smx__report_buf_free(smx__report_buf *b);

#endif
