/*
 * Text files for the spec parser: reading a bounded file, checking UTF-8 with a line and column,
 * and splitting CSV text (RFC 4180) into cells that know where they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "spec/spec.h"
#include "spec/textfile.h"

int smx__sp_read_file(const char *path, const char *shown, char **out, size_t *outlen)
{
    /* Non-blocking, so that a FIFO cannot hang the open; it is refused below (A2-5). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return smx__error(errno == ENOENT ? SMX_EINPUT : SMX_EIO, "%s: cannot open: %s", shown,
                          strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return smx__error(SMX_EIO, "%s: cannot stat: %s", shown, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return smx__error(SMX_EINPUT, "%s: is a directory; expected a file", shown);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return smx__error(SMX_EINPUT,
                          "%s: is a %s, not a regular file; expected a file (copy the text into "
                          "one)",
                          shown,
                          S_ISFIFO(st.st_mode)   ? "named pipe (FIFO)"
                          : S_ISSOCK(st.st_mode) ? "socket"
                                                 : "device");
    }
    if (st.st_size > (off_t)SMX__SPEC_MAX_BYTES) {
        close(fd);
        return smx__error(SMX_EINPUT,
                          "%s: the file has %lld bytes, more than the limit of %u bytes (16 MiB); "
                          "a spec must be smaller (generate large lists as CSV rows)",
                          shown, (long long)st.st_size, SMX__SPEC_MAX_BYTES);
    }
    /* Read up to one byte past the limit: a file that grew after fstat is still refused. */
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return smx__error_oom();
    }
    for (;;) {
        if (n == cap) {
            if (cap > SMX__SPEC_MAX_BYTES)
                break;
            size_t ncap = cap * 2 > SMX__SPEC_MAX_BYTES + 1 ? SMX__SPEC_MAX_BYTES + 1 : cap * 2;
            char *b = realloc(buf, ncap + 1);
            if (!b) {
                free(buf);
                close(fd);
                return smx__error_oom();
            }
            buf = b;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return smx__error(SMX_EIO, "%s: cannot read: %s", shown, strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > SMX__SPEC_MAX_BYTES) {
        free(buf);
        return smx__error(SMX_EINPUT,
                          "%s: the file has more than %u bytes (16 MiB); a spec must "
                          "be smaller",
                          shown, SMX__SPEC_MAX_BYTES);
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

void smx__sp_cells_free(cell *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(cells[i].text);
    free(cells);
}

/* Splits CSV text (RFC 4180: quoted fields may hold commas, quotes as "" and newlines) into
 * cells; *rowlen receives the number of fields of each record, blank lines are skipped. */
/* A CSV scan: where it is in the text, for messages as well as for reading. */
typedef struct scan {
    const char *file, *t;
    size_t len, i;
    int line, col;
} scan;

/* A line ends at LF or CR LF; a lone CR is data (in an unquoted field) or a mistake. */
static int at_eol(const scan *sc)
{
    return sc->i < sc->len &&
           (sc->t[sc->i] == '\n' ||
            (sc->t[sc->i] == '\r' && sc->i + 1 < sc->len && sc->t[sc->i + 1] == '\n'));
}

static void skip_eol(scan *sc)
{
    sc->i += sc->t[sc->i] == '\r' ? 2 : 1;
    sc->line++;
    sc->col = 1;
}

/* Appends CH to the cell's text, which keeps room for the final NUL. */
static int put(cell *ce, size_t *bl, size_t *bcap, char ch)
{
    if (*bl + 2 > *bcap) {
        char *nb = realloc(ce->text, *bcap *= 2);
        if (!nb)
            return smx__error_oom();
        ce->text = nb;
    }
    ce->text[(*bl)++] = ch;
    return 0;
}

/* A quoted field, from its opening quote: "" is a quote, newlines are data. */
static int quoted_field(scan *sc, cell *ce, size_t *bl, size_t *bcap)
{
    int rc;
    ce->quoted = 1;
    sc->i++;
    sc->col++;
    for (;;) {
        if (sc->i >= sc->len)
            return smx__error(SMX_EINPUT, "%s:%d:%d: unterminated quoted field; close it with '\"'",
                              sc->file, ce->line, ce->col);
        char ch = sc->t[sc->i];
        if (ch == '"') {
            int doubled = sc->i + 1 < sc->len && sc->t[sc->i + 1] == '"';
            sc->i += doubled ? 2 : 1;
            sc->col += doubled ? 2 : 1;
            if (!doubled)
                break;
        } else {
            sc->i++;
            if (ch == '\n') {
                sc->line++;
                sc->col = 1;
            } else if (((unsigned char)ch & 0xC0) != 0x80) {
                sc->col++;
            }
        }
        if ((rc = put(ce, bl, bcap, ch)))
            return rc;
    }
    if (sc->i < sc->len && sc->t[sc->i] != ',' && !at_eol(sc))
        return smx__error(SMX_EINPUT,
                          "%s:%d:%d: %s after a quoted field; expected ',' or the end of the line "
                          "(LF or CR LF)",
                          sc->file, sc->line, sc->col,
                          sc->t[sc->i] == '\r' ? "a carriage return without a line feed" : "text");
    return 0;
}

/* An unquoted field: up to ',' or the end of the line, surrounding blanks trimmed. */
static int plain_field(scan *sc, cell *ce, size_t *bl, size_t *bcap)
{
    int rc;
    while (sc->i < sc->len && sc->t[sc->i] != ',' && !at_eol(sc)) {
        if (sc->t[sc->i] == '"')
            return smx__error(SMX_EINPUT,
                              "%s:%d:%d: a '\"' inside an unquoted field; quote the whole field "
                              "and double the quote (\"\")",
                              sc->file, sc->line, sc->col);
        if (((unsigned char)sc->t[sc->i] & 0xC0) != 0x80)
            sc->col++;
        if ((rc = put(ce, bl, bcap, sc->t[sc->i++])))
            return rc;
    }
    /* Surrounding blanks are layout, not data, in an unquoted field. */
    char *b = ce->text;
    while (*bl && (b[*bl - 1] == ' ' || b[*bl - 1] == '\t'))
        (*bl)--;
    size_t lead = 0;
    while (lead < *bl && (b[lead] == ' ' || b[lead] == '\t'))
        lead++;
    memmove(b, b + lead, *bl - lead);
    *bl -= lead;
    ce->col += (int)lead;
    return 0;
}

/* One field into a new cell at the end of *CELLS. */
static int field(scan *sc, cell **cells, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        cell *cc = realloc(*cells, nc * sizeof *cc);
        if (!cc)
            return smx__error_oom();
        *cells = cc;
        *cap = nc;
    }
    cell *ce = &(*cells)[*n];
    *ce = (cell){.line = sc->line, .col = sc->col};
    size_t bcap = 16, bl = 0;
    if (!(ce->text = malloc(bcap)))
        return smx__error_oom();
    (*n)++;
    int rc = sc->i < sc->len && sc->t[sc->i] == '"' ? quoted_field(sc, ce, &bl, &bcap)
                                                    : plain_field(sc, ce, &bl, &bcap);
    ce->text[bl] = '\0';
    return rc;
}

int smx__sp_csv_split(const char *file, const char *t, size_t len, cell **out, size_t *ncells,
                      size_t **rowlen, size_t *nrows)
{
    scan sc = {.file = file, .t = t, .len = len, .line = 1, .col = 1};
    /* A UTF-8 byte order mark (Excel's "CSV UTF-8" writes one) is not part of the first name. */
    if (len >= 3 && !memcmp(t, "\xEF\xBB\xBF", 3))
        sc.i = 3;
    cell *cells = NULL;
    size_t n = 0, cap = 0, *rl = NULL, nr = 0, capr = 0;
    int rc = 0;
    while (sc.i < len && !rc) {
        /* A blank line (or trailing newline) is not a record. */
        if (at_eol(&sc)) {
            skip_eol(&sc);
            continue;
        }
        size_t fields = 0;
        for (;;) {
            if ((rc = field(&sc, &cells, &n, &cap)))
                break;
            fields++;
            if (sc.i < len && t[sc.i] == ',') {
                sc.i++;
                sc.col++;
                continue;
            }
            if (sc.i < len)
                skip_eol(&sc);
            break;
        }
        if (rc)
            break;
        if (nr == capr) {
            capr = capr ? 2 * capr : 64;
            size_t *r2 = realloc(rl, capr * sizeof *r2);
            if (!r2) {
                rc = smx__error_oom();
                break;
            }
            rl = r2;
        }
        rl[nr++] = fields;
    }
    if (rc) {
        smx__sp_cells_free(cells, n);
        free(rl);
        return rc;
    }
    *out = cells;
    *ncells = n;
    *rowlen = rl;
    *nrows = nr;
    return 0;
}

int smx__sp_utf8_check(const char *file, const char *t, size_t len)
{
    int line = 1, col = 1;
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)t[i];
        size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        int ok = n != 0 && i + n <= len && !(n == 2 && b < 0xC2) && !(b > 0xF4);
        for (size_t k = 1; ok && k < n; k++)
            ok = ((unsigned char)t[i + k] & 0xC0) == 0x80;
        if (ok && n == 3) {
            unsigned char b1 = (unsigned char)t[i + 1];
            ok = !(b == 0xE0 && b1 < 0xA0) && !(b == 0xED && b1 >= 0xA0);
        }
        if (ok && n == 4) {
            unsigned char b1 = (unsigned char)t[i + 1];
            ok = !(b == 0xF0 && b1 < 0x90) && !(b == 0xF4 && b1 >= 0x90);
        }
        if (!ok)
            return smx__error(SMX_EINPUT,
                              "%s:%d:%d: invalid UTF-8 (byte 0x%02X); the file must be UTF-8 text",
                              file, line, col, b);
        if (b == 0)
            return smx__error(SMX_EINPUT, "%s:%d:%d: a NUL byte; the file must be text", file, line,
                              col);
        if (b == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        i += n;
    }
    return 0;
}
