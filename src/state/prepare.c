/* Making the state file ready for a run: see prepare.h. */
#include "prepare.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "state/extend.h"
#include "state/mux_internal.h"
#include "state/store.h"

int smx__prepare_check_size(const smx_spec *spec, const char *spec_path)
{
    if (smx__spec_count(spec) > SMX__ELEMENTS_MAX)
        return smx__error(SMX_EINPUT, "%s: %llu elements; a state file holds at most %llu",
                          spec_path, (unsigned long long)smx__spec_count(spec),
                          (unsigned long long)SMX__ELEMENTS_MAX);
    return SMX_OK;
}

/* A given spec: it must have a command and fit in a state file; then the file is created, or
 * the spec compared with (or extended over) the stored one. */
static int prepare_given(const smx__prepare *p, int exists, int *extended, uint64_t *added)
{
    smx_spec *spec = p->spec;
    if (!smx__spec_has_command(spec))
        return smx__error(SMX_EINPUT,
                          "%s: the spec has no command; add `command:` or give one after --",
                          p->spec_path);
    int rc = smx__prepare_check_size(spec, p->spec_path);
    if (rc != SMX_OK)
        return rc;
    if (exists) {
        char changes[1024];
        rc = smx__mux_check_spec(p->state, spec, changes, sizeof changes);
        if (rc == SMX_EINPUT && p->extend) {
            rc = smx__extend(p->state, spec, p->job_id, added);
            *extended = rc == SMX_OK;
        } else if (rc == SMX_OK && changes[0]) {
            /* Same elements, other settings: the file takes the new spec, and says who changed
             * what (state/spec_log.h). */
            rc = smx__extend(p->state, spec, p->job_id, added);
            if (rc == SMX_OK)
                fprintf(stderr, "sweepmux: %s: the spec's settings changed (%s); recorded\n",
                        p->state, changes);
        }
        return rc;
    }
    /* Tasks' relative paths resolve here, now and on every resume (README "State file"). */
    char *cwd = getcwd(NULL, 0);
    rc = cwd ? smx__store_create_sweep(p->state, spec, p->session, smx__spec_count(spec), NULL, cwd)
             : smx__error(SMX_EIO, "cannot get the current directory: %s", strerror(errno));
    free(cwd);
    return rc;
}

/* A resume runs tasks in the directory the sweep was created in: refuse if it is not here. */
static int check_workdir(const char *state)
{
    smx__store *st = NULL;
    char *dir = NULL;
    int rc = smx__store_open(&st, state, SMX__STORE_READ);
    if (rc == SMX_OK)
        rc = smx__store_workdir(st, &dir);
    smx__store_close(st);
    struct stat sb;
    if (rc == SMX_OK && dir[0] && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        rc = smx__error(SMX_EINPUT,
                        "%s: the sweep's tasks run in %s (the directory it was created in, "
                        "which relative paths in its command resolve against), but that "
                        "directory %s here; run where it exists, or start a new sweep",
                        state, dir, stat(dir, &sb) != 0 ? "does not exist" : "is not a directory");
    free(dir);
    return rc;
}

/* An existing file: the stored spec (with the override) must have a command; the session is
 * added if it is new. */
static int prepare_existing(const smx__prepare *p)
{
    smx_mux *m = NULL;
    int rc = check_workdir(p->state);
    if (rc == SMX_OK)
        rc = smx_mux_open(&m, p->state);
    smx_spec *stored = rc == SMX_OK ? smx__mux_spec(m) : NULL;
    if (rc == SMX_OK && p->cmd_argc)
        rc = smx__spec_set_command(stored, p->cmd_argc, p->cmd_argv);
    if (rc == SMX_OK && !smx__spec_has_command(stored))
        rc = smx__error(SMX_EINPUT, "the spec stored in %s has no command; give one after --",
                        p->state);
    if (rc == SMX_OK)
        rc = smx__mux_ensure_session(p->state, p->session, smx_mux_count(m), NULL);
    smx_mux_free(m);
    return rc;
}

int smx__prepare_state(const smx__prepare *p, int *extended, uint64_t *added)
{
    struct stat sb;
    int exists = stat(p->state, &sb) == 0;
    int rc = SMX_OK;
    *added = 0;
    *extended = 0;
    if (p->spec)
        rc = prepare_given(p, exists, extended, added);
    else if (!exists)
        rc =
            smx__error(SMX_EINPUT, "%s does not exist; give a spec to start a new sweep", p->state);
    if (rc == SMX_OK && exists)
        rc = prepare_existing(p);
    return rc;
}
