/*
 * config.c — bidbroker.conf: built-in defaults, then the file's sections, each
 * checked against a key table (type, range, help) so every bad line is
 * reported as FILE:LINE: message.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/config.h"
#include "bidbroker/consortium.h"
#include "bidbroker/err.h"
#include "bidbroker/filter.h"
#include "bidbroker/http.h"
#include "bidbroker/ini.h"
#include "bidbroker/region.h"
#include "bidbroker/smtp.h"
#include "bidbroker/store.h"
#include "bidbroker/util.h"

#define DAY_MS  (86400LL * 1000)
#define HOUR_MS (3600LL * 1000)

#define G(f) offsetof(struct config, f)
static const struct ini_key general_keys[] = {
        { "state_dir", INI_PATH, G(state_dir), 0, 0,
          "directory for the SQLite database and maildir" },
        { "log_level", INI_STR, G(log_level_name), 0, 0,
          "error, warning, notice, info or debug" },
        { "group", INI_STR, G(group), 0, 0,
          "the service's group: member files are written readable by it" },
        { "busy_timeout", INI_DURATION, G(busy_timeout_ms), 0, HOUR_MS,
          "how long a store operation waits for another process's lock (default 5s)" },
};

static const struct ini_key filter_keys[] = {
        { "max_value", INI_MONEY, G(max_value), 0, 1000000000,
          "low-value cap in pounds (default 25000)" },
        { "keep_value_not_stated", INI_BOOL, G(keep_value_not_stated), 0, 0,
          "keep opportunities that state no value (flagged); default yes" },
        { "keep_likely_over_cap", INI_BOOL, G(keep_likely_over_cap), 0, 0,
          "keep notices that state no value but are plainly not low value "
          "(above threshold, framework/DPS, capital works, long term); default no" },
        { "long_term_months", INI_LONG, G(long_term_months), 0, 1200,
          "a contract term longer than this many months is plainly not low value "
          "(default 60; 0 turns the signal off)" },
        { "regions", INI_LIST, G(regions), 0, 0,
          "regions to keep: ITL codes (UKG, UKG3), region names (West Midlands) or "
          "postcode areas (B); empty keeps every region" },
};

static const struct ini_key match_keys[] = {
        { "taxonomy", INI_PATH, G(taxonomy), 0, 0, "capability taxonomy file" },
        { "members", INI_PATH, G(members), 0, 0, "member register directory" },
        { "cpv_reference", INI_PATH, G(cpv_reference), 0, 0,
          "CPV 2008 code list (JSON) to validate codes and label them" },
        { "match_delay", INI_DURATION, G(match_delay_ms), 0, 3600000,
          "daemon: run the matching pass this long after the last stored notice (default 30s)" },
        { "rule_budget", INI_DURATION, G(rule_budget_ms), 1, 60000,
          "time members' own regexes may take per notice (default 100ms)" },
};
static const struct ini_key http_keys[] = {
        { "listen", INI_LIST, G(http_listen_list), 0, 0,
          "HOST:PORT the HTTP server listens on (default 127.0.0.1:8080; empty: no server)" },
        { "public_url", INI_STR, G(public_url), 0, 0,
          "the address people reach the server at (https://...), for the links it writes" },
        { "max_connections", INI_LONG, G(http_max_connections), 1, 10000,
          "connections served at once (default 64)" },
        { "timeout", INI_DURATION, G(http_timeout_ms), 1000, 3600000,
          "an idle connection is closed after this long (default 30s)" },
        { "max_body", INI_LONG, G(http_max_body), 1024, 16 * 1024 * 1024,
          "largest request body in bytes (default 65536)" },
        { "anchor_rate", INI_LONG, G(anchor_rate), 1, 100000,
          "postings an anchor may make per minute (default 30)" },
};

static const struct ini_key consortium_keys[] = {
        { "k", INI_LONG, G(consortium_k), 1, CONSORT_MAX_K,
          "members of a consortium at most, 1 to 4 (default 3)" },
        { "top", INI_LONG, G(consortium_top), 1, 100,
          "suggestions kept per opportunity, 1 to 100 (default 5)" },
        { "node_budget", INI_LONG, G(consortium_node_budget), 1000, 100000000,
          "search steps per opportunity before a greedy cover (default 200000)" },
        { "rotate", INI_BOOL, G(consortium_rotate), 0, 0,
          "propose the least-proposed of near-equal consortia first, yes or no (default yes)" },
        { "rotate_within", INI_LONG, G(consortium_rotate_within), 0, 100,
          "near-equal: score within this percentage of the best, 0 to 100 (default 10)" },
};

static const struct ini_key impact_keys[] = {
        { "target", INI_MONEY, G(impact_target), 1, 100000000000LL,
          "brokerage target in pounds: the value of opportunities matched and sent, "
          "per year, that bidbroker report measures against (default 1000000)" },
};

/* [mail]: the digest's keys here; the outbox's delivery keys (transport,
 * credentials, ...) belong in this one table too (ini_apply reports a key
 * missing from it as unknown). */
static const struct ini_key mail_keys[] = {
        { "from", INI_STR, G(mail_from), 0, 0,
          "the brokerage's address digests come from (user@domain); unset: no digests" },
        { "from_name", INI_STR, G(mail_from_name), 0, 0,
          "the From display name (default bidbroker)" },
        { "reply_to", INI_STR, G(mail_reply_to), 0, 0,
          "where members' replies go (default: from)" },
        { "list_id", INI_STR, G(mail_list_id), 0, 0,
          "List-Id of the digests (default digest.DOMAIN of from)" },
        { "unsubscribe", INI_STR, G(mail_unsubscribe), 0, 0,
          "address of the mailto: unsubscribe link (default: reply_to, else from)" },
        { "digest_time", INI_STR, G(mail_digest_time_text), 0, 0,
          "HH:MM, Europe/London, on each member's digest_day (default 07:00)" },
        { "min_working_days", INI_LONG, G(mail_min_working_days), 0, 60,
          "an item's deadline is at least this many working days after delivery (default 3)" },
        { "max_items", INI_LONG, G(mail_max_items), 1, 200,
          "items per digest; the rest are counted and wait for the next (default 10)" },
        { "closing_soon", INI_DURATION, G(mail_closing_soon_ms), 0, 60 * DAY_MS,
          "items with a deadline within this of delivery are listed as closing soon (default 7d)" },
        { "send_empty", INI_BOOL, G(mail_send_empty), 0, 0,
          "send a digest with nothing new too (default no)" },
        { "templates", INI_PATH, G(mail_templates), 0, 0,
          "directory of digest templates (digest.txt, digest.html, item.txt, item.html); "
          "default built in" },
        { "interval", INI_DURATION, G(mail_interval_ms), 1000, DAY_MS,
          "daemon: how often the digest scheduler looks for due digests (default 1m)" },
        { "transport", INI_STR, G(mail_transport), 0, 0,
          "where messages go: smtp://HOST:PORT (STARTTLS), smtps://HOST:PORT or "
          "maildir:PATH (default maildir:STATE/maildir)" },
        { "credentials", INI_PATH, G(mail_credentials), 0, 0,
          "file holding USER:PASSWORD for SMTP AUTH (mode 0600)" },
        { "starttls", INI_BOOL, G(mail_starttls), 0, 0,
          "smtp://: require STARTTLS (default yes; no only for a server on this machine)" },
        { "tls_ca", INI_PATH, G(mail_tls_ca), 0, 0,
          "CA certificates (PEM) the server's certificate is checked with (default: system)" },
        { "helo", INI_STR, G(mail_helo), 0, 0, "the EHLO name (default: this host's name)" },
        { "return_path", INI_STR, G(mail_return_path), 0, 0,
          "envelope sender for bounces (default: the From address)" },
        { "auth", INI_STR, G(mail_auth), 0, 0,
          "SMTP AUTH mechanism: PLAIN or LOGIN (default: the best the server offers)" },
        { "connect_timeout", INI_DURATION, G(mail_connect_timeout_ms), 1000, 600000,
          "TCP and TLS connect timeout (default 30s)" },
        { "reply_timeout", INI_DURATION, G(mail_reply_timeout_ms), 1000, HOUR_MS,
          "wait for each server reply, the final one after the message included "
          "(default 10m, RFC 5321 4.5.3.2)" },
        { "timeout", INI_DURATION, G(mail_timeout_ms), 1000, 2 * HOUR_MS,
          "one whole delivery (default 30m)" },
        { "retry", INI_DURATION, G(mail_retry_ms), 1000, DAY_MS,
          "first wait after a temporary failure, doubled each time (default 5m)" },
        { "retry_max", INI_DURATION, G(mail_retry_max_ms), 1000, 7 * DAY_MS,
          "longest wait between two attempts (default 1h)" },
        { "retry_max_age", INI_DURATION, G(mail_retry_max_age_ms), 60000, 30 * DAY_MS,
          "a message not delivered this long after it was queued fails (default 3d)" },
        { "parallel", INI_LONG, G(mail_parallel), 1, 64,
          "deliveries at once (default 4)" },
};

static const struct ini_key dkim_keys[] = {
        { "domain", INI_STR, G(dkim_domain), 0, 0, "d= of the signatures" },
        { "ed25519_selector", INI_STR, G(dkim_ed25519_selector), 0, 0,
          "s= of the ed25519-sha256 signature" },
        { "ed25519_key", INI_PATH, G(dkim_ed25519_key), 0, 0,
          "its private key file (bidbroker keygen; mode 0600)" },
        { "rsa_selector", INI_STR, G(dkim_rsa_selector), 0, 0,
          "s= of the rsa-sha256 signature" },
        { "rsa_key", INI_PATH, G(dkim_rsa_key), 0, 0,
          "its private key file (bidbroker keygen --rsa; mode 0600)" },
};

#undef G

#define A(f) offsetof(struct anchor_conf, f)
static const struct ini_key anchor_keys[] = {
        { "display_name", INI_STR, A(display_name), 0, 0,
          "the buyer name its postings carry (default: the section's name)" },
        { "buyer_id", INI_STR, A(buyer_id), 0, 0, "its buyer identifier (e.g. GB-GOR-...)" },
        { "contact", INI_STR, A(contact), 0, 0, "who to ask about its postings" },
        { "regions", INI_LIST, A(regions), 0, 0,
          "regions its postings may name (ITL codes, region names, postcode areas)" },
};
#undef A

#define S(f) offsetof(struct source_conf, f)

static const struct ini_key source_keys[] = {
        { "type", INI_STR, S(type_name), 0, 0, "fts, contracts-finder or feed" },
        { "url", INI_STR, S(url), 0, 0, "endpoint URL (defaults to the live service)" },
        { "interval", INI_DURATION, S(interval_ms), 60000, 7 * DAY_MS,
          "time between polls (default 15m)" },
        { "min_interval", INI_DURATION, S(min_interval_ms), 0, 3600000,
          "minimum spacing between requests to the host (default 10s)" },
        { "default_retry_after", INI_DURATION, S(default_retry_after_ms), 0, DAY_MS,
          "wait after 429/503 without Retry-After (default 60s)" },
        { "window", INI_DURATION, S(window_ms), 60000, DAY_MS,
          "query window (FTS at most 6h, Contracts Finder at most 1d)" },
        { "overlap", INI_DURATION, S(overlap_ms), 0, DAY_MS,
          "each poll re-reads this much before the watermark (default 10m)" },
        { "connect_timeout", INI_DURATION, S(connect_timeout_ms), 1000, 300000,
          "TCP/TLS connect timeout (default 15s)" },
        { "low_speed_time", INI_DURATION, S(low_speed_time_ms), 1000, 600000,
          "abort a transfer slower than low_speed_limit for this long (default 30s)" },
        { "total_timeout", INI_DURATION, S(total_timeout_ms), 1000, DAY_MS,
          "give up one transfer that has not ended after this long (default 5m)" },
        { "low_speed_limit", INI_LONG, S(low_speed_limit), 1, 1L << 30,
          "bytes per second (default 64)" },
        { "max_body_bytes", INI_LONG, S(max_body_bytes), 1024, 1L << 30,
          "largest response accepted (default 32 MiB)" },
        { "page_limit", INI_LONG, S(page_limit), 1, 100, "notices per page (default 100)" },
        { "backoff_max", INI_DURATION, S(backoff_max_ms), 1000, DAY_MS,
          "cap of the exponential back-off on errors (default 1h)" },
        { "start", INI_DURATION, S(start_ms), 0, 366 * DAY_MS,
          "on first run, start this far back (default 1d)" },
        { "enabled", INI_BOOL, S(enabled), 0, 0, "yes or no (default yes)" },
        { "backoff_initial", INI_DURATION, S(backoff_initial_ms), 10, HOUR_MS,
          "first back-off after an error, doubled per failure (default 5s)" },
        { "rate_limit_wait", INI_DURATION, S(rate_limit_wait_ms), 0, DAY_MS,
          "wait after Contracts Finder's 403 rate-limit page (default 5m)" },
        { "contact", INI_STR, S(contact), 0, 0,
          "URL or e-mail sent in the User-Agent: bidbroker/VERSION (+CONTACT)" },
};
#undef S

static const struct {
        const char      *name;
        enum source_type type;
        const char      *url;
        int64_t          window_ms;
} source_types[] = {
        { "fts", SOURCE_FTS,
          "https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages", 6 * HOUR_MS },
        { "contracts-finder", SOURCE_CF,
          "https://www.contractsfinder.service.gov.uk/Published/Notices/OCDS/Search", DAY_MS },
        { "feed", SOURCE_FEED, NULL, DAY_MS },
};

const char *
source_type_name(enum source_type t)
{
        for (size_t i = 0; i < ARRAY_SIZE(source_types); i++)
                if (source_types[i].type == t)
                        return source_types[i].name;
        return "?";
}

bool
source_is_live(const struct source_conf *s)
{
        for (size_t i = 0; i < ARRAY_SIZE(source_types); i++)
                if (source_types[i].type == s->type && source_types[i].url != NULL &&
                    s->url != NULL && strcmp(s->url, source_types[i].url) == 0)
                        return true;
        return false;
}

static void
source_defaults(struct source_conf *s)
{
        s->interval_ms = 15 * 60 * 1000;
        s->min_interval_ms = 10 * 1000;
        s->default_retry_after_ms = 60 * 1000;
        s->window_ms = 0;                       /* per type, after parsing */
        s->overlap_ms = 10 * 60 * 1000;
        s->connect_timeout_ms = 15 * 1000;
        s->low_speed_time_ms = 30 * 1000;
        s->total_timeout_ms = 5 * 60 * 1000;
        s->low_speed_limit = 64;
        s->max_body_bytes = 32L << 20;
        s->page_limit = 100;
        s->backoff_max_ms = HOUR_MS;
        s->start_ms = DAY_MS;
        s->enabled = true;
        s->backoff_initial_ms = 5 * 1000;
        s->rate_limit_wait_ms = 5 * 60 * 1000;
}

static void
source_done(struct source_conf *s)
{
        free(s->name);
        free(s->type_name);
        free(s->url);
        free(s->contact);
}

static struct source_conf *
add_source(struct config *c, const char *name, const char *type, unsigned line)
{
        struct source_conf *s;

        c->sources = xreallocarray(c->sources, c->nsources + 1, sizeof(*c->sources));
        s = &c->sources[c->nsources++];
        memset(s, 0, sizeof(*s));
        source_defaults(s);
        s->name = xstrdup(name);
        s->type_name = xstrdup(type);
        s->line = line;
        return s;
}

/* Resolve type, default URL and window; check limits that depend on type. */
static void
source_finish(struct source_conf *s, const char *file, struct diag *d)
{
        size_t i;

        for (i = 0; i < ARRAY_SIZE(source_types); i++)
                if (s->type_name && strcmp(s->type_name, source_types[i].name) == 0)
                        break;
        if (i == ARRAY_SIZE(source_types)) {
                if (s->type_name == NULL)
                        diag_add(d, file, s->line, "[source %s] needs 'type' "
                                 "(fts, contracts-finder or feed)", s->name);
                else
                        diag_add(d, file, s->line, "[source %s]: unknown type '%s' "
                                 "(fts, contracts-finder or feed)", s->name, s->type_name);
                return;
        }
        s->type = source_types[i].type;
        if (s->url == NULL) {
                if (source_types[i].url == NULL)
                        diag_add(d, file, s->line, "[source %s] of type feed needs 'url'",
                                 s->name);
                else
                        s->url = xstrdup(source_types[i].url);
        }
        if (s->url && !str_startswith(s->url, "http://") && !str_startswith(s->url, "https://"))
                diag_add(d, file, s->line, "[source %s]: url must be http:// or https://",
                         s->name);
        if (s->window_ms == 0)
                s->window_ms = source_types[i].window_ms;
        else if (s->window_ms > source_types[i].window_ms)
                diag_add(d, file, s->line,
                         "[source %s]: window may be at most %llds for type %s "
                         "(longer windows have silently lost notices)", s->name,
                         (long long)(source_types[i].window_ms / 1000), s->type_name);
}

static struct config *
config_defaults(void)
{
        struct config *c = xcalloc(1, sizeof(*c));
        const char *sd = getenv("STATE_DIRECTORY");     /* systemd StateDirectory= */
        char *first = NULL;

        if (sd != NULL && *sd) {
                /* several directories are separated by ':'; ours is the first */
                first = xstrndup(sd, strcspn(sd, ":"));
                c->state_dir = first;
        } else {
                c->state_dir = xstrdup("/var/lib/bidbroker");
        }
        c->log_level = LOG_LVL_INFO;
        c->busy_timeout_ms = STORE_BUSY_TIMEOUT_MS;
        c->max_value = 25000 * 100;
        c->impact_target = 1000000LL * 100;
        c->keep_value_not_stated = true;
        c->keep_likely_over_cap = false;
        c->long_term_months = 60;
        strv_init(&c->regions);
        c->match_delay_ms = 30 * 1000;
        c->rule_budget_ms = 100;
        c->http_listen = xstrdup(HTTP_LISTEN_DEFAULT);
        strv_init(&c->http_listen_list);
        c->http_max_connections = 64;
        c->http_timeout_ms = 30 * 1000;
        c->http_max_body = 64 * 1024;
        c->anchor_rate = 30;
        c->consortium_k = CONSORT_DEFAULT_K;
        c->consortium_top = CONSORT_DEFAULT_TOP;
        c->consortium_node_budget = CONSORT_DEFAULT_BUDGET;
        c->mail_from_name = xstrdup("bidbroker");
        c->mail_digest_minute = 7 * 60;
        c->mail_min_working_days = 3;
        c->mail_max_items = 10;
        c->mail_closing_soon_ms = 7 * DAY_MS;
        c->mail_interval_ms = 60 * 1000;
        c->consortium_rotate = true;
        c->consortium_rotate_within = 10;
        c->mail_starttls = true;
        c->mail_connect_timeout_ms = 30 * 1000;
        c->mail_reply_timeout_ms = 10 * 60 * 1000;
        c->mail_timeout_ms = 30 * 60 * 1000;
        c->mail_retry_ms = 5 * 60 * 1000;
        c->mail_retry_max_ms = HOUR_MS;
        c->mail_retry_max_age_ms = 3 * DAY_MS;
        c->mail_parallel = 4;
        add_source(c, "fts", "fts", 0);
        add_source(c, "contracts-finder", "contracts-finder", 0);
        for (size_t i = 0; i < c->nsources; i++)
                source_finish(&c->sources[i], NULL, NULL);
        return c;
}

/* The file's sources replace the built-in ones as a whole. */
static void
drop_sources(struct config *c)
{
        for (size_t i = 0; i < c->nsources; i++)
                source_done(&c->sources[i]);
        free(c->sources);
        c->sources = NULL;
        c->nsources = 0;
}

/* [filter] regions as people write them -> region_normalise()d entries;
 * every entry it does not know is an error naming the accepted forms. */
static void
filter_regions(struct config *c, const struct ini *ini, const struct ini_section *sec,
               struct diag *d)
{
        const struct ini_pair *p = ini_get(sec, "regions");
        struct strv norm;

        if (p == NULL)
                return;
        strv_init(&norm);
        for (size_t i = 0; i < c->regions.n; i++) {
                const char *why = NULL;

                if (region_normalise(c->regions.v[i], &norm, &why) < 0)
                        diag_add(d, ini->path, p->line, "[filter] regions: '%s' is %s",
                                 c->regions.v[i], why);
        }
        strv_done(&c->regions);
        c->regions = norm;
}

/* [http] listen: one HOST:PORT (checked by the HTTP service), or empty for
 * no server; public_url: http:// or https://. */
static void
http_finish(struct config *c, const struct ini *ini, const struct ini_section *sec,
            struct diag *d)
{
        const struct ini_pair *p = ini_get(sec, "listen");
        const char *why = NULL;

        if (p != NULL) {
                free(c->http_listen);
                c->http_listen = NULL;
                if (c->http_listen_list.n > 1)
                        diag_add(d, ini->path, p->line, "[http] listen: one HOST:PORT, "
                                 "not %zu", c->http_listen_list.n);
                else if (c->http_listen_list.n == 1)
                        c->http_listen = xstrdup(c->http_listen_list.v[0]);
                if (c->http_listen != NULL && http_listen_check(c->http_listen, &why) < 0)
                        diag_add(d, ini->path, p->line, "[http] listen '%s': %s",
                                 c->http_listen, why);
        }
        p = ini_get(sec, "public_url");
        if (p != NULL && c->public_url != NULL && !str_startswith(c->public_url, "http://") &&
            !str_startswith(c->public_url, "https://"))
                diag_add(d, ini->path, p->line, "[http] public_url must start with https:// "
                         "(or http://), not '%s'", c->public_url);
}

/* user@domain, printable ASCII without spaces, quotes or angle brackets */
static bool
address_ok(const char *a)
{
        const char *at = a ? strchr(a, '@') : NULL;

        if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') != NULL)
                return false;
        for (const char *p = a; *p; p++)
                if (*p <= ' ' || *p >= 127 || strchr("<>\"(),;:[]\\", *p) != NULL)
                        return false;
        return true;
}

/* [mail], the digest's keys: addresses, the digest time. */
static void
mail_digest_finish(struct config *c, const struct ini *ini, const struct ini_section *sec,
            struct diag *d)
{
        static const char *const addrs[] = { "from", "reply_to", "unsubscribe" };
        char *const vals[] = { c->mail_from, c->mail_reply_to, c->mail_unsubscribe };
        const struct ini_pair *p;

        c->mail_line = sec->line;
        for (size_t i = 0; i < ARRAY_SIZE(addrs); i++)
                if ((p = ini_get(sec, addrs[i])) != NULL && vals[i] != NULL &&
                    !address_ok(vals[i]))
                        diag_add(d, ini->path, p->line, "[mail] %s: '%s' is not an address "
                                 "(user@domain, no display name)", addrs[i], vals[i]);
        if ((p = ini_get(sec, "list_id")) != NULL && c->mail_list_id != NULL &&
            (c->mail_list_id[strspn(c->mail_list_id, "abcdefghijklmnopqrstuvwxyz"
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")] != '\0' ||
             strchr(c->mail_list_id, '.') == NULL))
                diag_add(d, ini->path, p->line, "[mail] list_id: '%s' is not a dotted name "
                         "(RFC 2919, e.g. digest.example.org)", c->mail_list_id);
        if ((p = ini_get(sec, "digest_time")) != NULL && c->mail_digest_time_text != NULL &&
            mail_parse_time(c->mail_digest_time_text, &c->mail_digest_minute) < 0)
                diag_add(d, ini->path, p->line, "[mail] digest_time must be HH:MM (24-hour, "
                         "Europe/London), not '%s'", c->mail_digest_time_text);
}

static bool
dns_label_ok(const char *s, bool dots)
{
        if (s == NULL || *s == '\0' || *s == '.' || *s == '-' || strlen(s) > 253)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || (dots && *s == '.')))
                        return false;
        return true;
}

/* [dkim]: a domain, and each selector with its key file. */
static void
dkim_finish(struct config *c, const struct ini *ini, const struct ini_section *sec,
            struct diag *d)
{
        c->dkim_line = sec->line;
        if (c->dkim_domain == NULL)
                diag_add(d, ini->path, sec->line, "[dkim] needs 'domain' (d= of the "
                         "signatures)");
        else if (!dns_label_ok(c->dkim_domain, true))
                diag_add(d, ini->path, ini_get(sec, "domain")->line, "[dkim] domain: '%s' is "
                         "not a DNS name", c->dkim_domain);
        if ((c->dkim_ed25519_selector == NULL) != (c->dkim_ed25519_key == NULL))
                diag_add(d, ini->path, sec->line, "[dkim] ed25519_selector and ed25519_key "
                         "go together");
        if ((c->dkim_rsa_selector == NULL) != (c->dkim_rsa_key == NULL))
                diag_add(d, ini->path, sec->line, "[dkim] rsa_selector and rsa_key go "
                         "together");
        if (c->dkim_ed25519_key == NULL && c->dkim_rsa_key == NULL)
                diag_add(d, ini->path, sec->line, "[dkim] names no key: set ed25519_selector "
                         "and ed25519_key, and rsa_selector and rsa_key (bidbroker keygen)");
        if (c->dkim_ed25519_selector && !dns_label_ok(c->dkim_ed25519_selector, false))
                diag_add(d, ini->path, ini_get(sec, "ed25519_selector")->line,
                         "[dkim] ed25519_selector: '%s' is not a DNS label",
                         c->dkim_ed25519_selector);
        if (c->dkim_rsa_selector && !dns_label_ok(c->dkim_rsa_selector, false))
                diag_add(d, ini->path, ini_get(sec, "rsa_selector")->line,
                         "[dkim] rsa_selector: '%s' is not a DNS label", c->dkim_rsa_selector);
}

int
mail_parse_time(const char *s, int *ret)
{
        int h, m;
        char end;

        if (strlen(s) != 5 || s[2] != ':' || sscanf(s, "%2d:%2d%c", &h, &m, &end) != 2 ||
            h < 0 || h > 23 || m < 0 || m > 59 || s[0] < '0' || s[0] > '9' ||
            s[3] < '0' || s[3] > '9')
                return -EINVAL;
        *ret = h * 60 + m;
        return 0;
}

/* [mail]: the transport URL, STARTTLS off only for this machine, the AUTH
 * mechanism, the timeouts in order. */
static void
mail_finish(struct config *c, const struct ini *ini, const struct ini_section *sec,
            struct diag *d)
{
        const struct ini_pair *p = ini_get(sec, "transport");
        struct mail_transport t = { 0 };
        const char *why = NULL;
        unsigned line = p ? p->line : sec->line;
        bool bad = false;

        if (c->mail_transport != NULL &&
            mail_transport_parse(c->mail_transport, &t, &why) < 0) {
                diag_add(d, ini->path, line, "[mail] transport '%s': %s", c->mail_transport,
                         why);
                bad = true;
        } else if (t.kind == MAIL_SMTP && !c->mail_starttls && !mail_host_is_local(t.host)) {
                p = ini_get(sec, "starttls");
                diag_add(d, ini->path, p ? p->line : line, "[mail] starttls = no would send "
                         "the messages (and any password) in clear to %s: allowed only for "
                         "a server on this machine (localhost, 127.0.0.1, ::1); use "
                         "starttls = yes or smtps://", t.host);
        }
        if (!bad && t.kind == MAIL_MAILDIR && (p = ini_get(sec, "credentials")) != NULL)
                diag_add(d, ini->path, p->line, "[mail] credentials are for an smtp:// or "
                         "smtps:// transport, not a maildir");
        mail_transport_clear(&t);
        if ((p = ini_get(sec, "auth")) != NULL && strcmp(c->mail_auth, "PLAIN") != 0 &&
            strcmp(c->mail_auth, "LOGIN") != 0)
                diag_add(d, ini->path, p->line, "[mail] auth must be PLAIN or LOGIN, not '%s'",
                         c->mail_auth);
        if ((p = ini_get(sec, "helo")) != NULL && mail_helo_check(c->mail_helo, &why) < 0)
                diag_add(d, ini->path, p->line, "[mail] helo '%s': %s", c->mail_helo, why);
        if ((p = ini_get(sec, "return_path")) != NULL &&
            mail_address_check(c->mail_return_path, &why) < 0)
                diag_add(d, ini->path, p->line, "[mail] return_path '%s': %s",
                         c->mail_return_path, why);
        if (c->mail_timeout_ms < c->mail_reply_timeout_ms)
                diag_add(d, ini->path, sec->line, "[mail] timeout (%llds) must be at least "
                         "reply_timeout (%llds)", (long long)(c->mail_timeout_ms / 1000),
                         (long long)(c->mail_reply_timeout_ms / 1000));
        if (c->mail_retry_max_ms < c->mail_retry_ms)
                diag_add(d, ini->path, sec->line, "[mail] retry_max (%llds) must be at least "
                         "retry (%llds)", (long long)(c->mail_retry_max_ms / 1000),
                         (long long)(c->mail_retry_ms / 1000));
}

char *
config_mail_maildir(const struct config *cfg, const char *state_dir)
{
        if (cfg->mail_transport == NULL)
                return path_join(state_dir, "maildir");
        if (str_startswith(cfg->mail_transport, "maildir:"))
                return path_join(cfg->dir ? cfg->dir : ".", cfg->mail_transport + 8);
        return NULL;
}

/* [anchor NAME]: names are what `token issue` and the source anchor:NAME use. */
static void
add_anchor(struct config *c, const struct ini *ini, const struct ini_section *sec,
           struct diag *d)
{
        const struct ini_pair *p;
        struct anchor_conf *a;
        struct strv norm;

        if (sec->name == NULL || sec->name[strspn(sec->name, "abcdefghijklmnopqrstuvwxyz"
                                                  "0123456789-_")] != '\0') {
                diag_add(d, ini->path, sec->line, "[anchor] needs a name of lower-case "
                         "letters, digits, - and _, e.g. [anchor city-council]");
                return;
        }
        if (config_anchor(c, sec->name) != NULL) {
                diag_add(d, ini->path, sec->line, "[anchor %s] defined twice", sec->name);
                return;
        }
        c->anchors = xreallocarray(c->anchors, c->nanchors + 1, sizeof(*c->anchors));
        a = &c->anchors[c->nanchors++];
        memset(a, 0, sizeof(*a));
        a->name = xstrdup(sec->name);
        a->line = sec->line;
        strv_init(&a->regions);
        ini_apply(ini, sec, anchor_keys, ARRAY_SIZE(anchor_keys), a, NULL, d);
        if (a->display_name == NULL)
                a->display_name = xstrdup(a->name);
        p = ini_get(sec, "regions");
        strv_init(&norm);
        for (size_t i = 0; i < a->regions.n; i++) {
                const char *why = NULL;

                if (region_normalise(a->regions.v[i], &norm, &why) < 0)
                        diag_add(d, ini->path, p ? p->line : sec->line,
                                 "[anchor %s] regions: '%s' is %s", a->name, a->regions.v[i],
                                 why);
        }
        strv_done(&a->regions);
        a->regions = norm;
}

static void
drop_anchors(struct config *c)
{
        for (size_t i = 0; i < c->nanchors; i++) {
                free(c->anchors[i].name);
                free(c->anchors[i].display_name);
                free(c->anchors[i].buyer_id);
                free(c->anchors[i].contact);
                strv_done(&c->anchors[i].regions);
        }
        free(c->anchors);
}

static void
apply_file(struct config *c, const struct ini *ini, struct diag *d)
{
        bool have_sources = false;

        for (size_t i = 0; i < ini->nsections; i++) {
                const struct ini_section *sec = &ini->sections[i];

                if (strcmp(sec->type, "!invalid") == 0)
                        continue;               /* already reported */
                if (strcmp(sec->type, "") == 0) {
                        diag_add(d, ini->path, sec->pairs[0].line,
                                 "'%s' is outside any section", sec->pairs[0].key);
                } else if (strcmp(sec->type, "source") == 0) {
                        struct source_conf *s;

                        if (sec->name == NULL) {
                                diag_add(d, ini->path, sec->line,
                                         "[source] needs a name, e.g. [source fts]");
                                continue;
                        }
                        if (!have_sources) {
                                drop_sources(c);
                                have_sources = true;
                        }
                        if (config_source(c, sec->name) != NULL) {
                                diag_add(d, ini->path, sec->line,
                                         "[source %s] defined twice", sec->name);
                                continue;
                        }
                        s = add_source(c, sec->name, NULL, sec->line);
                        free(s->type_name);
                        s->type_name = NULL;
                        ini_apply(ini, sec, source_keys, ARRAY_SIZE(source_keys), s, NULL, d);
                        source_finish(s, ini->path, d);
                } else if (strcmp(sec->type, "anchor") == 0) {
                        add_anchor(c, ini, sec, d);
                } else if (sec->name != NULL) {
                        diag_add(d, ini->path, sec->line, "[%s] takes no name", sec->type);
                } else if (strcmp(sec->type, "bidbroker") == 0) {
                        const struct ini_pair *lv = ini_get(sec, "log_level");

                        ini_apply(ini, sec, general_keys, ARRAY_SIZE(general_keys), c, NULL, d);
                        if (lv && log_parse_level(lv->value, &c->log_level) < 0)
                                diag_add(d, ini->path, lv->line, "'log_level' must be error, "
                                         "warning, notice, info or debug, not '%s'", lv->value);
                } else if (strcmp(sec->type, "filter") == 0) {
                        ini_apply(ini, sec, filter_keys, ARRAY_SIZE(filter_keys), c, NULL, d);
                        filter_regions(c, ini, sec, d);
                } else if (strcmp(sec->type, "match") == 0) {
                        ini_apply(ini, sec, match_keys, ARRAY_SIZE(match_keys), c, NULL, d);
                } else if (strcmp(sec->type, "http") == 0) {
                        ini_apply(ini, sec, http_keys, ARRAY_SIZE(http_keys), c, NULL, d);
                        http_finish(c, ini, sec, d);
                } else if (strcmp(sec->type, "mail") == 0) {
                        ini_apply(ini, sec, mail_keys, ARRAY_SIZE(mail_keys), c, NULL, d);
                        mail_digest_finish(c, ini, sec, d);
                        mail_finish(c, ini, sec, d);
                } else if (strcmp(sec->type, "dkim") == 0) {
                        ini_apply(ini, sec, dkim_keys, ARRAY_SIZE(dkim_keys), c, NULL, d);
                        dkim_finish(c, ini, sec, d);
                } else if (strcmp(sec->type, "consortium") == 0) {
                        ini_apply(ini, sec, consortium_keys, ARRAY_SIZE(consortium_keys), c,
                                  NULL, d);
                } else if (strcmp(sec->type, "impact") == 0) {
                        ini_apply(ini, sec, impact_keys, ARRAY_SIZE(impact_keys), c, NULL, d);
                } else {
                        diag_add(d, ini->path, sec->line, "unknown section [%s]", sec->type);
                }
        }
}

int
config_load(const char *path, struct config **ret, struct diag *d)
{
        struct config *c = config_defaults();
        struct ini *ini = NULL;
        size_t before = diag_count(d);
        int r;

        if (path != NULL) {
                r = ini_load(path, &ini, d);
                if (r < 0)
                        goto fail;
                c->path = xstrdup(path);
                c->dir = xstrdup(ini->dir);
                apply_file(c, ini, d);
        }
        if (diag_count(d) > before) {
                if (before == 0)
                        diag_sort(d);
                r = -EINVAL;
                goto fail;
        }
        ini_free(ini);
        *ret = c;
        return 0;
fail:
        ini_free(ini);
        config_free(c);
        return r;
}

struct config *
config_free(struct config *c)
{
        if (c == NULL)
                return NULL;
        free(c->path);
        free(c->dir);
        free(c->state_dir);
        free(c->log_level_name);
        free(c->group);
        strv_done(&c->regions);
        free(c->taxonomy);
        free(c->members);
        free(c->cpv_reference);
        free(c->http_listen);
        strv_done(&c->http_listen_list);
        free(c->public_url);
        free(c->mail_from);
        free(c->mail_from_name);
        free(c->mail_reply_to);
        free(c->mail_list_id);
        free(c->mail_unsubscribe);
        free(c->mail_digest_time_text);
        free(c->mail_templates);
        free(c->dkim_domain);
        free(c->dkim_ed25519_selector);
        free(c->dkim_ed25519_key);
        free(c->dkim_rsa_selector);
        free(c->dkim_rsa_key);
        free(c->mail_transport);
        free(c->mail_credentials);
        free(c->mail_tls_ca);
        free(c->mail_helo);
        free(c->mail_return_path);
        free(c->mail_auth);
        drop_anchors(c);
        drop_sources(c);
        free(c);
        return NULL;
}

const struct anchor_conf *
config_anchor(const struct config *c, const char *name)
{
        for (size_t i = 0; i < c->nanchors; i++)
                if (strcmp(c->anchors[i].name, name) == 0)
                        return &c->anchors[i];
        return NULL;
}

const struct source_conf *
config_source(const struct config *c, const char *name)
{
        for (size_t i = 0; i < c->nsources; i++)
                if (strcmp(c->sources[i].name, name) == 0)
                        return &c->sources[i];
        return NULL;
}

void
filter_from_config(struct filter *f, const struct config *cfg)
{
        f->max_value = cfg->max_value;
        f->keep_value_not_stated = cfg->keep_value_not_stated;
        f->keep_likely_over_cap = cfg->keep_likely_over_cap;
        f->long_term_months = (int)cfg->long_term_months;
        f->regions = &cfg->regions;
}
