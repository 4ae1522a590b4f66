/*
 * Creation cost of stored parameters: writes a state file for a 3-parameter grid of N elements
 * and for a 3-parameter random sweep of M elements through the same call `sweepmux run` uses
 * (smx__store_create_sweep), and prints wall time, apparent size and disk use of each.
 *
 * usage: create_params DIR [GRID_N [RANDOM_N]]   (defaults 1e8 and 1e7)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spec/spec.h"
#include "state/store.h"
#include "sweepmux/errors.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Creates DIR/NAME for the spec YAML and prints one result line. */
static int measure(const char *dir, const char *name, const char *yaml)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    smx_spec *spec = NULL;
    int rc = smx__spec_parse(&spec, yaml, strlen(yaml), name, NULL);
    if (rc != SMX_OK) {
        fprintf(stderr, "create_params: %s\n", smx_error_last());
        return 1;
    }
    uint64_t n = smx__spec_count(spec);
    double t0 = now();
    rc = smx__store_create_sweep(path, spec, "default", n, NULL, dir);
    double dt = now() - t0;
    smx__spec_free(spec);
    if (rc != SMX_OK) {
        fprintf(stderr, "create_params: %s\n", smx_error_last());
        return 1;
    }
    struct stat sb;
    if (stat(path, &sb) != 0) {
        perror(path);
        return 1;
    }
    printf("%-28s elements %12llu  create %7.2f s  apparent %8.1f MiB  on disk %8.1f MiB  "
           "(%.2f bytes/element on disk)\n",
           name, (unsigned long long)n, dt, (double)sb.st_size / 1048576.0,
           (double)sb.st_blocks * 512.0 / 1048576.0, (double)sb.st_blocks * 512.0 / (double)n);
    unlink(path);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: create_params DIR [GRID_N [RANDOM_N]]\n");
        return 2;
    }
    unsigned long long gn = argc > 2 ? strtoull(argv[2], NULL, 10) : 100000000ull;
    unsigned long long rn = argc > 3 ? strtoull(argv[3], NULL, 10) : 10000000ull;
    char grid[512], rnd[512];
    /* lr (float, 100 values) x depth (int, 1000) x opt (string, gn / 1e5 values, at least 1). */
    unsigned long long nopt = gn / 100000 ? gn / 100000 : 1;
    snprintf(grid, sizeof grid,
             "name: bench-grid\ncommand: [/bin/true, \"{lr}\", \"{depth}\", \"{opt}\"]\n"
             "parameters:\n  opt: {min: 1, max: %llu}\n"
             "  lr: {min: 1.0e-5, max: 1.0e-1, num: 100, scale: log}\n"
             "  depth: {min: 1, max: 1000}\n",
             nopt);
    snprintf(rnd, sizeof rnd,
             "name: bench-random\nmethod: random\ncount: %llu\nseed: 1\n"
             "command: [/bin/true, \"{lr}\", \"{layers}\", \"{opt}\"]\nparameters:\n"
             "  lr: {distribution: log_uniform_values, min: 1.0e-5, max: 1.0e-1}\n"
             "  layers: {distribution: int_uniform, min: 2, max: 12}\n"
             "  opt: {distribution: categorical, values: [sgd, adam, rmsprop]}\n",
             rn);
    int bad = measure(argv[1], "grid.h5", grid);
    bad |= measure(argv[1], "random.h5", rnd);
    return bad;
}
