/*
 * YAML text -> a small tree read with libyaml's event API. Every node keeps its line and column for
 * messages; aliased nodes are shared instead of copied, with bounds on depth, anchors and on what
 * aliases may expand to, so that a hostile spec cannot use unbounded time or memory.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/error.h"
#include "spec/spec_impl.h"
#include "spec/yaml_tree.h"

SMX__PRINTF(3, 4) int smx__sp_fail(ctx *c, const ynode *n, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return smx__error(SMX_EINPUT, "%s:%d:%d: %s", c->file, n ? n->line : 1, n ? n->col : 1, msg);
}

SMX__PRINTF(4, 5) int smx__sp_fail_at(ctx *c, int line, int col, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return smx__error(SMX_EINPUT, "%s:%d:%d: %s", c->file, line, col, msg);
}

static ynode *node_new(ctx *c, enum ytype type, yaml_mark_t mark)
{
    if (c->nall == c->capall) {
        size_t cap = c->capall ? 2 * c->capall : 64;
        ynode **all = realloc(c->all, cap * sizeof *all);
        if (!all)
            return NULL;
        c->all = all;
        c->capall = cap;
    }
    ynode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->type = type;
    n->line = (int)mark.line + 1;
    n->col = (int)mark.column + 1;
    n->weight = 1;
    c->all[c->nall++] = n;
    return n;
}

static int node_add(ynode *parent, ynode *kid)
{
    if (parent->nkids == parent->capkids) {
        size_t cap = parent->capkids ? 2 * parent->capkids : 8;
        ynode **k = realloc(parent->kids, cap * sizeof *k);
        if (!k)
            return smx__error_oom();
        parent->kids = k;
        parent->capkids = cap;
    }
    parent->kids[parent->nkids++] = kid;
    parent->weight += kid->weight;
    return 0;
}

static int yaml_fail(ctx *c)
{
    yaml_parser_t *p = &c->parser;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    yaml_mark_t m = p->problem_mark;
    if (p->context)
        return smx__sp_fail_at(c, (int)m.line + 1, (int)m.column + 1,
                               "invalid YAML: %s %s (line %d); fix the YAML syntax", problem,
                               p->context, (int)p->context_mark.line + 1);
    return smx__sp_fail_at(c, (int)m.line + 1, (int)m.column + 1,
                           "invalid YAML: %s; fix the YAML syntax", problem);
}

static int next_event(ctx *c, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&c->parser, ev))
        return yaml_fail(c);
    return 0;
}

static int add_anchor(ctx *c, const yaml_char_t *name, ynode *n, yaml_mark_t mark)
{
    if (!name)
        return 0;
    if (c->nanchors >= SMX__SP_MAX_ANCHORS)
        return smx__sp_fail_at(c, (int)mark.line + 1, (int)mark.column + 1,
                               "too many anchors (more than %d); a spec needs only a few",
                               SMX__SP_MAX_ANCHORS);
    struct anchor *a = realloc(c->anchors, (c->nanchors + 1) * sizeof *a);
    if (!a)
        return smx__error_oom();
    c->anchors = a;
    /* A redefined anchor replaces the old one for later aliases, as YAML says. */
    a[c->nanchors].name = strdup((const char *)name);
    if (!a[c->nanchors].name)
        return smx__error_oom();
    a[c->nanchors].node = n;
    c->nanchors++;
    return 0;
}

static int is_str_tag(const yaml_char_t *tag)
{
    return tag && (!strcmp((const char *)tag, "tag:yaml.org,2002:str") ||
                   !strcmp((const char *)tag, "!!str"));
}

/* An alias shares its anchor's node; what aliases add is bounded (a "billion laughs" spec). */
static int build_alias(ctx *c, const yaml_event_t *ev, ynode **out)
{
    const char *name = (const char *)ev->data.alias.anchor;
    ynode *n = NULL;
    for (size_t i = c->nanchors; i-- > 0 && !n;)
        if (!strcmp(c->anchors[i].name, name))
            n = c->anchors[i].node;
    if (!n)
        return smx__sp_fail_at(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                               "unknown alias '*%s'; define the anchor '&%s' before using it", name,
                               name);
    c->alias_nodes += n->weight;
    if (c->alias_nodes > SMX__SP_MAX_ALIAS_NODES)
        return smx__sp_fail_at(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                               "aliases expand to more than %d nodes; a spec may use aliases only "
                               "for small repeated parts",
                               SMX__SP_MAX_ALIAS_NODES);
    *out = n;
    return 0;
}

static int build_scalar(ctx *c, const yaml_event_t *ev, ynode **out)
{
    ynode *n = node_new(c, Y_SCALAR, ev->start_mark);
    if (!n || !(n->str = malloc(ev->data.scalar.length + 1)))
        return smx__error_oom();
    memcpy(n->str, ev->data.scalar.value, ev->data.scalar.length);
    n->str[ev->data.scalar.length] = '\0';
    if (strlen(n->str) != ev->data.scalar.length)
        return smx__sp_fail(c, n, "a NUL character inside a value; remove it");
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    n->strtag = is_str_tag(ev->data.scalar.tag);
    *out = n;
    return add_anchor(c, ev->data.scalar.anchor, n, ev->start_mark);
}

static int build(ctx *c, yaml_event_t *ev, ynode **out, int depth);

/* A sequence or mapping: its items up to the matching end event. */
static int build_collection(ctx *c, const yaml_event_t *ev, ynode **out, int depth)
{
    int seq = ev->type == YAML_SEQUENCE_START_EVENT, rc = 0;
    yaml_mark_t mark = ev->start_mark;
    /* Copy the anchor: it is registered once the collection is complete, so that a
     * collection cannot contain itself. */
    const yaml_char_t *a = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
    char *anchor = a ? strdup((const char *)a) : NULL;
    if (a && !anchor)
        return smx__error_oom();
    ynode *n = node_new(c, seq ? Y_SEQ : Y_MAP, mark);
    if (!n) {
        free(anchor);
        return smx__error_oom();
    }
    for (;;) {
        yaml_event_t kid;
        if ((rc = next_event(c, &kid)))
            break;
        if (kid.type == YAML_SEQUENCE_END_EVENT || kid.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kid);
            break;
        }
        ynode *k = NULL;
        rc = build(c, &kid, &k, depth + 1);
        yaml_event_delete(&kid);
        if (rc || (rc = node_add(n, k)))
            break;
    }
    if (!rc)
        rc = add_anchor(c, (const yaml_char_t *)anchor, n, mark);
    free(anchor);
    *out = n;
    return rc;
}

/* Builds the node that starts with EV (consumed). */
static int build(ctx *c, yaml_event_t *ev, ynode **out, int depth)
{
    if (depth > SMX__SP_MAX_DEPTH)
        return smx__sp_fail_at(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                               "nesting deeper than %d levels; a spec needs only a few",
                               SMX__SP_MAX_DEPTH);
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return build_alias(c, ev, out);
    case YAML_SCALAR_EVENT:
        return build_scalar(c, ev, out);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        return build_collection(c, ev, out, depth);
    default:
        return smx__sp_fail_at(c, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                               "unexpected YAML structure; expected a value");
    }
}

/* Reads the whole document; *root is NULL for an empty document. */
int smx__sp_load_tree(ctx *c, const char *text, size_t len, ynode **root)
{
    yaml_event_t ev;
    int rc;
    *root = NULL;
    /* A UTF-8 byte order mark (which some editors write) is not part of the document; libyaml
     * skips it only when it detects the encoding itself, and the encoding is fixed below. */
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
        text += 3;
        len -= 3;
    }
    yaml_parser_set_input_string(&c->parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&c->parser, YAML_UTF8_ENCODING);
    for (;;) {
        if ((rc = next_event(c, &ev)))
            return rc;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (t == YAML_DOCUMENT_START_EVENT && *root) {
            rc = smx__sp_fail_at(c, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                                 "a second YAML document; a spec is one document");
            yaml_event_delete(&ev);
            return rc;
        }
        if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
            t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
            rc = build(c, &ev, root, 0);
            yaml_event_delete(&ev);
            if (rc)
                return rc;
            continue;
        }
        yaml_event_delete(&ev);
    }
}

void smx__sp_tree_free(ctx *c)
{
    for (size_t i = 0; i < c->nall; i++) {
        free(c->all[i]->str);
        free(c->all[i]->kids);
        free(c->all[i]);
    }
    free(c->all);
    c->all = NULL;
    c->nall = c->capall = 0;
    for (size_t i = 0; i < c->nanchors; i++)
        free(c->anchors[i].name);
    free(c->anchors);
    c->anchors = NULL;
    c->nanchors = 0;
}
