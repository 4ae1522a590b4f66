/*
 * Reading the YAML tree's nodes: typed scalars, checked mappings, and the one way to report a
 * mistake at a node.
 */
#ifndef SMX_SPEC_NODES_H
#define SMX_SPEC_NODES_H

#include <stdint.h>

#include "core/error.h"
#include "core/value.h"
#include "spec/yaml_tree.h"

#define SMX__SP_MAX_NAME 128 /* length of a parameter or environment variable name */
#define SMX__SP_COUNT_MAX ((uint64_t)INT64_MAX - 1)

/* What a plain scalar means under the YAML 1.2 core schema. */
enum skind { K_NULL, K_BOOL, K_INT, K_FLOAT, K_STR, K_BADNUM };

enum skind smx__sp_classify(const ynode *n, smx_value *v);
const char *smx__sp_type_name(smx_value_type t);
const char *smx__sp_node_desc(const ynode *n);
const char *smx__sp_keep(ctx *c, const char *s);
int smx__sp_get_value(ctx *c, const ynode *n, const char *what, smx_value *out);
int smx__sp_get_number(ctx *c, const ynode *n, const char *what, smx_value *out);
double smx__sp_num_f(const smx_value *v);
int smx__sp_get_int(ctx *c, const ynode *n, const char *what, int64_t *out);
int smx__sp_get_bool(ctx *c, const ynode *n, const char *what, int *out);
int smx__sp_get_text(ctx *c, const ynode *n, const char *what, int allow_empty);

void smx__sp_join_words(char *buf, size_t n, const char *const *words);
int smx__sp_check_map(ctx *c, const ynode *m, const char *what, const char *dupword);
const ynode *smx__sp_map_get(const ynode *m, const char *key);
const ynode *smx__sp_map_key(const ynode *m, const char *key);
int smx__sp_check_keys(ctx *c, const ynode *m, const char *where, const char *const *known);
int smx__sp_valid_name(const char *s);
int smx__sp_check_param_name(ctx *c, const ynode *k);

#endif
