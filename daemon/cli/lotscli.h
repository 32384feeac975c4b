/*
 * lotscli.h — the lots of a notice as explain shows them (consortlots.h):
 * each lot matched on its own and, with --consortia, each lot's consortia
 * and the lot bundle; the JSON keys merged and the text read back from them.
 */
#ifndef BIDBROKER_LOTSCLI_H
#define BIDBROKER_LOTSCLI_H

#include <jansson.h>
#include <stdio.h>

/* Put the consortium keys of doc into j: the whole notice's as they are,
 * and each of doc's "lots" into j's lot of the same id (so a lot carries its
 * requirements, matches and consortia together).  doc is emptied of "lots". */
void lots_merge(json_t *j, json_t *doc);
/* Each lot's requirements and matches; nothing when j has no "lots". */
void lots_text(FILE *out, const json_t *j);
/* Each lot's verdict and best set, then the lot bundle; nothing when j's lots
 * carry no verdict. */
void lots_consortia_text(FILE *out, const json_t *j);

#endif
