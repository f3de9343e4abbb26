/* tags_int.h — what the tag store (tags.c) and its importers (import_*.c) share: the
 * import context every importer feeds raw tags and actors into, which validates them
 * (keys, confidence, concepts) and writes them inside the file's one transaction, and the
 * GraphSense taxonomies compiled into the program (tags_key.c). Not a public API. */
#ifndef SLEUTH_TAGS_INT_H
#define SLEUTH_TAGS_INT_H

#include <sqlite3.h>
#include <stdio.h>
#include <yaml.h>

#include "sleuth/tags.h"

struct sl_tags {
    sqlite3 *db;
    char *dir;
    sqlite3_stmt *by_subject, *by_subject_any;
};

/* A tag as an importer read it: borrowed strings, any may be NULL. network is the pack's
 * network or currency code (or a sleuth chain name); line the 1-based line for errors. */
typedef struct sl_tag_in {
    const char *network, *address, *tx_hash, *label, *category, *abuse, *concepts, *source, *confidence,
        *actor, *context, *lastmod;
    int is_cluster_definer; /* 0/1 */
    unsigned line;
} sl_tag_in;

typedef struct sl_tags_imp {
    sl_tags *t;
    const char *file;          /* base name, as tags record it */
    const char *path;          /* as errors name it */
    sqlite3_int64 source_id;
    const sl_tags_import_opts *opts;
    sl_tags_import_stats *st;
    sqlite3_stmt *ins_tag, *ins_actor;
} sl_tags_imp;

/* Validates and stores one tag (the error names im->path, in->line and the field).
 * Duplicates (same chain, subject, label and source in this file) are counted, not stored. */
int sl_tags__put(sl_tags_imp *im, const sl_tag_in *in, sl_error *e);
/* Stores one actor (strings borrowed; lists as JSON arrays). */
int sl_tags__put_actor(sl_tags_imp *im, const char *id, const char *label, const char *uri, const char *categories,
                       const char *jurisdictions, const char *aliases, const char *context, const char *lastmod,
                       unsigned line, sl_error *e);
/* Records a warning at line (or an error in strict mode: then returns SL_ECORRUPT). */
int sl_tags__warn(sl_tags_imp *im, unsigned line, const char *field, sl_error *e, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Sets the source's title (pack name) and creator. */
int sl_tags__source_title(sl_tags_imp *im, const char *title, const char *creator, sl_error *e);
/* Fills e with a located error: "path:line: field: msg", code SL_ECORRUPT. */
int sl_tags__bad(sl_tags_imp *im, unsigned line, const char *field, sl_error *e, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The same with a path instead of an import (readers that are not imports). */
int sl_tags__bad_at(const char *path, unsigned line, const char *field, sl_error *e, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Files kept beside the tags (incidents.c; also bridges.c's rules): */
/* Whether a line of path's first 64 KiB starts with the top-level key "key:". */
bool sl_knowledge__has_top_key(const char *path, const char *key);
/* STORE_DIR/knowledge/SUB into out (cap bytes); mk: create the folders. SL_EUSAGE (too
 * long), SL_EIO. */
int sl_knowledge__dir(char *out, size_t cap, const char *store_dir, const char *sub, bool mk, sl_error *e);
/* Copies src to dst through dst.tmp and a rename, so a reader sees the old or the new file.
 * SL_EIO naming the file. */
int sl_knowledge__copy_file(const char *src, const char *dst, sl_error *e);
/* Keeps a validated YAML file as STORE_DIR/knowledge/SUB/BASENAME (".yaml" appended unless it
 * ends in .yaml or .yml), atomically. SL_EUSAGE (a base name starting with '.'), SL_EIO. */
int sl_knowledge__keep_yaml(const char *store_dir, const char *sub, const char *path, sl_error *e);
/* Calls fn(ctx, path, e) for every .yaml/.yml file of STORE_DIR/knowledge/SUB (none, or no
 * folder, is fine), in file name order, until one returns non-zero (returned). SL_EIO,
 * SL_ENOMEM. */
int sl_knowledge__each_yaml(const char *store_dir, const char *sub, int (*fn)(void *ctx, const char *path, sl_error *e),
                            void *ctx, sl_error *e);

/* A YAML document as a tree (yaml_tree.c): each node knows its 1-based line. */
enum { SL_Y_SCALAR, SL_Y_MAP, SL_Y_SEQ };
typedef struct sl_ynode {
    int type;
    char *s;                 /* scalar text */
    unsigned line;
    struct sl_ynode *kids;   /* map: key, value, key, value ...; seq: items */
    size_t n, cap;
} sl_ynode;
/* Reads the one document of ps into *root (free with sl_ynode_free even on error);
 * aliases, more than one document, depth > 32 are located errors naming path. */
int sl_ynode_read(const char *path, yaml_parser_t *ps, sl_ynode *root, sl_error *e);
void sl_ynode_free(sl_ynode *y);
/* sl_ynode_read of the file at path (SL_EIO naming it when it cannot be opened). */
int sl_ynode_read_file(const char *path, sl_ynode *root, sl_error *e);
/* SL_OK when m is a mapping whose keys are words, none given twice; else a located error
 * (path:line: key: "key given twice (first on line N)"), SL_ECORRUPT. what names m. */
int sl_ynode_check_map(const char *path, const sl_ynode *m, const char *what, sl_error *e);
/* The value of key k of mapping m, or NULL. */
const sl_ynode *sl_ynode_get(const sl_ynode *m, const char *k);

/* The importers: one stream in, tags out through im. */
int sl_tags__import_yaml(sl_tags_imp *im, FILE *f, sl_error *e);
int sl_tags__import_xml(sl_tags_imp *im, FILE *f, bool bz2, sl_error *e);
int sl_tags__import_csv(sl_tags_imp *im, FILE *f, sl_error *e);
int sl_tags__import_json(sl_tags_imp *im, FILE *f, sl_error *e);
/* The concept an Etherscan label slug ("exchange", "tornado-cash", "phish-hack") stands for
 * (import_csv.c's table, shared with the JSON label files): true with *category and *abuse
 * (may be NULL) set, false when the slug says nothing about what the address is. */
bool sl_tags__slug_concept(const char *slug, const char **category, const char **abuse);

/* Taxonomies (tags_key.c; the copies in data/taxonomy/ compiled in). */
/* The level of a confidence id, or -1 when unknown. */
int sl_tags__confidence_level(const char *id);
/* True when c is a concept id of the taxonomy. */
bool sl_tags__concept_ok(const char *c);

#endif
