/*
 * consortcli.h — consortium suggestions as explain shows them (explain
 * --consortia): the JSON keys and the text read back from them.
 */
#ifndef BIDBROKER_CONSORTCLI_H
#define BIDBROKER_CONSORTCLI_H

#include <jansson.h>
#include <stdio.h>

struct consort_suggestion;

/* Add "verdict", "missing", "consortia" and "consortium_search" to j. */
void consortia_json(json_t *j, const struct consort_suggestion *sg);
/* Print them from j as text; nothing when j has no "consortia". */
void consortia_text(FILE *out, const json_t *j);

#endif
