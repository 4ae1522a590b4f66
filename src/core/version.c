/* The runtime version call, so a program can compare what it was built against with what it runs.
 */
#include "sweepmux/common.h"

const char *smx_version(void)
{
    return SMX_VERSION_STRING;
}
