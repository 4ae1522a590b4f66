/* Element states by name: see status.h. */
#include "core/status.h"

#include <stddef.h>
#include <string.h>

const char *const smx__status_names[SMX__STATUS_COUNT + 1] = {
    [SMX_STATUS_PENDING] = "pending", [SMX_STATUS_RUNNING] = "running", [SMX_STATUS_DONE] = "done",
    [SMX_STATUS_FAILED] = "failed",   [SMX__STATUS_COUNT] = NULL,
};

const char *smx__status_name(int status)
{
    return status >= 0 && status < SMX__STATUS_COUNT ? smx__status_names[status] : "unknown";
}

int smx__status_parse(const char *name)
{
    for (int i = 0; name && i < SMX__STATUS_COUNT; i++)
        if (!strcmp(name, smx__status_names[i]))
            return i;
    return -1;
}
