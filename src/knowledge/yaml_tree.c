/* yaml_tree.c — a YAML document (libyaml events) read into a small tree of scalars,
 * mappings and sequences that remembers each node's line, for the TagPack and ActorPack
 * importer and the incident library's reader: aliases refused, depth and node count
 * capped, so hostile YAML cannot expand; errors are located (file, line). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "knowledge/tags_int.h"
#include "sleuth/util.h"

#define SL_Y_MAX_DEPTH 32
#define SL_Y_MAX_NODES (64u << 20)

void sl_ynode_free(sl_ynode *y)
{
    for (size_t i = 0; i < y->n; i++) sl_ynode_free(&y->kids[i]);
    sl_free(y->kids);
    sl_free(y->s);
}

static sl_ynode *yadd(sl_ynode *p)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 4;
        sl_ynode *nv = sl_realloc(p->kids, nc * sizeof *nv);
        if (!nv) return NULL;
        p->kids = nv, p->cap = nc;
    }
    memset(&p->kids[p->n], 0, sizeof *p->kids);
    return &p->kids[p->n++];
}

int sl_ynode_read(const char *path, yaml_parser_t *ps, sl_ynode *root, sl_error *e)
{
    sl_ynode *stack[SL_Y_MAX_DEPTH + 1];
    int depth = 0, rc = SL_OK;
    size_t nodes = 0;
    bool done = false, have_root = false;
    memset(root, 0, sizeof *root);
    while (!done && !rc) {
        yaml_event_t ev;
        sl_ynode *n = NULL;
        if (!yaml_parser_parse(ps, &ev))
            return sl_tags__bad_at(path, (unsigned)ps->problem_mark.line + 1, "yaml", e, "%s%s%s",
                                ps->problem ? ps->problem : "malformed YAML", ps->context ? " " : "",
                                ps->context ? ps->context : "");
        unsigned line = (unsigned)ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_ALIAS_EVENT: rc = sl_tags__bad_at(path, line, "yaml", e, "aliases (*name) are not accepted in a tag pack"); break;
        case YAML_SCALAR_EVENT:
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (++nodes > SL_Y_MAX_NODES) { rc = sl_tags__bad_at(path, line, "yaml", e, "too many nodes"); break; }
            if (!depth) {
                if (have_root) { rc = sl_tags__bad_at(path, line, "yaml", e, "more than one document"); break; }
                n = root, have_root = true;
            } else if (!(n = yadd(stack[depth - 1]))) { rc = sl_err(e, SL_ENOMEM, "out of memory"); break; }
            n->line = line;
            if (ev.type == YAML_SCALAR_EVENT) {
                n->type = SL_Y_SCALAR;
                if (!(n->s = sl_strdup((const char *)ev.data.scalar.value))) rc = sl_err(e, SL_ENOMEM, "out of memory");
            } else {
                n->type = ev.type == YAML_MAPPING_START_EVENT ? SL_Y_MAP : SL_Y_SEQ;
                if (depth == SL_Y_MAX_DEPTH) { rc = sl_tags__bad_at(path, line, "yaml", e, "nested too deep"); break; }
                stack[depth++] = n;
            }
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT: depth--; break;
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
            if (have_root) rc = sl_tags__bad_at(path, line, "yaml", e, "more than one document");
            break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    if (!rc && !have_root) rc = sl_tags__bad_at(path, 0, "yaml", e, "empty document");
    return rc;
}

const sl_ynode *sl_ynode_get(const sl_ynode *m, const char *k)
{
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i].type == SL_Y_SCALAR && !strcmp(m->kids[i].s, k)) return &m->kids[i + 1];
    return NULL;
}


int sl_ynode_check_map(const char *path, const sl_ynode *m, const char *what, sl_error *e)
{
    if (m->type != SL_Y_MAP) return sl_tags__bad_at(path, m->line, what, e, "a mapping expected");
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        if (m->kids[i].type != SL_Y_SCALAR) return sl_tags__bad_at(path, m->kids[i].line, what, e, "a key must be a word");
        for (size_t j = 0; j < i; j += 2)
            if (!strcmp(m->kids[j].s, m->kids[i].s))
                return sl_tags__bad_at(path, m->kids[i].line, m->kids[i].s, e, "key given twice (first on line %u)",
                                       m->kids[j].line);
    }
    return SL_OK;
}

int sl_ynode_read_file(const char *path, sl_ynode *root, sl_error *e)
{
    FILE *f = fopen(path, "rb");
    yaml_parser_t ps;
    int rc;
    memset(root, 0, sizeof *root);
    if (!f) return sl_err(e, SL_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (!yaml_parser_initialize(&ps)) {
        fclose(f);
        return sl_err(e, SL_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_file(&ps, f);
    rc = sl_ynode_read(path, &ps, root, e);
    yaml_parser_delete(&ps);
    fclose(f);
    return rc;
}
