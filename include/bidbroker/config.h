/*
 * config.h — the daemon configuration (bidbroker.conf).
 *
 * Built-in defaults are embedded, so bidbroker runs with no file at all.  A
 * file overrides them section by section.  Loading validates everything and
 * reports every problem as FILE:LINE: message; a config with errors is never
 * returned, so a reload can keep the old one.
 */
#ifndef BIDBROKER_CONFIG_H
#define BIDBROKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidbroker/log.h"
#include "bidbroker/source.h"
#include "bidbroker/util.h"

struct diag;
struct filter;

/* [anchor NAME]: an institution that posts opportunities over the API. */
struct anchor_conf {
        char    *name;
        unsigned line;
        char    *display_name;          /* the buyer name of its postings; default NAME */
        char    *buyer_id;
        char    *contact;
        struct strv regions;            /* region_normalise()d; empty: anywhere */
};

struct config {
        char    *path;                  /* NULL when running on built-in defaults */
        char    *dir;                   /* base for relative paths */

        /* [bidbroker] */
        char    *state_dir;
        enum log_level log_level;
        char    *log_level_name;
        char    *group;                 /* the service's group for member files; NULL:
                                         * "bidbroker" when it exists, else ours */
        int64_t  busy_timeout_ms;       /* store lock wait (STORE_BUSY_TIMEOUT_MS) */

        /* [filter] */
        int64_t  max_value;             /* pence; the low-value cap */
        bool     keep_value_not_stated;
        bool     keep_likely_over_cap;  /* keep value-not-stated notices that are plainly not low */
        long     long_term_months;      /* a term longer than this is a scale signal; 0: off */
        struct strv regions;            /* region_normalise()d entries; empty: all */

        /* [match] */
        char    *taxonomy;              /* capability taxonomy file */
        char    *members;               /* member register directory */
        char    *cpv_reference;         /* CPV 2008 list (JSON), optional */
        int64_t  match_delay_ms;        /* daemon: match this long after the last stored notice */
        int64_t  rule_budget_ms;        /* members' own regexes, per notice (engine_set_rule_budget) */

        /* [http] */
        char    *http_listen;           /* "HOST:PORT"; NULL: no HTTP server */
        struct strv http_listen_list;   /* as read (INI_LIST: an empty value disables) */
        char    *public_url;            /* base of the links the daemon writes; NULL: none */
        long     http_max_connections;
        int64_t  http_timeout_ms;       /* idle time per connection */
        long     http_max_body;         /* bytes of a request body */
        long     anchor_rate;           /* postings per anchor per minute */

        /* [anchor NAME] */
        struct anchor_conf *anchors;
        size_t   nanchors;

        /* [impact] (docs/impact.md) */
        int64_t  impact_target;         /* pence: value brokered per year to aim at */

        /* [consortium] (consortium.h) */
        long     consortium_k;          /* members at most, 1..4 (3) */
        long     consortium_top;        /* suggestions kept per notice (5) */
        long     consortium_node_budget;/* search nodes before the greedy cover (200000) */
        bool     consortium_rotate;     /* fairness rotation (yes) */
        long     consortium_rotate_within; /* near-equal: percent of the best score (10) */

        /* [mail] (digests: daemon/digest.c, docs/digest.md; the outbox's keys
         * transport and credentials are its own) */
        char    *mail_from;             /* the brokerage's address; NULL: no digests */
        char    *mail_from_name;        /* display name (default "bidbroker") */
        char    *mail_reply_to;         /* NULL: From */
        char    *mail_list_id;          /* List-Id's id; default digest.<from's domain> */
        char    *mail_unsubscribe;      /* mailto address in List-Unsubscribe; default From */
        char    *mail_digest_time_text; /* "HH:MM", Europe/London */
        int      mail_digest_minute;    /* parsed: minutes after local midnight (7:00) */
        long     mail_min_working_days; /* deadline at least this many working days on (3) */
        long     mail_max_items;        /* items per digest; the rest counted (10) */
        int64_t  mail_closing_soon_ms;  /* "closing soon": deadline within this (7d) */
        bool     mail_send_empty;       /* a digest with no items is sent too (no) */
        char    *mail_templates;        /* directory of digest templates; NULL: built in */
        int64_t  mail_interval_ms;      /* the scheduler looks for due digests this often */
        unsigned mail_line;             /* the [mail] section's line, for messages */

        /* [dkim] (dkim.h): one key per algorithm, both used when set */
        char    *dkim_domain;
        char    *dkim_ed25519_selector, *dkim_ed25519_key;
        char    *dkim_rsa_selector, *dkim_rsa_key;
        unsigned dkim_line;
        /* [mail] delivery of the outbox (outbox.h, docs/outbox.md) */
        char    *mail_transport;        /* smtp://, smtps:// URL or maildir:PATH; NULL:
                                         * maildir STATE/maildir (config_mail_maildir) */
        char    *mail_credentials;      /* file holding user:password; NULL: no AUTH */
        bool     mail_starttls;         /* smtp://: STARTTLS required (default yes) */
        char    *mail_tls_ca;           /* CA file the server's certificate is checked with */
        char    *mail_helo;             /* EHLO name; NULL: this host's name */
        char    *mail_return_path;      /* envelope sender; NULL: the message's From */
        char    *mail_auth;             /* NULL (libcurl picks), "PLAIN" or "LOGIN" */
        int64_t  mail_connect_timeout_ms;
        int64_t  mail_reply_timeout_ms; /* each server reply, the one after DATA included */
        int64_t  mail_timeout_ms;       /* one whole delivery */
        int64_t  mail_retry_ms;         /* first wait after a temporary failure */
        int64_t  mail_retry_max_ms;     /* cap of the doubling wait */
        int64_t  mail_retry_max_age_ms; /* a message not delivered by then fails */
        long     mail_parallel;         /* deliveries at once */

        /* [source NAME] */
        struct source_conf *sources;
        size_t   nsources;
};

/* Load path (NULL: built-in defaults only).  On success *ret is a new config
 * owned by the caller; on failure every problem is in d and *ret untouched. */
int config_load(const char *path, struct config **ret, struct diag *d);
struct config *config_free(struct config *c);   /* NULL-safe, returns NULL */

const struct anchor_conf *config_anchor(const struct config *c, const char *name);
const struct source_conf *config_source(const struct config *c, const char *name);
const char *source_type_name(enum source_type t);
/* s polls the live public service (its type's default URL: Find a Tender,
 * Contracts Finder), not a test server or a feed. */
bool source_is_live(const struct source_conf *s);
/* The [filter] settings of cfg as a filter (borrows cfg's region list). */
void filter_from_config(struct filter *f, const struct config *cfg);

/* "HH:MM" (24-hour) -> minutes after midnight; 0 or -EINVAL. */
int mail_parse_time(const char *s, int *ret);
/* The maildir messages go to when cfg->mail_transport is NULL (state_dir/maildir:
 * the state directory in use, which --state may have changed) or maildir:PATH
 * (relative to the config file); NULL for an smtp(s) transport.  Caller frees. */
char *config_mail_maildir(const struct config *cfg, const char *state_dir);

/* The [http] listen address by default. */
#define HTTP_LISTEN_DEFAULT "127.0.0.1:8080"

/* The default config file path, /etc/bidbroker/bidbroker.conf. */
#define CONFIG_DEFAULT_PATH "/etc/bidbroker/bidbroker.conf"

#endif
