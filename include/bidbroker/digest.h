/*
 * digest.h — members' digests (daemon/digest.c; docs/digest.md): which
 * matches go in the next one, the message (text + HTML from the templates in
 * [mail] templates, DKIM-signed with every [dkim] key), and recording it.
 *
 * A digest holds the member's active matches that are new or changed since
 * its previous digest (digests.h), still open, and feasible (the deadline at
 * least [mail] min_working_days working days after delivery; the rest are
 * dropped and counted); the ones closing within [mail] closing_soon come
 * first, under their own heading; at most [mail] max_items, the others
 * counted and left for the next digest.  Composing, recording the digest and
 * its items and queueing the message (outbox.h) are one transaction; one
 * (member, period) never yields two different digests: the stored one is
 * returned again.
 */
#ifndef BIDBROKER_DIGEST_H
#define BIDBROKER_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidbroker/digestsched.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/util.h"

struct config;
struct engine;
struct err;
struct member;
struct store;

/* What a digest says about one opportunity (plain data, owned). */
struct digest_partner {
        char *id, *name, *email;        /* email: the first address, or NULL */
        char *covers;                   /* "cleaning, catering" */
};

struct digest_entry {
        int64_t  opportunity_id;
        char    *title, *buyer;
        bool     value_stated;
        int64_t  value_min, value_max;  /* pence, VALUE_NONE */
        char     currency[4];
        int64_t  deadline;              /* TIME_UNKNOWN: not given */
        char    *location;              /* "West Midlands (UKG), B1 1AA", or NULL */
        char    *procedure;             /* what the notice says, and the below-threshold rule */
        char    *suitability;           /* "suitable for SMEs and VCSEs", or NULL */
        char    *urls[2], *url_labels[2];  /* the notice's pages (both records when linked) */
        size_t   nurls;
        struct strv why;                /* why it matched, one sentence each */
        char    *change;                /* NULL: new; "deadline moved to ..." */
        bool     closing_soon;
        double   score;
        char    *lead;                  /* a consortium: who leads (an id), else NULL */
        char    *own_covers;            /* what this member covers in it */
        struct digest_partner *partners;
        size_t   npartners;
        char    *still_needed;          /* the set's readiness summary when something the
                                         * notice asks for is missing ("Still needed:
                                         * CHAS; ..."), else NULL */
        char    *interested_url, *not_relevant_url;     /* signed links, or NULL */
};

struct digest_view {
        char    *member, *member_name, *to;
        char     period[DIGEST_PERIOD_LEN];
        int64_t  slot;                  /* the scheduled time of the period */
        int64_t  now;                   /* Date: */
        struct digest_entry *items;     /* closing soon first, then by score */
        size_t   n, cap;
        size_t   overflow;              /* over max_items: left for the next digest */
        size_t   infeasible;            /* deadline too near to bid: dropped */
        size_t   changed;               /* of items, changed ones */
        size_t   closing;               /* of items, closing soon */
        char    *unsubscribe_url;       /* https (signed token), or NULL */
};
void digest_view_init(struct digest_view *v);
void digest_view_done(struct digest_view *v);   /* frees; reusable after init */
struct digest_entry *digest_view_add(struct digest_view *v);    /* a zeroed entry */

/* What composing needs, loaded once: the templates, the DKIM keys, the
 * link key (STATE/link.key, linktoken.h) when [http] public_url is set. */
struct digest_env;
enum {
        DIGEST_ENV_KEYS = 1u,           /* load the [dkim] keys */
        DIGEST_ENV_LINKKEY = 2u,        /* the link key; made when absent */
        DIGEST_ENV_LINKKEY_READ = 4u,   /* the link key if it exists (a preview) */
};
int digest_env_new(const struct config *cfg, const char *state_dir, unsigned flags,
                   struct digest_env **ret, struct err *e);
void digest_env_free(struct digest_env *env);  /* NULL-safe; wipes keys */
const struct config *digest_env_config(const struct digest_env *env);
/* The number of DKIM keys loaded. */
size_t digest_env_keys(const struct digest_env *env);

/* How long the signed links of a digest work. */
#define DIGEST_LINK_DAYS        90      /* interested / not relevant */
#define DIGEST_UNSUBSCRIBE_DAYS 400     /* unsubscribe (List-Unsubscribe too) */

/* Fill v's signed links (PUBLIC_URL/l/TOKEN per item, PUBLIC_URL/unsubscribe/
 * TOKEN) when the environment has a link key; nothing otherwise. */
int digest_links(const struct digest_env *env, struct digest_view *v, struct err *e);

/* The message of v (CRLF), signed with every key, appended to out. */
int digest_compose(const struct digest_env *env, const struct digest_view *v,
                   struct buf *out, struct err *e);
/* The Message-ID of a member's digest for a period, without <>. */
char *digest_message_id(const struct config *cfg, const char *member, const char *period);

/* What changed in o since a digest carried it with title, deadline and value
 * ("deadline moved to ...", "value now stated: £...", "title changed ..."),
 * or NULL when nothing a member cares about did. */
char *digest_change_text(const struct opportunity *o, const char *title, int64_t deadline,
                         bool value_stated, int64_t value_max);

/* A feed value on one line: control characters as spaces, runs of spaces as
 * one, trimmed; NULL for NULL or nothing left.  The caller frees it. */
char *digest_one_line(const char *s);

enum digest_outcome {
        DIGEST_QUEUED,          /* composed, recorded, queued (or would be: preview) */
        DIGEST_EXISTING,        /* the period's digest was composed before: that one */
        DIGEST_EMPTY,           /* nothing new: recorded, nothing sent (send_empty = no) */
        DIGEST_NO_ADDRESS,      /* the member has no email address */
        DIGEST_UNSUBSCRIBED,    /* the member unsubscribed (feedback.h): nothing composed */
};

struct digest_result {
        enum digest_outcome outcome;
        char     period[DIGEST_PERIOD_LEN];
        int64_t  digest_id;             /* 0 in a preview */
        int64_t  outbox_id;
        size_t   items, overflow, infeasible;
        struct buf message;             /* the message (empty when none) */
};
void digest_result_init(struct digest_result *r);
void digest_result_done(struct digest_result *r);

/*
 * The digest of member m for the period whose slot is the latest at or
 * before now.  preview: compose it (or read the stored one) and write
 * nothing; else record and queue it in one transaction.
 */
int digest_member(struct digest_env *env, struct store *st, const struct engine *eng,
                  const struct member *m, int64_t now, bool preview,
                  struct digest_result *res, struct err *e);

#endif
