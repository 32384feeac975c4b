/*
 * readiness.h — the readiness checklist of a suggested set of members (#10
 * item 7, docs/consortium.md "Readiness checklist"): each check the notice
 * asks for (checks.h), which partner holds it, and what is still missing, so
 * a broker can call the partners with a concrete list.
 *
 * A check is held by a member when its accreditations hold it (checks.h) at
 * the notice's level, if the notice states one: a member whose entry states
 * no amount, or a lower one, does not hold it (and the checklist says which).
 * Scope any: held by the set when one member holds it; scope each: when
 * every member does.
 */
#ifndef BIDBROKER_READINESS_H
#define BIDBROKER_READINESS_H

#include <jansson.h>
#include <stddef.h>

struct check_asks;
struct check_holds;
struct member;

/* The asks as JSON: [{"check", "label", "level" (pounds or null), "scope"
 * ("any" | "each"), "field", "text"}] (a new reference). */
json_t *readiness_asks_json(const struct check_asks *a);

/* One set's checklist (a new reference): {"ready", "held": {check:
 * [members]}, "missing": [{"check", "label", "level", "members", "why"}],
 * "summary"}; members[i]'s holds are holds[i].  "members" of a missing
 * check: those lacking it (scope each), or [] (scope any: no one holds it);
 * "summary": "Still needed: ...", or what all is held, or null when the
 * notice asks for nothing. */
json_t *readiness_json(const struct check_asks *a, const struct member *const *members,
                       const struct check_holds *holds, size_t n);

#endif
