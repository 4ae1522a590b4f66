/*
 * The YAML tree the spec parser works on: every node keeps its line and column for messages.
 */
#ifndef SMX_SPEC_YAML_TREE_H
#define SMX_SPEC_YAML_TREE_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "core/error.h"
#include "spec/spec.h"

/* Bounds that keep a hostile spec from using unbounded time or memory. */
#define SMX__SP_MAX_DEPTH 64           /* nesting of sequences and mappings */
#define SMX__SP_MAX_ANCHORS 1000       /* distinct anchors in one document */
#define SMX__SP_MAX_ALIAS_NODES 100000 /* nodes that aliases may add when expanded */

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

typedef struct ynode {
    enum ytype type;
    int line, col;       /* 1-based */
    char *str;           /* scalar text */
    int quoted;          /* a quoted or block scalar: always a string */
    int strtag;          /* tagged !!str */
    struct ynode **kids; /* sequence items, or mapping key, value, key, value, ... */
    size_t nkids, capkids;
    uint64_t weight; /* nodes in the subtree, aliases expanded */
} ynode;

/* One parse: the spec being built, where its text came from, and the tree (owned here). */
typedef struct ctx {
    smx_spec *spec;
    const char *file;
    const char *basedir;
    const char *csv_text; /* the rows' CSV as captured in a state file, or NULL: read the file */
    size_t csv_len;
    yaml_parser_t parser;
    ynode **all;
    size_t nall, capall;
    struct anchor {
        char *name;
        ynode *node;
    } * anchors;
    size_t nanchors;
    uint64_t alias_nodes;
} ctx;

/* Every mistake is one message "FILE:LINE:COL: what is wrong; what is expected". */
SMX__PRINTF(3, 4) int smx__sp_fail(ctx *c, const ynode *n, const char *fmt, ...);
SMX__PRINTF(4, 5) int smx__sp_fail_at(ctx *c, int line, int col, const char *fmt, ...);

/* Reads TEXT into a tree owned by C; smx__sp_tree_free releases it (also after a failure). */
int smx__sp_load_tree(ctx *c, const char *text, size_t len, ynode **root);
void smx__sp_tree_free(ctx *c);

#endif
