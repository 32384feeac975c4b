/*
 * matchcli.h — what the matching commands (match, matches, explain, replay,
 * members) share: loading the engine and the CPV list, argument parsing, and
 * the JSON and text forms of reasons.  Private to daemon/cli/.
 */
#ifndef BIDBROKER_CLI_MATCHCLI_H
#define BIDBROKER_CLI_MATCHCLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct cli;
struct config;
struct cpvref;
struct member_register;
struct taxonomy;
struct engine;
struct member_match;
struct requirement;

int load_engine(struct cli *cli, const char *cmd, struct engine **ret);
/* The taxonomy (when configured) and, unless reg is NULL, the member
 * register; errors printed, -errno. */
int load_register(struct cli *cli, const char *cmd, struct taxonomy **tx,
                  struct member_register **reg);
/* Whether the register has member id; when not, says so ("no member ...")
 * or why the register could not be read. */
bool member_known(struct cli *cli, const char *cmd, const char *id);
struct cpvref *load_cpvref_quiet(const struct config *cfg);
int parse_since(const char *cmd, const char *arg, int64_t *ret);
int parse_id(const char *cmd, const char *arg, int64_t *ret);
const char *jstr(const json_t *o, const char *key);
const char *field_phrase(const char *field);
void print_reason(FILE *f, const json_t *r, const struct cpvref *ref, const char *indent);
void print_reasons(FILE *f, const json_t *arr, const struct cpvref *ref, const char *indent);
/* text(f, j, ref) written to stdout wrapped to the terminal's width (term.h);
 * -ENOMEM after saying so. */
typedef void text_fn(FILE *f, const json_t *j, const struct cpvref *ref);
int print_fitted(struct cli *cli, text_fn *text, const json_t *j, const struct cpvref *ref);
json_t *member_match_json(const struct member_match *mm);
json_t *requirement_json(const struct requirement *rq);

#endif
