/* Upgrading a format-1 state file in place: see upgrade.h. */
#include "state/upgrade.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "spec/spec.h"
#include "spec/template.h"
#include "state/lock.h"
#include "state/params.h"
#include "state/prepare.h"
#include "state/store.h"

/* The absolute, symlink-free form of DIR (NULL: the current directory) into OUT. */
static int resolve_dir(const char *dir, char out[PATH_MAX])
{
    struct stat sb;
    const char *d = dir ? dir : ".";
    if (stat(d, &sb) != 0)
        return smx__error(SMX_EINPUT, "--dir %s: %s", d, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return smx__error(SMX_EINPUT, "--dir %s: not a directory", d);
    if (!realpath(d, out))
        return smx__error(SMX_EIO, "--dir %s: cannot resolve it: %s", d, strerror(errno));
    return SMX_OK;
}

/* The file's format version, read without taking any lock and without judging it. */
static int probe_version(const char *path, int *version)
{
    smx__store *st = NULL;
    int rc = smx__store_open_any(&st, path, version);
    smx__store_close(st);
    return rc;
}

/*
 * Parses the spec stored in the format-1 file PATH with relative paths resolved in DIR, and checks
 * that it has exactly as many elements as every session of the file.
 */
static int parse_stored(const char *path, const char *dir, smx_spec **out)
{
    smx__store *st = NULL;
    char *text = NULL, **names = NULL, hash[65];
    size_t len = 0, nsess = 0;
    int version = 0;
    *out = NULL;
    int rc = smx__store_open_any(&st, path, &version);
    if (rc == SMX_OK && version != 1)
        rc = smx__error(SMX_EFORMAT, "%s: format version %d changed while waiting for its lock",
                        path, version);
    if (rc == SMX_OK)
        rc = smx__store_spec(st, &text, &len, hash);
    if (rc == SMX_OK && smx__spec_parse(out, text, len, path, dir) != SMX_OK)
        rc = smx__error_prefix(SMX_EINPUT,
                               "cannot upgrade %s: its stored spec does not parse with relative "
                               "paths resolved in %s",
                               path, dir);
    if (rc == SMX_OK)
        rc = smx__prepare_check_size(*out, path);
    if (rc == SMX_OK)
        rc = smx__store_sessions(st, &names, &nsess);
    uint64_t want = rc == SMX_OK ? smx__spec_count(*out) : 0;
    for (size_t k = 0; rc == SMX_OK && k < nsess; k++) {
        smx__records *s = NULL;
        rc = smx__records_open(st, names[k], &s);
        if (rc == SMX_OK && smx__records_count(s) != want)
            rc = smx__error(SMX_EINPUT,
                            "cannot upgrade %s: its spec, with relative paths resolved in %s, has "
                            "%llu elements, but session %s has %llu; point --dir at the directory "
                            "holding the inputs (CSV) the sweep ran with",
                            path, dir, (unsigned long long)want, names[k],
                            (unsigned long long)smx__records_count(s));
    }
    smx__store_close(st);
    smx__strv_free(names);
    free(text);
    if (rc != SMX_OK) {
        smx__spec_free(*out);
        *out = NULL;
    }
    return rc;
}

/* Opens the written copy TMP as every later command will, and checks its parameters. */
static int verify_copy(const char *tmp, uint64_t want)
{
    smx__store *st = NULL;
    smx_spec *spec = NULL;
    smx__params *p = NULL;
    int rc = smx__store_open(&st, tmp, SMX__STORE_READ);
    if (rc == SMX_OK)
        rc = smx__store_load_spec(st, &spec);
    if (rc == SMX_OK)
        rc = smx__store_params(st, &p);
    if (rc == SMX_OK && (smx__spec_count(spec) != want || smx__params_elements(p) != want))
        rc = smx__error(SMX_EIO, "%s: the upgraded copy does not read back as written", tmp);
    smx__params_close(p);
    smx__spec_free(spec);
    smx__store_close(st);
    return rc;
}

/* Under the lock: parse, write the copy, check it, and rename it over PATH. */
static int upgrade_locked(const char *path, smx__lock *lock, smx__upgrade_info *info)
{
    smx_spec *spec = NULL;
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return smx__error_oom();
    snprintf(tmp, n, "%s.upgrade-%ld", path, (long)getpid());
    int rc = parse_stored(path, info->workdir, &spec);
    int have_tmp = 0;
    if (rc == SMX_OK) {
        rc = smx__store_upgrade_copy(path, tmp, spec, info->workdir);
        have_tmp = rc == SMX_OK;
    }
    if (rc == SMX_OK)
        rc = verify_copy(tmp, smx__spec_count(spec));
    if (rc == SMX_OK)
        rc = smx__lock_check(lock);
    if (rc == SMX_OK)
        rc = smx__store_replace(tmp, path);
    if (rc == SMX_OK) {
        have_tmp = 0;
        info->upgraded = 1;
        info->elements = smx__spec_count(spec);
    }
    if (have_tmp)
        unlink(tmp);
    free(tmp);
    smx__spec_free(spec);
    return rc;
}

int smx__upgrade(const char *path, const char *dir, smx__upgrade_info *info)
{
    char abs[PATH_MAX];
    smx__lock *lock = NULL;
    memset(info, 0, sizeof *info);
    info->to_version = SMX__FORMAT_VERSION;
    if (!path)
        return smx__error(SMX_EUSAGE, "smx__upgrade: NULL path");
    int version = 0;
    int rc = probe_version(path, &version);
    if (rc != SMX_OK)
        return rc;
    info->from_version = version;
    if (version != 1) {
        /* Current, or one this build refuses: the usual open says which, and writes nothing. */
        smx__store *st = NULL;
        rc = smx__store_open(&st, path, SMX__STORE_READ);
        smx__store_close(st);
        return rc;
    }
    rc = resolve_dir(dir, abs);
    if (rc != SMX_OK)
        return rc;
    snprintf(info->workdir, sizeof info->workdir, "%s", abs);
    rc = smx__lock_acquire(&lock, path, SMX__LOCK_STALE_SECONDS);
    if (rc == SMX_OK)
        rc = upgrade_locked(path, lock, info);
    smx__lock_release(lock);
    return rc;
}
