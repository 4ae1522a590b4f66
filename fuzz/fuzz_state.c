/*
 * libFuzzer harness: the state-file reader, on damaged files. The input is a state file with its
 * runs of zero bytes compressed (see decode below and fuzz/state_seed.py, which makes the seeds):
 * a real file is mostly zeros (its tables are allocated at full size when the session is created),
 * so mutations land on the bytes HDF5 and sweepmux actually read. The decoded file is written to
 * a new file and read through the paths `status`, `export`, `sessions`, `requeue` and
 * `run` use to open a file and read everything in it. Any sanitizer report fails; so does an HDF5
 * object sweepmux leaves open (each read must close what it opened, also on errors). With
 * FUZZ_STATE_DEBUG set, it prints why a file was refused. Run it with fuzz/run_state.sh, which
 * tells HDF5's own crashes on damaged files from sweepmux's.
 */
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/value.h"
#include "sweepmux/errors.h"
#include "spec/template.h"
#include "state/inspect.h"
#include "state/mux_internal.h"
#include "state/params.h"
#include "state/spec_log.h"
#include "state/store.h"

/* Largest decoded file: a real small state file is about 600 KiB. */
#define DECODED_MAX ((size_t)8 << 20)

/*
 * The encoding: a byte other than 0 stands for itself; a 0 is followed by an unsigned LEB128
 * count and stands for that many zero bytes (a count of 0 for one). Input that ends inside a count
 * ends the file.
 */
static size_t decode(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < DECODED_MAX;) {
        if (in[i]) {
            out[o++] = in[i++];
            continue;
        }
        uint64_t run = 0;
        unsigned shift = 0;
        for (i++; i < n && shift < 63; shift += 7) {
            uint8_t b = in[i++];
            run |= (uint64_t)(b & 0x7f) << shift;
            if (!(b & 0x80))
                break;
        }
        if (run == 0)
            run = 1;
        if (run > DECODED_MAX - o)
            run = DECODED_MAX - o;
        memset(out + o, 0, run);
        o += run;
    }
    return o;
}

/* A few elements from the start and the end of [0, N), as export and status read them. */
static void read_some_records(smx__inspect *in)
{
    uint64_t n = smx__inspect_count(in);
    smx__record recs[8];
    smx_value vals[8 * 16];
    size_t np = 0;
    int have_np = smx__inspect_nparams(in, &np) == 0;
    for (size_t i = 0; have_np && i < np; i++)
        (void)smx__inspect_param_name(in, i);
    uint64_t starts[] = {0, n > 8 ? n - 8 : 0};
    for (int k = 0; k < 2; k++) {
        uint64_t c = n - starts[k] < 8 ? n - starts[k] : 8;
        (void)smx__inspect_records(in, starts[k], c, recs);
        if (have_np && np && np <= 16)
            (void)smx__inspect_values(in, starts[k], c, vals);
    }
}

/* Everything `status` and `export` read of the default session. */
static void read_session(const char *path)
{
    smx__inspect *in = NULL;
    if (smx__inspect_open(&in, path, NULL) != 0) {
        if (getenv("FUZZ_STATE_DEBUG"))
            fprintf(stderr, "fuzz_state: %s\n", smx_error_last());
        return;
    }
    int64_t meta[SMX__META_LEN], njobs = 0, nfail = 0;
    smx_stat counts;
    int from_meta = 0;
    uint64_t finished = 0;
    (void)smx__inspect_meta(in, meta);
    (void)smx__inspect_counts(in, NULL, &counts, &from_meta);
    (void)smx__inspect_latest_finished(in, &finished);
    smx__job *jobs = NULL;
    (void)smx__inspect_jobs(in, &jobs, &njobs);
    free(jobs);
    smx__failure *fails = NULL;
    (void)smx__inspect_failures(in, &fails, &nfail);
    free(fails);
    char(*hosts)[SMX__HOST_NAME_MAX] = NULL;
    (void)smx__inspect_hosts(in, &hosts);
    free(hosts);
    char names[SMX__RESULT_COLUMNS][SMX__RESULT_NAME_MAX];
    int nnames = 0;
    (void)smx__inspect_result_names(in, names, &nnames);
    char **lines = NULL;
    size_t nlines = 0;
    if (smx__inspect_spec_changes(in, &lines, &nlines) == 0)
        smx__strv_free(lines);
    read_some_records(in);
    smx__inspect_close(in);
}

/* `sessions`: every session's counts. */
static void read_sessions(const char *path)
{
    smx__inspect *in = NULL;
    if (smx__inspect_open_file(&in, path) != 0)
        return;
    char **names = NULL;
    size_t n = 0;
    if (smx__inspect_sessions(in, &names, &n) == 0) {
        for (size_t i = 0; i < n && i < 4; i++) {
            smx_stat counts;
            int from_meta = 0;
            (void)smx__inspect_counts(in, names[i], &counts, &from_meta);
        }
        smx__strv_free(names);
    }
    smx__inspect_close(in);
}

/* What `run` reads before it writes: the soundness check, the workdir and the stored inputs. */
static void read_for_run(const char *path)
{
    (void)smx__mux_check_sound(path, NULL);
    smx__store *st = NULL;
    if (smx__store_open(&st, path, SMX__STORE_READ) != 0)
        return;
    char *dir = NULL, *csv = NULL;
    size_t csv_len = 0, nruns = 0;
    uint64_t *runs = NULL;
    if (smx__store_workdir(st, &dir) == 0)
        free(dir);
    if (smx__store_inputs(st, &csv, &csv_len, &runs, &nruns) == 0) {
        free(csv);
        free(runs);
    }
    smx__store_close(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *file;
    if (!file && !(file = malloc(DECODED_MAX)))
        abort();
    size_t len = decode(data, size, file);
    /* A real file (HDF5 cannot open /proc/self/fd/N of a memfd), new each time: HDF5 recognises
     * a file it has open by its inode. */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/fuzz_state.XXXXXX", dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0 || pwrite(fd, file, len, 0) != (ssize_t)len)
        abort();
    close(fd);
    read_sessions(path);
    read_session(path);
    read_for_run(path);
    /* Every file, group, dataset, attribute and type sweepmux opened is closed again. */
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) {
        fprintf(stderr, "fuzz_state: %zd HDF5 objects left open\n",
                (ssize_t)H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL));
        abort();
    }
    unlink(path);
    return 0;
}
