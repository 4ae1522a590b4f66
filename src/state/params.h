/*
 * The sweep's inputs as stored in the state file: every element's parameter values, the rows of a
 * CSV list as they were read, and the element order after --extend. Layout (README "State file"):
 *
 *   /params/NAME        one dataset per parameter, shape [N], chunked, shuffle + deflate;
 *                       attrs type ("int" int64, "float" float64, "bool" uint8 0/1, "string"
 *                       uint32 codes) and order (int32, the spec's parameter position)
 *   /param_values/NAME  string parameters: variable-length UTF-8, one per distinct value, in the
 *                       order the elements first use them; a code is a row of this table
 *   /inputs/csv         a CSV list's text as read at creation; attr path (where it was read)
 *   /element_order      uint64 [R][2]: runs (first spec index, length); absent: element i is
 *                       spec index i
 *
 * Elements are numbered once: an element's index and values never change after it is written.
 */
#ifndef SMX_PARAMS_H
#define SMX_PARAMS_H

#include <hdf5.h>
#include <stdint.h>

#include "spec/spec.h"

/* Writes the groups above for every element of SPEC (in the order set on SPEC) into the new file
 * F (named WHERE in messages). Values are computed and written one chunk at a time. */
int smx__params_write(hid_t f, const char *where, const smx_spec *spec);

/* The stored parameters of a state file, for reading element values by index. */
typedef struct smx__params smx__params;

/* Opens the parameters of file F (WHERE: its path, kept for messages). */
int smx__params_open(hid_t f, const char *where, smx__params **out);
void smx__params_close(smx__params *p);
/* Number of parameters, and the name and type of parameter I (in the spec's order). */
size_t smx__params_count(const smx__params *p);
const char *smx__params_name(const smx__params *p, size_t i);
smx_value_type smx__params_type(const smx__params *p, size_t i);
/* Elements stored. */
uint64_t smx__params_elements(const smx__params *p);
/*
 * Reads the values of COUNT elements from START into VALS (COUNT rows of smx__params_count
 * values). String values borrow from P.
 */
int smx__params_read(smx__params *p, uint64_t start, uint64_t count, smx_value *vals);

/* The stored CSV text (NULL if none) and element order runs (NULL if none) of file F. */
int smx__inputs_read(hid_t f, const char *where, char **csv, size_t *csv_len, uint64_t **runs,
                     size_t *nruns);

#endif
