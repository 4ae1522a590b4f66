/*
 * Sessions, the public iteration API (sweepmux/session.h), and every rank's side of the protocol:
 * claims through claim.c, reports batched to rank 0. Rank 0's coordinator (coordinator.h) lives
 * beside the session on rank 0; the session applies its decisions (a stop) to itself.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "session/mpicheck.h"
#include "session/session_internal.h"
#include "state/h5quiet.h"
#include "spec/spec.h"
#include "state/store.h"

/* Keeps the first failure in *RC (so that every rank still makes the same collective calls). */
static void keep(int *rc, int next)
{
    if (*rc == SMX_OK)
        *rc = next;
}

/* Every rank returns the same code; the failing ranks' first message is shared with all. */
static int agree(MPI_Comm comm, int rc)
{
    int rank = 0, size = 1, mrc = MPI_Comm_rank(comm, &rank);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_size(comm, &size);
    /* The lowest failing rank speaks for everyone. */
    int key = rc != SMX_OK ? rank : size, low = size;
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Allreduce(&key, &low, 1, MPI_INT, MPI_MIN, comm);
    if (mrc != MPI_SUCCESS)
        return smx__mpi_error(mrc, "agreeing on the outcome (MPI_Allreduce)");
    if (low == size)
        return SMX_OK;
    char msg[1024];
    int code = rc;
    if (rank == low)
        snprintf(msg, sizeof msg, "%s", smx_error_last());
    mrc = MPI_Bcast(msg, sizeof msg, MPI_CHAR, low, comm);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Bcast(&code, 1, MPI_INT, low, comm);
    if (mrc != MPI_SUCCESS)
        return smx__mpi_error(mrc, "sharing rank %d's error (MPI_Bcast)", low);
    if (rank != low || rc == SMX_OK)
        smx__error(code, "%s", msg);
    return code;
}

/*
 * Rank 0's buffer BUF of *LEN bytes to every rank (malloc'd there, NUL-terminated). Every rank
 * takes part even after a failure, so the collective calls stay matched.
 */
static int bcast_bytes(MPI_Comm comm, int rank, char **buf, uint64_t *len)
{
    int rc = SMX_OK;
    static char scratch[1 << 16];
    if (MPI_Bcast(len, 1, MPI_UINT64_T, 0, comm) != MPI_SUCCESS)
        return smx__error(SMX_EMPI, "MPI_Bcast of the stored spec's size failed");
    if (rank != 0 && !(*buf = malloc(*len + 1)))
        rc = smx__error_oom();
    /* In pieces that fit an int count (and the scratch buffer, if the allocation failed). */
    for (uint64_t off = 0; off < *len;) {
        int n = (int)(*len - off < sizeof scratch ? *len - off : sizeof scratch);
        char *at = *buf ? *buf + off : scratch;
        if (MPI_Bcast(at, n, MPI_CHAR, 0, comm) != MPI_SUCCESS && rc == SMX_OK)
            rc = smx__error(SMX_EMPI, "MPI_Bcast of the stored spec failed");
        off += (uint64_t)n;
    }
    if (rank != 0 && *buf)
        (*buf)[*len] = '\0';
    return rc;
}

/* Sends rank 0's spec text, captured CSV rows, element order and working directory to every
 * rank; the others parse the spec from them, so no rank reads anything but the state file. */
static int share_spec(smx_session *s)
{
    char *bufs[4] = {NULL, NULL, NULL, NULL};
    uint64_t lens[4] = {0, 0, 0, 0};
    size_t n = 0, nruns = 0;
    if (s->rank == 0) {
        bufs[0] = (char *)smx__spec_text(s->spec, &n);
        lens[0] = n;
        bufs[1] = (char *)smx__spec_csv(s->spec, &n, NULL);
        lens[1] = bufs[1] ? n + 1 : 0; /* + 1: an empty CSV is not "no CSV" */
        bufs[2] = (char *)smx__spec_order(s->spec, &nruns);
        lens[2] = nruns * 2 * sizeof(uint64_t);
        bufs[3] = s->workdir ? s->workdir : "";
        lens[3] = strlen(bufs[3]);
    }
    int rc = SMX_OK;
    for (int k = 0; k < 4; k++) {
        int r = bcast_bytes(s->comm, s->rank, &bufs[k], &lens[k]);
        if (rc == SMX_OK)
            rc = r;
    }
    if (s->rank == 0)
        return rc;
    if (rc == SMX_OK)
        rc = smx__spec_from_stored(&s->spec, bufs[0], lens[0], "the state file", bufs[1],
                                   lens[1] ? lens[1] - 1 : 0, (const uint64_t *)bufs[2],
                                   (size_t)(lens[2] / (2 * sizeof(uint64_t))));
    s->workdir = bufs[3];
    bufs[3] = NULL;
    for (int k = 0; k < 3; k++)
        free(bufs[k]);
    return rc;
}

/* Frees everything S holds; the first MPI failure of the teardown is returned. */
/* Takes element E off the session's list of every element structure and frees it. */
static void free_element(smx_session *s, smx_element *e)
{
    if (e->all_prev)
        e->all_prev->all_next = e->all_next;
    else
        s->all = e->all_next;
    if (e->all_next)
        e->all_next->all_prev = e->all_prev;
    free(e->vals);
    free(e);
}

static int free_session(smx_session *s)
{
    if (!s)
        return SMX_OK;
    int rc = smx__claim_free(&s->claim);
    if (s->coord)
        smx__coord_free(s->coord);
    while (s->sends) {
        smx__send *n = s->sends->next;
        keep(&rc, smx__mpi_check(MPI_Wait(&s->sends->req, MPI_STATUS_IGNORE),
                                 "rank %d: completing a send to rank 0 (MPI_Wait)", s->rank));
        free(s->sends->buf);
        free(s->sends);
        s->sends = n;
    }
    while (s->all)
        free_element(s, s->all);
    smx__report_buf_free(&s->out);
    free(s->queue);
    smx__spec_free(s->spec);
    free(s->workdir);
    if (s->gcomm != MPI_COMM_NULL)
        keep(&rc,
             smx__mpi_check(MPI_Comm_free(&s->gcomm), "freeing the element group's communicator"));
    if (s->gsync != MPI_COMM_NULL)
        keep(&rc,
             smx__mpi_check(MPI_Comm_free(&s->gsync), "freeing the element group's communicator"));
    if (s->comm != MPI_COMM_NULL)
        keep(&rc, smx__mpi_check(MPI_Comm_free(&s->comm), "freeing the session's communicator"));
    free(s);
    return rc;
}

/*
 * Takes the caller's options (OPTS NULL: the defaults). Version 1 options end before group_size,
 * so only their fields are read and the rest keep their defaults.
 */
static int take_options(smx_session *s, const smx_session_options *opts)
{
    smx_session_options defaults = SMX_SESSION_OPTIONS_INIT;
    int rc = SMX_OK;
    s->opts = defaults;
    if (opts && opts->version == 1)
        memcpy(&s->opts, opts, offsetof(smx_session_options, group_size));
    else if (opts && opts->version == SMX_SESSION_OPTIONS_VERSION)
        s->opts = *opts;
    else if (opts)
        rc = smx__error(SMX_EUSAGE,
                        "smx_session_open: options version %d is not one this library knows (1 to "
                        "%d); start from SMX_SESSION_OPTIONS_INIT",
                        opts->version, SMX_SESSION_OPTIONS_VERSION);
    s->opts.version = SMX_SESSION_OPTIONS_VERSION;
    if (s->opts.report_interval <= 0)
        s->opts.report_interval = 0.5;
    if (s->opts.sync_interval <= 0)
        s->opts.sync_interval = 1.0;
    return rc;
}

/* A private duplicate of COMM, so that our messages never mix with the application's. */
static int setup_comm(smx_session *s, MPI_Comm comm)
{
    int mrc = MPI_Comm_dup(comm, &s->comm);
    if (mrc != MPI_SUCCESS) {
        s->comm = MPI_COMM_NULL;
        return smx__mpi_error(mrc, "smx_session_open: duplicating the communicator (MPI_Comm_dup)");
    }
    mrc = MPI_Comm_set_errhandler(s->comm, MPI_ERRORS_RETURN);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_set_name(s->comm, "sweepmux");
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_rank(s->comm, &s->rank);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_size(s->comm, &s->size);
    if (mrc != MPI_SUCCESS)
        return smx__mpi_error(mrc, "smx_session_open: setting up the communicator");
    return SMX_OK;
}

/* The group size every rank asked for, checked against the communicator's size. */
static int check_group_size(smx_session *s, int *k)
{
    /* Largest and smallest request in one reduction: {k, -k} under MPI_MAX. */
    int mine[2] = {s->opts.group_size, -s->opts.group_size}, all[2] = {0, 0};
    int rc = smx__mpi_check(MPI_Allreduce(mine, all, 2, MPI_INT, MPI_MAX, s->comm),
                            "smx_session_open: comparing group sizes (MPI_Allreduce)");
    if (rc != SMX_OK)
        return rc;
    *k = all[0] > 1 ? all[0] : 1;
    if (all[0] != -all[1])
        return smx__error(SMX_EUSAGE,
                          "smx_session_open: group_size differs between the ranks (from %d to %d); "
                          "every rank must pass the same",
                          -all[1], all[0]);
    if (all[0] < 0)
        return smx__error(SMX_EUSAGE, "smx_session_open: group_size %d is negative", all[0]);
    if (s->size % *k != 0)
        return smx__error(SMX_EUSAGE,
                          "smx_session_open: group_size %d does not divide the communicator's %d "
                          "ranks; run a multiple of %d ranks",
                          *k, s->size, *k);
    return SMX_OK;
}

/*
 * Collective. Agrees on the outcome so far (RC) and on the group size, then makes each element
 * group's two communicators: one for the library's messages within the group, one for the program.
 * Every rank fails alike, before rank 0 touches the state file.
 */
static int setup_groups(smx_session *s, int rc)
{
    rc = agree(s->comm, rc);
    int k = 1;
    if (rc == SMX_OK)
        rc = agree(s->comm, check_group_size(s, &k));
    if (rc != SMX_OK)
        return rc;
    s->group_size = k;
    s->grank = s->rank % k;
    if (k > 1) {
        keep(&rc, smx__mpi_check(MPI_Comm_split(s->comm, s->rank / k, s->rank, &s->gsync),
                                 "smx_session_open: making the element groups (MPI_Comm_split)"));
        if (rc == SMX_OK)
            keep(&rc, smx__mpi_check(MPI_Comm_dup(s->gsync, &s->gcomm),
                                     "smx_session_open: the element group's communicator"));
        if (rc == SMX_OK)
            (void)MPI_Comm_set_name(s->gcomm, "sweepmux element group");
    }
    /* A leader claims for its group; rank 0 only serves if asked, unless it is the only claimer. */
    s->iterates =
        s->grank == 0 && (s->rank != 0 || s->opts.coordinator_iterates || s->size == s->group_size);
    return agree(s->comm, rc);
}

/*
 * Collective. Gathers the host names on rank 0, creates the claims (sized for the ranks x
 * LOCAL_SLOTS that claim) and starts rank 0's coordinator.
 */
static int start_claims(smx_session *s, int identity, uint64_t todo_len, int local_slots)
{
    int rc = SMX_OK;
    char host[64] = {0};
    gethostname(host, sizeof host - 1);
    char(*hosts)[64] = NULL;
    if (s->rank == 0 && !(hosts = calloc((size_t)s->size, 64)))
        rc = smx__error_oom();
    keep(&rc, smx__mpi_check(MPI_Gather(host, 64, MPI_CHAR, hosts, 64, MPI_CHAR, 0, s->comm),
                             "gathering host names (MPI_Gather)"));
    int consumers = s->iterates ? (local_slots > 0 ? local_slots : 1) : 0, total = 0;
    keep(&rc, smx__mpi_check(MPI_Allreduce(&consumers, &total, 1, MPI_INT, MPI_SUM, s->comm),
                             "counting the ranks that iterate (MPI_Allreduce)"));
    /*
     * A resumed session's to-do list goes to the claims as runs if it is a few of them (an eighth
     * of the memory its entries would take at most), else entry by entry; also when the runs
     * cannot be made (the entries' fill then reports what is wrong, on every rank).
     */
    uint64_t *runs = NULL, nruns = 0, most = todo_len / 16;
    if (rc == SMX_OK && s->rank == 0 && !identity &&
        smx__coord_todo_runs(s->coord, most < SMX__CLAIM_RUNS_MAX ? most : SMX__CLAIM_RUNS_MAX,
                             &runs, &nruns) != SMX_OK) {
        free(runs);
        runs = NULL;
        nruns = 0;
    }
    if (rc == SMX_OK || s->rank != 0)
        rc = smx__claim_create(&s->claim, s->comm, todo_len, runs, nruns,
                               s->rank == 0 && !identity ? smx__coord_fill_todo : NULL, s->coord,
                               total, s->opts.chunk);
    free(runs);
    if (s->rank == 0 && rc == SMX_OK)
        rc = smx__coord_start(s->coord, s->comm, &s->claim, hosts);
    free(hosts);
    return agree(s->comm, rc);
}

int smx__session_open(smx_session **out, const char *state_path, const char *session, MPI_Comm comm,
                      const smx_session_options *opts, int local_slots)
{
    *out = NULL;
    int inited = 0;
    if (MPI_Initialized(&inited) != MPI_SUCCESS || !inited)
        return smx__error(SMX_EUSAGE, "smx_session_open: MPI is not initialised");
    smx_session *s = calloc(1, sizeof *s);
    if (!s)
        return smx__error_oom();
    s->comm = s->gsync = s->gcomm = MPI_COMM_NULL;
    s->claim.win = MPI_WIN_NULL;
    s->tick = s->stride = 1; /* look before the first element */
    s->done_first = SMX__DONE_EMPTY;
    int rc = take_options(s, opts);
    int crc = setup_comm(s, comm);
    if (crc != SMX_OK) {
        (void)free_session(s); /* already failing: the first error stands */
        return crc;
    }
    snprintf(s->name, sizeof s->name, "%s", session && *session ? session : "default");
    rc = setup_groups(s, rc);
    if (rc != SMX_OK)
        goto fail;

    /* Rank 0 opens the state file, takes the lock and builds the to-do list. */
    int identity = 1;
    uint64_t todo_len = 0;
    if (s->rank == 0)
        rc = smx__coord_open(&s->coord, state_path, s->name, &s->opts, &s->spec, &s->workdir,
                             &identity, &todo_len);
    rc = agree(s->comm, rc);
    if (rc != SMX_OK)
        goto fail;

    /* Everyone parses the spec rank 0 read from the file, with the inputs captured there. */
    keep(&rc, smx__mpi_check(MPI_Bcast(s->name, sizeof s->name, MPI_CHAR, 0, s->comm),
                             "sending the session name (MPI_Bcast)"));
    keep(&rc, share_spec(s));
    rc = agree(s->comm, rc);
    if (rc != SMX_OK)
        goto fail;
    s->nparams = smx__spec_nparams(s->spec);
    s->retries = s->opts.retries >= 0 ? s->opts.retries : smx__spec_retries(s->spec);
    rc = start_claims(s, identity, todo_len, local_slots);
    if (rc != SMX_OK)
        goto fail;
    *out = s;
    return SMX_OK;
fail:
    (void)free_session(s); /* already failing: the first error stands */
    return rc;
}

static int session_open(smx_session **out, const char *id, MPI_Comm comm,
                        const smx_session_options *opts)
{
    if (!out)
        return smx__error(SMX_EUSAGE, "smx_session_open: out is NULL");
    int rank = 0;
    int rc = smx__mpi_check(MPI_Comm_rank(comm, &rank), "smx_session_open: MPI_Comm_rank");
    if (rc != SMX_OK)
        return rc;
    char path[4096] = "", name[64] = "default";
    if (rank == 0) {
        const char *hash = id ? strrchr(id, '#') : NULL;
        if (!id || !hash || hash == id || (size_t)(hash - id) >= sizeof path ||
            strlen(hash + 1) >= sizeof name) {
            /* Let everyone fail together through the open. */
            snprintf(path, sizeof path, "%s", "");
        } else {
            memcpy(path, id, (size_t)(hash - id));
            path[hash - id] = '\0';
            snprintf(name, sizeof name, "%s", hash + 1);
        }
    }
    if (rank == 0 && path[0] == '\0') {
        smx__error(SMX_EUSAGE, "smx_session_open: '%s' is not a session id (STATE#SESSION)",
                   id ? id : "(null)");
    }
    return smx__session_open(out, path, name, comm, opts, 1);
}

int smx_session_open(smx_session **out, const char *id, MPI_Comm comm,
                     const smx_session_options *opts)
{
    SMX__H5_RESTORED(session_open(out, id, comm, opts));
}

/* ---- worker side ------------------------------------------------------------------------ */

/* Frees the sends that completed. */
static int reap_sends(smx_session *s)
{
    smx__send **p = &s->sends;
    while (*p) {
        int done = 0;
        int mrc = MPI_Test(&(*p)->req, &done, MPI_STATUS_IGNORE);
        if (mrc != MPI_SUCCESS)
            return smx__mpi_error(mrc, "rank %d: a send to rank 0 (MPI_Test)", s->rank);
        if (done) {
            smx__send *d = *p;
            *p = d->next;
            free(d->buf);
            free(d);
        } else {
            p = &(*p)->next;
        }
    }
    return SMX_OK;
}

static int send_to_root(smx_session *s, int tag, const void *data, size_t len)
{
    smx__send *snd = calloc(1, sizeof *snd);
    if (!snd)
        return smx__error_oom();
    snd->buf = malloc(len ? len : 1);
    if (!snd->buf) {
        free(snd);
        return smx__error_oom();
    }
    if (len)
        memcpy(snd->buf, data, len);
    int rc = MPI_Isend(snd->buf, (int)len, MPI_BYTE, 0, tag, s->comm, &snd->req);
    if (rc != MPI_SUCCESS) {
        free(snd->buf);
        free(snd);
        return smx__mpi_error(rc, "sending a report to rank 0");
    }
    snd->next = s->sends;
    s->sends = snd;
    return SMX_OK;
}

/* Sends in flight a worker may have; beyond that it waits, so rank 0's pace holds it back. */
#define SENDS_MAX 4

/*
 * Reports go out at once unless this rank sent some within the last SEND_GAP seconds (or the
 * report interval, if shorter): a rank that completes little reports every completion without
 * delay, and a busy one sends at most one message per gap, however fast elements finish.
 */
#define SEND_GAP 0.005

int smx__session_flush(smx_session *s, int force)
{
    if (s->out.count == 0)
        return SMX_OK;
    double now = smx__clock_mono();
    double gap = s->opts.report_interval < SEND_GAP ? s->opts.report_interval : SEND_GAP;
    if (!force && now - s->last_send < gap && s->out.len < 65536)
        return SMX_OK;
    s->last_send = now;
    for (;;) {
        int rrc = reap_sends(s);
        if (rrc != SMX_OK)
            return rrc;
        int n = 0;
        for (smx__send *p = s->sends; p; p = p->next)
            n++;
        if (n < SENDS_MAX)
            break;
        struct timespec nap = {0, 50000};
        nanosleep(&nap, NULL);
    }
    int rc = send_to_root(s, SMX__TAG_REPORT, s->out.data, s->out.len);
    smx__report_buf_clear(&s->out);
    return rc;
}

/* Rank 0: the coordinator catches up with the claims before it hears about their elements. */
static int rank0_notice(smx_session *s)
{
    if (!s->unnoticed)
        return SMX_OK;
    s->unnoticed = 0;
    return smx__coord_notice(s->coord);
}

/* Hands a report to rank 0: directly on rank 0, batched otherwise. */
static int report(smx_session *s, const smx__report *r)
{
    if (s->rank == 0) {
        int rc = rank0_notice(s);
        return rc != SMX_OK ? rc : smx__coord_report(s->coord, r);
    }
    int rc = smx__report_pack(&s->out, r);
    if (rc == SMX_OK)
        rc = smx__session_flush(s, 0);
    return rc;
}

/*
 * Hands the done window to rank 0 (see done_add): as a range when its elements are consecutive
 * (a claimed chunk finished in order), as bits otherwise (chunks of a few elements, claimed in
 * turn with other ranks).
 */
static int flush_done(smx_session *s)
{
    if (s->done_first == SMX__DONE_EMPTY)
        return SMX_OK;
    uint64_t first = s->done_first, count = 0;
    unsigned hi = 0;
    for (unsigned w = 0; w < SMX__DONE_WORDS; w++) {
        if (s->done_bits[w]) {
            count += (uint64_t)__builtin_popcountll(s->done_bits[w]);
            hi = w + 1;
        }
    }
    uint64_t lo_bit = (uint64_t)__builtin_ctzll(s->done_bits[0]); /* word 0 is never empty */
    uint64_t hi_bit =
        64 * (uint64_t)(hi - 1) + 63 - (uint64_t)__builtin_clzll(s->done_bits[hi - 1]);
    int rc = SMX_OK;
    if (s->rank == 0)
        rc = rank0_notice(s);
    if (rc == SMX_OK && hi_bit - lo_bit + 1 == count) {
        rc = s->rank == 0 ? smx__coord_range(s->coord, first + lo_bit, count)
                          : smx__report_pack_range(&s->out, first + lo_bit, count, s->rank);
    } else if (rc == SMX_OK) {
        rc = s->rank == 0 ? smx__coord_bits(s->coord, first, s->done_bits, hi)
                          : smx__report_pack_bits(&s->out, first, s->done_bits, hi, s->rank);
    }
    memset(s->done_bits, 0, hi * sizeof s->done_bits[0]);
    s->done_first = SMX__DONE_EMPTY;
    return rc;
}

/* done_add's rare path: the window is handed over and starts again at INDEX. */
__attribute__((noinline)) static int done_restart(smx_session *s, uint64_t index)
{
    int rc = flush_done(s);
    s->done_first = index & ~(uint64_t)63;
    s->done_bits[0] = (uint64_t)1 << (index & 63);
    return rc;
}

/*
 * Completions of elements done without results, on their first attempt, are kept as bits in the
 * done window, which reaches rank 0 at the next look (or when an element falls outside it): a
 * claimed chunk finished in order travels as one range entry, the elements of chunks claimed in
 * turn with other ranks as a few words, and both reach the state file as range writes (status and
 * attempts only). Inline: it is on the path of every such element, where it costs a subtraction,
 * a comparison and a bit set.
 */
static inline int done_add(smx_session *s, uint64_t index)
{
    uint64_t off = index - s->done_first;
    if (off < 64 * SMX__DONE_WORDS) {
        s->done_bits[off >> 6] |= (uint64_t)1 << (off & 63);
        return SMX_OK;
    }
    return done_restart(s, index);
}

static void init_report(smx_session *s, smx__report *r, int kind, uint64_t index, int attempt)
{
    memset(r, 0, offsetof(smx__report, result_names));
    r->kind = (uint8_t)kind;
    r->rank = s->rank;
    r->index = index;
    r->attempt = (uint16_t)attempt;
    r->exit_code = -1;
    r->tail[0] = '\0';
}

/* Gives back the claimed positions not handed out yet, and failed elements awaiting retry. */
static int release_queue(smx_session *s)
{
    smx__report r;
    int rc = SMX_OK;
    for (; s->qhead < s->qlen && rc == SMX_OK; s->qhead++) {
        uint64_t e = s->queue[s->qhead];
        init_report(s, &r, SMX__REPORT_RELEASE, SMX__ENTRY_INDEX(e), SMX__ENTRY_ATTEMPT(e) - 1);
        rc = report(s, &r);
    }
    while (s->retry_head && rc == SMX_OK) {
        smx_element *e = s->retry_head;
        s->retry_head = e->next;
        init_report(s, &r, SMX__REPORT_RELEASE, e->index, e->attempt - 1);
        rc = report(s, &r);
        free_element(s, e);
    }
    s->retry_tail = NULL;
    return rc;
}

static void become_stopping(smx_session *s)
{
    if (s->stopping)
        return;
    s->stopping = 1;
    s->fast_left = 0;
    s->exhausted = 1;
    release_queue(s);
}

/* Rank 0: once the coordinator has stopped (for any reason), this rank stops like the others. */
static void follow_coordinator(smx_session *s)
{
    if (s->coord && smx__coord_stopped(s->coord))
        become_stopping(s);
}

/* Worker ranks: asks rank 0 to stop, saying why (see SMX__TAG_STOP). */
static int send_stop(smx_session *s)
{
    char msg[sizeof s->stop_error + 1];
    const char *reason = s->stop_reason;
    int n = s->stop_error[0] ? snprintf(msg, sizeof msg, "E%s", s->stop_error)
                             : snprintf(msg, sizeof msg, "R%s", reason ? reason : "");
    size_t len = n < 0 ? 1 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    return send_to_root(s, SMX__TAG_STOP, msg, len);
}

/* Worker ranks: messages from rank 0, due reports, finished sends, a requested stop. */
static int worker_poll(smx_session *s)
{
    int rc = SMX_OK;
    if (s->stop_flag && !s->stopping) {
        become_stopping(s);
        rc = send_stop(s);
    }
    /* A stop also shows in the claim counter; probing for rank 0's message every ms is enough. */
    double now = smx__clock_mono();
    if (now - s->last_probe < 1e-3 && !s->finished)
        return smx__session_flush(s, 0);
    s->last_probe = now;
    for (;;) {
        int flag = 0;
        MPI_Status st;
        int mrc = MPI_Iprobe(0, SMX__TAG_STOP, s->comm, &flag, &st);
        if (mrc == MPI_SUCCESS && flag)
            mrc = MPI_Recv(NULL, 0, MPI_BYTE, 0, SMX__TAG_STOP, s->comm, MPI_STATUS_IGNORE);
        if (mrc != MPI_SUCCESS) {
            keep(&rc, smx__mpi_error(mrc, "rank %d: receiving rank 0's stop", s->rank));
            break;
        }
        if (!flag)
            break;
        become_stopping(s);
    }
    if (rc == SMX_OK)
        rc = smx__session_flush(s, 0);
    keep(&rc, reap_sends(s));
    return rc;
}

int smx_session_progress(smx_session *s)
{
    if (!s)
        return smx__error(SMX_EUSAGE, "smx_session_progress: session is NULL");
    int rc = flush_done(s);
    if (rc != SMX_OK)
        return rc;
    if (s->rank == 0) {
        if (s->stop_flag && !s->stopping)
            smx__coord_stop(s->coord, s->stop_reason ? s->stop_reason : "stop requested");
        rc = smx__coord_poll(s->coord, 0);
        follow_coordinator(s);
        return rc;
    }
    return worker_poll(s);
}

/*
 * A new element structure, with room for the values (new_element's rare path), on the session's
 * list of every element structure: elements handed out are found there (out set) when the
 * session closes, so that handing one out and taking it back cost a store each.
 */
static smx_element *alloc_element(smx_session *s)
{
    smx_element *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->vals = calloc(s->nparams ? s->nparams : 1, sizeof(smx_value));
    if (!e->vals) {
        free(e);
        return NULL;
    }
    e->s = s;
    e->all_next = s->all;
    if (s->all)
        s->all->all_prev = e;
    s->all = e;
    return e;
}

/*
 * Elements are recycled through a short free list: microsecond loops should not pay malloc twice.
 * Inline: it is on the path of every element.
 */
static inline smx_element *new_element(smx_session *s, uint64_t index, int attempt)
{
    smx_element *e = s->spare;
    if (e) {
        s->spare = e->next;
        s->nspare--;
    } else if (!(e = alloc_element(s))) {
        return NULL;
    }
    e->index = index;
    e->attempt = attempt;
    e->tries = 0;
    e->decoded = 0; /* values are decoded when first asked for: many loops never look */
    return e;
}

static inline void drop_element(smx_session *s, smx_element *e)
{
    if (s->nspare < 64) {
        e->next = s->spare;
        s->spare = e;
        s->nspare++;
        return;
    }
    free_element(s, e);
}

/* A completion that joins the done window (see done_add). */
static inline int complete_done(smx_session *s, smx_element *e)
{
    int rc = done_add(s, e->index);
    drop_element(s, e);
    return rc;
}

static inline void give(smx_session *s, smx_element *e)
{
    e->t_given = s->tnow + s->wall_offset;
    e->out = 1;
}

static inline void ungive(smx_element *e)
{
    e->out = 0;
}

/* Claims the next chunk into the queue (or learns that the claims ran out or stopped). */
static int claim_more(smx_session *s)
{
    uint64_t first = 0, n = 0;
    int stopped = 0;
    int rc = smx__claim_take(&s->claim, 0, &first, &n, &stopped);
    if (rc != SMX_OK)
        return rc;
    if (stopped || n == 0) {
        s->exhausted = 1;
        if (stopped && s->rank != 0)
            become_stopping(s);
        return SMX_OK;
    }
    if (n > s->qcap) {
        uint64_t *q = realloc(s->queue, n * sizeof *q);
        if (!q)
            return smx__error_oom();
        s->queue = q;
        s->qcap = n;
    }
    rc = smx__claim_entries(&s->claim, first, n, s->queue);
    if (rc != SMX_OK)
        return rc;
    s->qhead = 0;
    s->qlen = n;
    s->qfirst = first;
    if (s->rank == 0)
        s->unnoticed = 1; /* our own claim runs before we report on it: see rank0_notice */
    return SMX_OK;
}

/*
 * The next queued element may start only below the open limit (claim.h), which rank 0 raises once
 * the claim watermark covering it is durable. It is normally far ahead; otherwise this waits,
 * serving (rank 0) or watching for a stop, until it moves or the run stops.
 */
static int wait_open(smx_session *s)
{
    uint64_t pos = s->qfirst + s->qhead;
    struct timespec nap = {0, 100000};
    for (;;) {
        int rc = smx__claim_refresh_open(&s->claim);
        if (rc != SMX_OK || pos < s->claim.open)
            return rc;
        if ((rc = smx_session_progress(s)) != SMX_OK)
            return rc;
        if (s->stopping || pos < s->claim.open)
            return SMX_OK;
        nanosleep(&nap, NULL);
    }
}

/* Calls of smx_session_next between two looks at the clock, at most. */
#define STRIDE_MAX 1024

/*
 * A look around, every `stride` calls of smx_session_next: read the clock, hand over the open
 * run, serve (rank 0) or check for rank 0's messages (the others). Reading the clock costs more
 * than a trivial element here (~0.1 us on a VM), so the stride adapts: it doubles while the calls
 * come faster than 50 us apart and drops to 1 as soon as they are 1 ms apart, so elements that
 * take a while see a look before each of them, and timestamps stay accurate.
 */
static int look(smx_session *s)
{
    double t = smx__clock_mono();
    double dt = t - s->tnow;
    s->tnow = t;
    s->wall_offset = smx__clock_wall() - t;
    if (dt > 1e-3)
        s->stride = 1;
    else if (dt > 2e-4 && s->stride > 1)
        s->stride /= 2;
    else if (dt < 5e-5 && s->stride < STRIDE_MAX)
        s->stride *= 2;
    s->tick = s->stride;
    s->fast_done = s->grank == 0 && s->stride > 1;
    int rc = smx_session_progress(s);
    if (rc == SMX_OK && s->rank == 0 && s->iterates) {
        rc = smx__coord_throttle(s->coord);
        follow_coordinator(s);
    }
    return rc;
}

/*
 * How many of the next calls of smx_session_next its fast path may serve: elements of the claimed
 * chunk below the open limit, before the next look is due; none for groups, a rank that does not
 * iterate or one that is stopping (become_stopping clears it too). The open limit only rises, so
 * the count is never too high; when it runs out, the general path looks again.
 */
static void refresh_fast(smx_session *s)
{
    uint64_t left = 0;
    if (s->group_size <= 1 && s->iterates && !s->stopping && s->tick > 1) {
        uint64_t lim = s->qlen;
        uint64_t open = s->claim.open > s->qfirst ? s->claim.open - s->qfirst : 0;
        if (open < lim)
            lim = open;
        left = lim > s->qhead ? lim - s->qhead : 0;
        if (left > s->tick - 1)
            left = s->tick - 1;
    }
    s->fast_left = left;
}

/* This rank's next element: a rank without groups, or a group's leader (for its group). */
static int next_element(smx_session *s, smx_element **out)
{
    int rc;
    if (--s->tick == 0 || (s->stop_flag && !s->stopping)) {
        rc = look(s);
        if (rc != SMX_OK)
            return rc;
    }
    if (!s->iterates || s->stopping)
        return SMX_ITEROVER;
    /* New work first: this rank's failed elements are retried once the claims have run out. */
    if (s->qhead == s->qlen && !s->exhausted) {
        rc = claim_more(s);
        if (rc != SMX_OK)
            return rc;
    }
    if (s->qhead < s->qlen && s->qfirst + s->qhead >= s->claim.open) {
        rc = wait_open(s);
        if (rc != SMX_OK)
            return rc;
        if (s->stopping)
            return SMX_ITEROVER;
    }
    smx_element *e = NULL;
    if (s->qhead < s->qlen) {
        uint64_t entry = s->queue[s->qhead++];
        e = new_element(s, SMX__ENTRY_INDEX(entry), SMX__ENTRY_ATTEMPT(entry));
        if (!e)
            return smx__error_oom();
    } else if (s->retry_head) {
        e = s->retry_head;
        s->retry_head = e->next;
        if (!s->retry_head)
            s->retry_tail = NULL;
    }
    if (!e) {
        /* The end: what this rank finished goes to rank 0 now, not at the next look. */
        rc = flush_done(s);
        if (rc == SMX_OK && s->rank != 0)
            rc = smx__session_flush(s, 0);
        return rc != SMX_OK ? rc : SMX_ITEROVER;
    }
    give(s, e);
    *out = e;
    refresh_fast(s);
    return SMX_OK;
}

/*
 * Waits for the group collective REQ, serving meanwhile (rank 0: claims and reports; the others:
 * due reports and rank 0's stop), with naps that grow to 1 ms, so that a member that waits while
 * its leader finishes costs no core. A failure to serve is kept in *SERVED: the wait goes on,
 * since the collective must complete on every member.
 */
static int group_wait(smx_session *s, MPI_Request *req, int *served, const char *what)
{
    for (long nap = 0;; nap = nap ? (nap < 500000 ? 2 * nap : 1000000) : 1000) {
        int done = 0, mrc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (mrc != MPI_SUCCESS)
            return smx__mpi_error(mrc, "rank %d: %s", s->rank, what);
        if (done)
            return SMX_OK;
        if (s->rank == 0) {
            keep(served, smx__coord_poll(s->coord, 0));
            follow_coordinator(s);
        } else {
            keep(served, worker_poll(s));
        }
        struct timespec ts = {0, nap};
        if (nap)
            nanosleep(&ts, NULL);
    }
}

/* The leader's error message to the members of its group (the code they know already). */
static int share_leader_error(smx_session *s, int rc)
{
    char msg[1024] = "";
    if (s->grank == 0)
        snprintf(msg, sizeof msg, "%s", smx_error_last());
    int mrc = MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, s->gsync);
    if (mrc != MPI_SUCCESS)
        return smx__mpi_error(mrc, "rank %d: the group leader's error (MPI_Bcast)", s->rank);
    if (s->grank != 0)
        return smx__error(rc, "rank %d (this group's leader): %s", s->rank - s->grank, msg);
    return rc;
}

/*
 * Element groups: collective over the group. First every member says whether it is stopping (a
 * member tells rank 0 itself, in worker_poll, with its reason; its leader only stops handing out),
 * then the leader takes the next element and sends its index and attempt, or the code that ended
 * the iteration, to every member. A member allocates its element beforehand, so that it cannot
 * fail after the others got theirs.
 */
static int group_next(smx_session *s, smx_element **out)
{
    int served = SMX_OK;
    smx_element *e = NULL;
    if (s->grank != 0) {
        keep(&served, worker_poll(s));
        if (served == SMX_OK && !(e = new_element(s, 0, 0)))
            served = smx__error_oom();
    }
    int mine = s->stop_flag || s->stopping || served != SMX_OK, any = 0;
    MPI_Request req;
    int rc = smx__mpi_check(MPI_Iallreduce(&mine, &any, 1, MPI_INT, MPI_MAX, s->gsync, &req),
                            "rank %d: the element group's stop (MPI_Iallreduce)", s->rank);
    if (rc == SMX_OK)
        rc = group_wait(s, &req, &served, "the element group's stop (MPI_Iallreduce)");
    int64_t msg[3] = {SMX_ITEROVER, 0, 0}; /* code, index, attempt */
    if (rc == SMX_OK && s->grank == 0) {
        if (any && !s->stopping && !s->stop_flag)
            become_stopping(s);
        msg[0] = served != SMX_OK ? served : next_element(s, &e);
        if (e) {
            msg[1] = (int64_t)e->index;
            msg[2] = e->attempt;
        }
    }
    if (rc == SMX_OK)
        rc = smx__mpi_check(MPI_Ibcast(msg, 3, MPI_INT64_T, 0, s->gsync, &req),
                            "rank %d: the element group's next element (MPI_Ibcast)", s->rank);
    if (rc == SMX_OK)
        rc = group_wait(s, &req, &served, "the element group's next element (MPI_Ibcast)");
    if (rc == SMX_OK && msg[0] != SMX_OK && msg[0] != SMX_ITEROVER) {
        rc = share_leader_error(s, (int)msg[0]);
    } else if (rc == SMX_OK && served != SMX_OK) {
        /* The group goes on with this element together; the error stops it before the next. */
        if (msg[0] == SMX_OK)
            smx__session_stop_on_error(s, smx_error_last());
        else if (s->grank != 0)
            rc = served;
    }
    if (rc == SMX_OK && msg[0] != SMX_OK)
        rc = (int)msg[0];
    if (s->grank != 0 && e) {
        if (rc != SMX_OK) {
            drop_element(s, e);
            return rc;
        }
        e->index = (uint64_t)msg[1];
        e->attempt = (int)msg[2];
        give(s, e);
    }
    if (rc == SMX_OK)
        *out = e;
    return rc;
}

/*
 * smx_session_next's general path: argument checks, looks around, claims, groups, the end. Not
 * inlined, so that the fast path of smx_session_next saves no registers (GCC, Clang).
 */
__attribute__((noinline)) static int next_general(smx_session *s, smx_element **out)
{
    if (!s || !out)
        return smx__error(SMX_EUSAGE, "smx_session_next: NULL argument");
    *out = NULL;
    return s->group_size > 1 ? group_next(s, out) : next_element(s, out);
}

int smx_session_next(smx_session *s, smx_element **out)
{
    /*
     * The common case of a fast loop, with no call and no branch it does not need: the general
     * path counted how many of the next positions of the claimed chunk may start before a look is
     * due (refresh_fast); no stop was asked for since, and a recycled element structure is at
     * hand. It does what next_element's general path would do.
     */
    smx_element *e;
    if (s && out && s->fast_left && !s->stop_flag && (e = s->spare)) {
        uint64_t entry = s->queue[s->qhead++];
        s->fast_left--;
        s->tick--;
        e = new_element(s, SMX__ENTRY_INDEX(entry), SMX__ENTRY_ATTEMPT(entry));
        give(s, e);
        *out = e;
        return SMX_OK;
    }
    return next_general(s, out);
}

MPI_Comm smx_session_group_comm(const smx_session *s)
{
    return s && s->gcomm != MPI_COMM_NULL ? s->gcomm : MPI_COMM_SELF;
}

MPI_Comm smx_element_comm(const smx_element *e)
{
    return e ? smx_session_group_comm(e->s) : MPI_COMM_SELF;
}

uint64_t smx_element_index(const smx_element *e)
{
    return e->index;
}

int smx_element_attempt(const smx_element *e)
{
    return e->attempt;
}

size_t smx_element_nparams(const smx_element *e)
{
    return e->s->nparams;
}

const char *smx_element_param_name(const smx_element *e, size_t i)
{
    return i < e->s->nparams ? smx__spec_param_name(e->s->spec, i) : NULL;
}

/*
 * The values are a cache filled on first use (the element is const to the caller, which does not
 * see the cache); NULL if they cannot be decoded (smx_error_last says why).
 */
const smx_value *smx__element_values(const smx_element *e)
{
    smx_element *m = (smx_element *)e;
    if (!m->decoded) {
        if (smx__spec_values(e->s->spec, e->index, m->vals) != SMX_OK)
            return NULL;
        m->decoded = 1;
    }
    return e->vals;
}

int smx_element_get(const smx_element *e, const char *name, smx_value *out)
{
    if (!e || !name || !out)
        return smx__error(SMX_EUSAGE, "smx_element_get: NULL argument");
    int i = smx__spec_param_find(e->s->spec, name);
    if (i < 0)
        return smx__error(SMX_ENOTFOUND, "the sweep has no parameter '%s'", name);
    const smx_value *v = smx__element_values(e);
    if (!v)
        return smx_error_last_code();
    *out = v[i];
    return SMX_OK;
}

int smx_element_get_int(const smx_element *e, const char *name, int64_t *out)
{
    smx_value v;
    int rc = smx_element_get(e, name, &v);
    if (rc != SMX_OK)
        return rc;
    if (v.type == SMX_VALUE_INT)
        *out = v.u.i;
    else if (v.type == SMX_VALUE_BOOL)
        *out = v.u.b;
    else
        return smx__error(SMX_EINPUT, "parameter '%s' of element %llu is not an integer", name,
                          (unsigned long long)e->index);
    return SMX_OK;
}

int smx_element_get_double(const smx_element *e, const char *name, double *out)
{
    smx_value v;
    int rc = smx_element_get(e, name, &v);
    if (rc != SMX_OK)
        return rc;
    if (v.type == SMX_VALUE_FLOAT)
        *out = v.u.f;
    else if (v.type == SMX_VALUE_INT)
        *out = (double)v.u.i;
    else
        return smx__error(SMX_EINPUT, "parameter '%s' of element %llu is not a number", name,
                          (unsigned long long)e->index);
    return SMX_OK;
}

int smx_element_get_string(const smx_element *e, const char *name, const char **out)
{
    smx_value v;
    int rc = smx_element_get(e, name, &v);
    if (rc != SMX_OK)
        return rc;
    if (v.type != SMX_VALUE_STRING)
        return smx__error(SMX_EINPUT, "parameter '%s' of element %llu is not a string", name,
                          (unsigned long long)e->index);
    *out = v.u.s;
    return SMX_OK;
}

int smx_element_complete_ex(smx_element *e, const smx_completion *c)
{
    if (!e || !c)
        return smx__error(SMX_EUSAGE, "smx_element_complete: NULL argument");
    if (c->version != SMX_COMPLETION_VERSION)
        return smx__error(SMX_EUSAGE,
                          "smx_element_complete_ex: completion version %d is not this library's "
                          "%d; start from SMX_COMPLETION_INIT",
                          c->version, SMX_COMPLETION_VERSION);
    smx_session *s = e->s;
    if (c->status != SMX_STATUS_DONE && c->status != SMX_STATUS_FAILED &&
        c->status != SMX_STATUS_PENDING)
        return smx__error(SMX_EUSAGE,
                          "smx_element_complete: status must be DONE, FAILED or PENDING");
    ungive(e);
    if (s->grank != 0) { /* a group member: its leader's completion is the record */
        drop_element(s, e);
        return SMX_OK;
    }
    e->tries++;
    /*
     * Done, nothing to record but that, on a first attempt (no earlier record to overwrite), while
     * elements come faster than the clock is read: part of a range. Everything else is a record
     * of its own, with its times, results, exit code and stderr tail.
     */
    if (c->status == SMX_STATUS_DONE && c->nresults == 0 && !c->stderr_tail && c->t_start <= 0 &&
        c->t_end <= 0 && c->exit_code <= 0 && c->term_signal == 0 && e->attempt == 1 &&
        s->stride > 1)
        return complete_done(s, e);
    smx__report r;
    int kind = SMX__REPORT_FINAL, retry = 0;
    if (c->status == SMX_STATUS_PENDING)
        kind = SMX__REPORT_RELEASE;
    else if (c->status == SMX_STATUS_FAILED && e->tries <= s->retries && !s->stopping &&
             e->attempt < SMX__ATTEMPTS_MAX) {
        kind = SMX__REPORT_FAILURE;
        retry = 1;
    }
    init_report(s, &r, kind, e->index, e->attempt);
    r.status = (uint8_t)c->status;
    r.exit_code = c->exit_code;
    r.term_signal = c->term_signal;
    r.t_start = c->t_start > 0 ? c->t_start : e->t_given;
    r.t_end = c->t_end > 0 ? c->t_end : smx__clock_wall();
    size_t nres = c->nresults < SMX__REPORT_MAX_RESULTS ? c->nresults : SMX__REPORT_MAX_RESULTS;
    for (size_t i = 0; i < nres; i++) {
        snprintf(r.result_names[i], SMX__RESULT_NAME_MAX, "%s", c->result_names[i]);
        r.result_values[i] = c->result_values[i];
    }
    r.nresults = (uint16_t)nres;
    if (c->stderr_tail)
        snprintf(r.tail, sizeof r.tail, "%s", c->stderr_tail);
    int rc = report(s, &r);
    if (retry) {
        e->attempt++;
        e->next = NULL;
        if (s->retry_tail)
            s->retry_tail->next = e;
        else
            s->retry_head = e;
        s->retry_tail = e;
    } else {
        drop_element(s, e);
    }
    return rc;
}

/* smx_element_complete's general path: through a completion. Not inlined (see next_general). */
__attribute__((noinline)) static int complete_general(smx_element *e, smx_status status,
                                                      size_t nresults, const char *const *names,
                                                      const double *values)
{
    smx_completion c = SMX_COMPLETION_INIT;
    c.status = status;
    c.nresults = nresults;
    c.result_names = names;
    c.result_values = values;
    return smx_element_complete_ex(e, &c);
}

int smx_element_complete(smx_element *e, smx_status status, size_t nresults,
                         const char *const *names, const double *values)
{
    /*
     * Done without results on a first attempt, by a rank that records its own elements, while
     * elements come fast: the element joins the done window as smx_element_complete_ex would make
     * it, with no completion built.
     */
    smx_session *s;
    if (e && status == SMX_STATUS_DONE && nresults == 0 && e->attempt == 1 &&
        (s = e->s)->fast_done) {
        ungive(e);
        return complete_done(s, e);
    }
    return complete_general(e, status, nresults, names, values);
}

void smx__session_stop_on_error(smx_session *s, const char *message)
{
    if (!s)
        return;
    snprintf(s->stop_error, sizeof s->stop_error, "%s", message);
    smx_session_request_stop(s, "error");
}

void smx_session_request_stop(smx_session *s, const char *reason)
{
    if (!s)
        return;
    s->stop_reason = reason;
    s->stop_flag = 1;
}

int smx_session_stopping(const smx_session *s)
{
    return s && (s->stopping || s->stop_flag);
}

const char *smx__session_claims(const smx_session *s, const char **why)
{
    if (why)
        *why = s->claim.why;
    return s->claim.path == SMX__CLAIM_P2P ? "p2p" : "rma";
}

const char *smx__session_workdir(const smx_session *s)
{
    return s->workdir ? s->workdir : "";
}

const smx_spec *smx__session_spec(const smx_session *s)
{
    return s->spec;
}

uint64_t smx__session_events(const smx_session *s)
{
    return s->coord ? smx__coord_events(s->coord) : 0;
}

void smx__session_counts(const smx_session *s, smx_stat *st, double *rate)
{
    memset(st, 0, sizeof *st);
    *rate = 0;
    if (s->coord)
        smx__coord_counts(s->coord, st, rate, NULL);
}

int smx__session_close_ex(smx_session *s, smx__outcome *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return out->rc = smx__error(SMX_EUSAGE, "smx_session_close: session is NULL");
    s->finished = 1;
    /*
     * What this rank finished goes to rank 0; whatever it still holds goes back to pending. If the
     * done window cannot be handed over (no memory), its elements stay running in the file and run
     * again next time; this rank's close reports the failure.
     */
    int lost = flush_done(s);
    release_queue(s);
    smx__report r;
    for (smx_element *e = s->all, *n; e; e = n) {
        n = e->all_next;
        if (!e->out)
            continue;
        init_report(s, &r, SMX__REPORT_RELEASE, e->index, e->attempt);
        if (s->grank == 0) /* a group member's element is its leader's to give back */
            report(s, &r);
        free_element(s, e);
    }
    int rc = SMX_OK;
    if (s->rank == 0) {
        rc = smx__coord_finish(s->coord, out);
        if (rc != out->rc) { /* telling the others failed */
            out->rc = rc;
            snprintf(out->message, sizeof out->message, "%s", smx_error_last());
        }
    } else {
        /* A stop asked for now goes before FINISHED, after which rank 0 no longer listens. */
        if (s->stop_flag && !s->stopping) {
            become_stopping(s);
            keep(&rc, send_stop(s));
        }
        keep(&rc, smx__session_flush(s, 1));
        keep(&rc, send_to_root(s, SMX__TAG_FINISHED, NULL, 0));
        /* Wait for rank 0's verdict without spinning a core: poll and sleep. */
        MPI_Request req;
        int mrc = MPI_Ibcast(out, sizeof *out, MPI_BYTE, 0, s->comm, &req);
        for (int done = 0; mrc == MPI_SUCCESS;) {
            mrc = MPI_Test(&req, &done, MPI_STATUS_IGNORE);
            if (done || mrc != MPI_SUCCESS)
                break;
            worker_poll(s); /* what fails here fails rank 0's outcome too, or already did */
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
        if (mrc != MPI_SUCCESS) {
            rc = smx__mpi_error(mrc, "rank %d: waiting for rank 0's outcome", s->rank);
            snprintf(out->message, sizeof out->message, "%s", smx_error_last());
            out->rc = rc;
        }
        rc = out->rc != SMX_OK ? out->rc : rc;
    }
    if (rc == SMX_OK && lost != SMX_OK) {
        rc = lost;
        snprintf(out->message, sizeof out->message, "%s", smx_error_last());
    }
    if (rc != SMX_OK && rc != SMX_ESTOPPED)
        smx__error(rc, "%s", out->message);
    int frc = free_session(s);
    if (rc == SMX_OK && frc != SMX_OK) {
        out->rc = rc = frc;
        snprintf(out->message, sizeof out->message, "%s", smx_error_last());
    }
    return rc;
}

int smx_session_close(smx_session *s, smx_stat *final)
{
    smx__h5_handler h5;
    smx__h5_save(&h5);
    smx__outcome out;
    int rc = smx__session_close_ex(s, &out);
    if (final)
        *final = out.stat;
    return smx__h5_restore(&h5, rc);
}
