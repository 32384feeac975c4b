/*
 * cpvref.h — the CPV 2008 code list (Common Procurement Vocabulary), loaded
 * from a JSON reference file (conf [match] cpv_reference; the bundled copy is
 * tests/fixtures/reference/ref-cpv2008-xterr-cpvCodes.json).  Used to
 * validate the CPV prefixes of the capability taxonomy and to label codes
 * and prefixes for people.
 *
 * The file is an array of objects {"code": "90911200-8", "version": 2,
 * "name": "..."}; only version 2 entries (CPV 2008) are kept.  The list is
 * held sorted by code, so "is this a prefix of a real code" is a binary
 * search.  Ownership: struct cpvref owns its codes and names.
 */
#ifndef BIDBROKER_CPVREF_H
#define BIDBROKER_CPVREF_H

#include <stdbool.h>
#include <stddef.h>

struct err;
struct cpvref;

/* Load the list.  0, or -errno / -EINVAL with the reason in err. */
int cpvref_load(const char *path, struct cpvref **ret, struct err *err);
struct cpvref *cpvref_free(struct cpvref *r);           /* NULL-safe, returns NULL */

size_t cpvref_count(const struct cpvref *r);
/* The i-th code (8 digits, no check digit) in ascending order, or NULL. */
const char *cpvref_code(const struct cpvref *r, size_t i);

/* The name of an exact 8-digit code (no check digit), or NULL. */
const char *cpvref_name(const struct cpvref *r, const char *code);

/* True when prefix (digits) starts at least one real code. */
bool cpvref_has_prefix(const struct cpvref *r, const char *prefix);

/* A label for a prefix: the name of the code that is the prefix padded with
 * zeros ("9091" -> 90910000 "Cleaning services"), else of the first code
 * under the prefix; NULL when no code starts with it. */
const char *cpvref_prefix_label(const struct cpvref *r, const char *prefix);

#endif
