/* Which inherited variables belong to the launcher: see launch_env.h. */
#include "exec/launch_env.h"

#include <string.h>

static int starts(const char *name, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(name, prefix, n) == 0;
}

static int is(const char *name, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(name, word, len) == 0;
}

/*
 * Open MPI's mpirun passes its own settings to the ranks as OMPI_MCA_* too; these families are
 * the launcher's (they name the outer job's daemons, session directory and wiring) and make a
 * nested mpirun refuse to start. Any other OMPI_MCA_* is a user's tuning and is kept.
 */
static int ompi_launcher_mca(const char *name, size_t len)
{
    static const char *const fam[] = {"OMPI_MCA_orte_", "OMPI_MCA_ess_", "OMPI_MCA_pmix_",
                                      "OMPI_MCA_prte_"};
    static const char *const one[] = {"OMPI_MCA_ess", "OMPI_MCA_pmix", "OMPI_MCA_initial_wdir",
                                      "OMPI_MCA_mpi_oversubscribe",
                                      "OMPI_MCA_shmem_RUNTIME_QUERY_hint"};
    for (size_t i = 0; i < sizeof fam / sizeof fam[0]; i++)
        if (starts(name, len, fam[i]))
            return 1;
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
        if (is(name, len, one[i]))
            return 1;
    return 0;
}

int smx__launch_env_var(const char *name, size_t len)
{
    if (starts(name, len, "OMPI_")) {
        if (starts(name, len, "OMPI_ALLOW_RUN_AS_ROOT"))
            return 0;
        if (starts(name, len, "OMPI_MCA_"))
            return ompi_launcher_mca(name, len);
        return 1;
    }
    static const char *const prefixes[] = {
        "PMIX_",      "PMI_",           "HYDRA_",           "HYDI_",      "PRTE_",
        "SLURM_STEP", "SLURM_CPU_BIND", "SLURM_SRUN_COMM_", "SLURM_PMIX", "SLURM_PMI2"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (starts(name, len, prefixes[i]))
            return 1;
    /* Per task within the outer step; a nested srun or mpirun sets its own. */
    static const char *const names[] = {
        "MPI_LOCALRANKID", "MPI_LOCALNRANKS",    "SLURM_PROCID",
        "SLURM_LOCALID",   "SLURM_TASK_PID",     "SLURM_GTIDS",
        "SLURM_MPI_TYPE",  "SLURM_DISTRIBUTION", "SLURM_LAUNCH_NODE_IPADDR"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (is(name, len, names[i]))
            return 1;
    return 0;
}
