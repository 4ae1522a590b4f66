/* Opening a state file for the read-side subcommands: see inspect.h. */
#include "inspect.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "spec/template.h"

int smx_inspect_open(smx_inspect *in, const char *path, const char *session)
{
    memset(in, 0, sizeof *in);
    int rc = smx__store_open(&in->st, path, SMX__STORE_READ);
    if (rc == SMX_OK)
        rc = smx__store_load_spec(in->st, &in->spec);
    if (rc == SMX_OK && !session) {
        char **names = NULL;
        size_t n = 0;
        rc = smx__store_sessions(in->st, &names, &n);
        session = "default";
        if (rc == SMX_OK && n == 1)
            session = names[0];
        snprintf(in->session, sizeof in->session, "%s", session);
        smx__strv_free(names);
    } else if (session) {
        snprintf(in->session, sizeof in->session, "%s", session);
    }
    if (rc == SMX_OK) {
        rc = smx__sess_open(in->st, in->session, &in->sess);
        if (rc == SMX_ENOTFOUND)
            rc = smx__error(SMX_EINPUT, "%s has no session '%s' (see sweepmux sessions %s)", path,
                            in->session, path);
    }
    if (rc != SMX_OK)
        smx_inspect_close(in);
    return rc;
}

void smx_inspect_close(smx_inspect *in)
{
    if (in->sess)
        smx__sess_close(in->sess);
    smx__store_close(in->st);
    smx__spec_free(in->spec);
    memset(in, 0, sizeof *in);
}

const char *smx_status_name(int status)
{
    switch (status) {
    case 0:
        return "pending";
    case 1:
        return "running";
    case 2:
        return "done";
    case 3:
        return "failed";
    default:
        return "unknown";
    }
}

void smx_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void smx_format_time(double t, char *buf, size_t n)
{
    if (t <= 0) {
        snprintf(buf, n, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}
