/*
 * matchconf.h — build the matching engine from the configuration: the CPV
 * reference list ([match] cpv_reference, optional), the capability taxonomy
 * ([match] taxonomy) and the member register ([match] members).
 *
 * Used by the match commands, by check-config and by the daemon's SIGHUP
 * reload: every problem in every file is reported as FILE:LINE into d, and
 * on any error nothing is returned, so a reload keeps the old engine.
 * Never logs.
 */
#ifndef BIDBROKER_MATCHCONF_H
#define BIDBROKER_MATCHCONF_H

#include <stdbool.h>

#include "bidbroker/hash.h"

struct config;
struct consort_opts;
struct cpvref;
struct diag;
struct engine;

/* Load taxonomy + members named by cfg and build the engine.  0, or
 * -EINVAL (also when [match] taxonomy or members is not set) with every
 * error in d and *ret untouched.  The caller owns *ret (engine_free). */
int matchconf_load(const struct config *cfg, struct engine **ret, struct diag *d);

/* The same from a directory laid out like conf/: DIR/capabilities.conf and
 * DIR/members/ (replay's candidate configuration); either one DIR does not
 * have is cfg's.  The CPV reference is still cfg's. */
int matchconf_load_dir(const struct config *cfg, const char *dir, struct engine **ret,
                       struct diag *d);

/* The CPV reference of cfg, or NULL when none is configured; errors in d. */
int matchconf_cpvref(const struct config *cfg, struct cpvref **ret, struct diag *d);

/* A fingerprint (hex, HASH_HEX_LEN) of everything the engine was built
 * from: capabilities and members with every rule.  Stored with each match
 * so that a changed configuration re-matches. */
void matchconf_fingerprint(const struct engine *e, char out[HASH_HEX_LEN]);

/* The consortium search's options from [consortium] (consortmatch.h), with
 * e's taxonomy's checks for the readiness checklist (e NULL: none). */
void matchconf_consort_opts(const struct config *cfg, const struct engine *e,
                            struct consort_opts *out);

#endif
