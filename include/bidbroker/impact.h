/*
 * impact.h — the brokerage's measures over a period (docs/impact.md): one
 * set of queries for `bidbroker report` and the staff dashboard.
 *
 * Everything is read from the store: opportunities, matches, awards and
 * wins (awards.h; run awards_match() first), and, when those tables exist,
 * what digests sent (digest_item), members' feedback (feedback) and
 * consortium suggestions.  A measure whose table is not there says so
 * (have_* false, basis "matched" instead of "sent"); nothing is guessed.
 * Money in pence.  Never logs.
 */
#ifndef BIDBROKER_IMPACT_H
#define BIDBROKER_IMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidbroker/util.h"

struct err;
struct store;

enum impact_period_kind { PERIOD_MONTH, PERIOD_QUARTER, PERIOD_YEAR };

struct impact_period {
        enum impact_period_kind kind;
        int64_t from, to;               /* [from, to), UK local midnight */
        char    label[24];              /* "2026-11", "2026-Q3", "2026" */
};

/* "2026-11", "2026-Q3" (q any case), "2026".  0, or -EINVAL. */
int impact_period_parse(const char *s, struct impact_period *p);
/* The quarter holding t ("2026-Q4"). */
void impact_period_quarter_of(int64_t t, struct impact_period *p);
/* The year's target pro rata: a quarter a quarter of it, a month a twelfth. */
int64_t impact_target_for(const struct impact_period *p, int64_t year_target);

/* Which slice of the brokerage a set of measures is about. */
struct impact_scope {
        const char *kind;               /* "overall", "cluster", "anchor" */
        const char *name;               /* cluster or anchor name; NULL overall */
        const struct strv *members;     /* cluster: its member ids; NULL otherwise */
        const char *anchor_source;      /* anchor: "anchor:NAME" */
        const char *buyer_id;           /* anchor: its buyer id, or NULL */
        const char *buyer_name;         /* anchor: its display name */
};

struct impact_row {                     /* a measure broken down by one key */
        char   *key;                    /* a source, buyer, capability, action */
        int64_t n;
        int64_t value;                  /* pence, stated values only */
        int64_t n2, value2;             /* a second figure (see each use) */
        int64_t n3, n4;
};

struct impact_win {
        char   *member_id;
        char   *cluster;
        bool    named;                  /* the member said report_name = yes */
        char   *supplier;               /* as published */
        char   *how;                    /* companies_house, ..., name */
        char   *buyer;
        char   *title;
        char   *award_id;
        int64_t value;                  /* pence or VALUE_NONE */
        int64_t date;                   /* award date, else publication */
        int64_t award_notice;           /* opportunity id of the award notice */
        int64_t tender;                 /* opportunity id of its tender, 0: a direct award */
        int64_t matched_at;             /* first_matched of tender and member, TIME_UNKNOWN */
        int64_t sent_at;                /* when a digest carried it to them, TIME_UNKNOWN */
        bool    vcse, sme;
};

struct impact_measures {
        /* opportunities (tender stage, one per tender across sources) */
        struct impact_row *by_source;   /* key source; n found, n2 low value, value2 their value */
        size_t  nby_source;
        int64_t found, low_value, low_value_value;
        /* brokered: matched in the period; sent when digests are recorded */
        int64_t matched, matched_value;
        bool    have_sent;
        int64_t sent, sent_value;
        const char *basis;              /* "sent" or "matched": what brokered counts */
        int64_t brokered, brokered_value;
        int64_t target;                 /* pro rata for the period */
        int64_t members_matched, members_alerted;
        /* feedback: key action, n */
        bool    have_feedback;
        struct impact_row *feedback;
        size_t  nfeedback;
        bool    have_consortia;
        int64_t consortium_suggestions;
        /* awards in the period (any value) and the members' wins */
        int64_t awards, awards_value;
        int64_t wins, wins_value;       /* distinct awards won by members in scope */
        int64_t wins_tendered, wins_direct, wins_sent, wins_matched;
        int64_t low_awards, low_awards_value, low_wins, low_wins_value;
        struct impact_win *winlist;     /* by date, then member */
        size_t  nwins;
        /* per buyer: n awards (low value), value; n2/value2 won by members */
        struct impact_row *buyers;
        size_t  nbuyers;
        /* capability gaps: low-value opportunities in the period no member
         * matched, by required capability (key "(none)": no capability) */
        struct impact_row *gaps;
        size_t  ngaps;
        int64_t gap_opps;
        /* low-value awards by capability: n, value; n2/value2 won by members;
         * n3 to SMEs, n4 to VCSEs (details.scale/vcse) */
        struct impact_row *award_caps;
        size_t  naward_caps;
};

/* The capabilities an opportunity (store id) requires, into caps (the
 * caller of impact_measure supplies it: the engine's requirements). */
typedef int (*impact_caps_fn)(void *arg, int64_t opportunity_id, struct strv *caps);

/* What impact_measure computes (impact_query.parts); 0: everything.  The
 * staff dashboard asks for opportunities alone per week. */
enum {
        IMPACT_OPPORTUNITIES = 1 << 0,  /* found, brokered, target */
        IMPACT_FEEDBACK      = 1 << 1,  /* feedback and consortium suggestions */
        IMPACT_AWARDS        = 1 << 2,  /* awards, wins, buyers */
        IMPACT_CAPABILITIES  = 1 << 3,  /* gaps and awards by capability (needs caps) */
};

struct impact_query {
        unsigned parts;                 /* IMPACT_* ored; 0: all */
        struct impact_period period;
        struct impact_scope  scope;
        int64_t low_value_cap;          /* [filter] max_value */
        int64_t year_target;            /* [impact] target */
        const struct strv *named;       /* member ids with report_name = yes */
        impact_caps_fn caps;            /* NULL: no gaps nor capability map */
        void   *caps_arg;
};

int impact_measure(struct store *s, const struct impact_query *q, struct impact_measures *out,
                   struct err *err);
void impact_measures_done(struct impact_measures *m);

/* The opportunities brokered in q's period and scope, as impact_measure
 * counts them (sent when the digest tables exist, else matched), by the
 * first time in the period, then id.  Strings valid during the call. */
struct impact_brokered {
        int64_t     id;
        const char *title, *buyer, *source;
        int64_t     value;              /* pence, VALUE_NONE: not stated */
        int64_t     first;              /* first match (or digest) in the period */
        int64_t     members;            /* members it was brokered to in the period */
        const char *member_ids;         /* those, space-separated, sorted */
};
typedef int (*impact_brokered_fn)(const struct impact_brokered *b, void *arg);
int impact_brokered_each(struct store *s, const struct impact_query *q,
                         impact_brokered_fn fn, void *arg, struct err *err);

/* The consortium suggestions of the opportunities of q's period and scope
 * (published, else first stored, in the period; the active suggestion
 * stored by the match pass, docs/consortium.md) whose verdict is
 * "consortium" or "no cover", by deadline then id: what the brokerage has
 * to act on.  Strings valid during the call; a store with no consortium
 * table yet calls nothing. */
struct impact_consortium {
        int64_t     id;
        const char *title, *buyer;
        int64_t     value;              /* pence, VALUE_NONE: not stated */
        int64_t     deadline;           /* TIME_UNKNOWN: none */
        const char *verdict;            /* "consortium", "no cover" */
        int64_t     sets;               /* suggested sets (0 for no cover) */
        const char *members;            /* the first set, space-separated; or NULL */
        const char *lead;               /* its proposed lead, or NULL */
        const char *missing;            /* capabilities no member covers, space-separated */
        const char *still_needed;       /* the first set's readiness summary when its
                                         * partners lack something the notice asks for
                                         * ("Still needed: CHAS; ..."), or NULL */
};
typedef int (*impact_consortium_fn)(const struct impact_consortium *c, void *arg);
int impact_consortia_each(struct store *s, const struct impact_query *q,
                          impact_consortium_fn fn, void *arg, struct err *err);

/* Per member with anything in q's period: opportunities brokered to it and
 * their value (as impact_measure counts them), the last time, and its
 * feedback clicks given in the period. */
struct impact_member {
        const char *member;
        int64_t     brokered, value, last;      /* last: TIME_UNKNOWN when none */
        int64_t     interested, not_relevant;
};
typedef int (*impact_member_fn)(const struct impact_member *m, void *arg);
int impact_members_each(struct store *s, const struct impact_query *q, impact_member_fn fn,
                        void *arg, struct err *err);

#endif
