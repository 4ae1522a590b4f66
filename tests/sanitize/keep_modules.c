/*
 * Linked into the MPI programs of the sanitizer build only (-DSMX_SANITIZE=ON): a dlclose that
 * leaves the module loaded, in place of the C library's. Open MPI unloads its components in
 * MPI_Finalize; at exit LeakSanitizer then finds the frames of their allocations in no module,
 * rereads /proc/self/maps for each such frame of each leaked block (seconds of every MPI
 * process's exit), and cannot tell that the block is Open MPI's. With the components still
 * loaded their frames are named (mca_*.so, see lsan.supp) and the check at exit takes a few
 * milliseconds. sweepmux itself never loads or unloads a module.
 */
#include <dlfcn.h>

int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
