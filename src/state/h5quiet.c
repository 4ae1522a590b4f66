/* The embedding program's HDF5 error handler: see h5quiet.h. */
#include "state/h5quiet.h"

void smx__h5_save(smx__h5_handler *h)
{
    h->func = NULL;
    h->data = NULL;
    h->saved = H5Eget_auto2(H5E_DEFAULT, &h->func, &h->data) >= 0;
}

int smx__h5_restore(const smx__h5_handler *h, int rc)
{
    if (h->saved)
        H5Eset_auto2(H5E_DEFAULT, h->func, h->data);
    return rc;
}

void smx__h5_no_atexit(void)
{
    H5dont_atexit();
}
