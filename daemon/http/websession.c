/*
 * websession.c — what the server's two signed-in areas share (route.h):
 * the anchors' form at /post (web.c) and the staff dashboard at /staff
 * (staff.c).  Form bodies, the cross-site check, failed sign-ins per
 * address, and browser sessions.
 *
 * Sessions: the cookie holds 256 random bits; the store keeps only a hash
 * of them (anchor_session, with the hash of the token signed in with, so
 * revoking the token ends the session) until the session expires.  The
 * cookie is HttpOnly, SameSite=Strict, limited to its area's path, and
 * Secure when [http] public_url is https (X-Forwarded-Proto is not
 * trusted).  The CSRF token of a session is another hash of the cookie's
 * value, so nothing more is stored; each kind of session hashes in its own
 * domain, so a /post cookie opens nothing under /staff.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#include <sodium.h>

#include "bidbroker/anchors.h"
#include "bidbroker/err.h"
#include "bidbroker/hash.h"
#include "bidbroker/log.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/utf8.h"
#include "bidbroker/util.h"

#include "route.h"

/* ======================================================================
 * Form bodies
 * ====================================================================== */

void
http_form_done(struct form *f)
{
        for (size_t i = 0; i < f->n; i++) {
                free(f->name[i]);
                free(f->value[i]);
        }
        f->n = 0;
}

/* A copy of s[0..len) with '+' as space and %XX decoded. */
static char *
unescape(const char *s, size_t len)
{
        char *o = xstrndup(s, len);

        for (char *p = o; *p; p++)
                if (*p == '+')
                        *p = ' ';
        MHD_http_unescape(o);
        return o;
}

void
http_form_parse(const char *body, size_t len, struct form *f)
{
        const char *p = body, *end = body + len;

        memset(f, 0, sizeof(*f));
        while (p != NULL && p < end) {
                const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
                const char *eq = memchr(p, '=', (size_t)(stop - p));

                if (stop > p) {
                        if (f->n == FORM_MAX_FIELDS) {
                                f->bad = true;
                                return;
                        }
                        f->name[f->n] = unescape(p, (size_t)((eq ? eq : stop) - p));
                        f->value[f->n] = eq ? unescape(eq + 1, (size_t)(stop - eq - 1))
                                            : xstrdup("");
                        if (!utf8_valid(f->name[f->n], strlen(f->name[f->n])) ||
                            !utf8_valid(f->value[f->n], strlen(f->value[f->n])))
                                f->bad = true;
                        f->n++;
                }
                p = amp ? amp + 1 : NULL;
        }
}

const char *
http_form_get(const struct form *f, const char *name)
{
        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->name[i], name) == 0)
                        return f->value[i];
        return "";
}

/* ======================================================================
 * Where a request comes from
 * ====================================================================== */

/* A proxy may rewrite Host: public_url is what the browser saw.  Browsers
 * send Origin with every POST. */
bool
http_cross_site(const struct http_server *h, const struct req *rq)
{
        const char *origin = http_header(rq, "Origin");
        const char *host = http_header(rq, MHD_HTTP_HEADER_HOST);
        const char *p;

        if (origin == NULL || (h->origin != NULL && strcasecmp(origin, h->origin) == 0))
                return false;
        p = strstr(origin, "://");
        return host == NULL || p == NULL || strcasecmp(p + 3, host) != 0;
}

void
http_client_addr(const struct req *rq, char out[48])
{
        const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;

        strcpy(out, "?");
        if (sa != NULL && sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, 48);
        else if (sa != NULL && sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, 48);
}

/* ======================================================================
 * Failed sign-ins per address: a fixed one-minute window each
 * ====================================================================== */

/* The slot of addr (the oldest one is reused for a new address). */
static struct login_try *
login_slot(struct http_server *h, const char *addr, int64_t now)
{
        struct login_try *t = &h->logins[0];

        for (size_t i = 0; i < LOGIN_SLOTS; i++) {
                if (strcmp(h->logins[i].addr, addr) == 0) {
                        t = &h->logins[i];
                        if (now - t->window >= 60000) {
                                t->window = now;
                                t->n = 0;
                        }
                        return t;
                }
                if (h->logins[i].window < t->window)
                        t = &h->logins[i];
        }
        snprintf(t->addr, sizeof(t->addr), "%s", addr);
        t->window = now;
        t->n = 0;
        return t;
}

bool
http_login_refused(struct http_server *h, const char *addr, int64_t *retry)
{
        int64_t now = time_mono_ms();
        struct login_try *t = login_slot(h, addr, now);

        if (t->n < LOGIN_RATE)
                return false;
        *retry = (60000 - (now - t->window) + 999) / 1000;
        return true;
}

void
http_login_failed(struct http_server *h, const char *addr)
{
        login_slot(h, addr, time_mono_ms())->n++;
}

/* ======================================================================
 * Sessions
 * ====================================================================== */

static void
hash_of(const struct session_kind *k, const char *what, const char *value,
        char out[HASH_HEX_LEN])
{
        char domain[64];

        snprintf(domain, sizeof(domain), "%s %s", k->domain, what);
        hash_str_hex(domain, value, out);
}

static char *
cookie_header(const struct http_server *h, const struct session_kind *k, const char *value,
              int64_t max_age)
{
        return xasprintf("%s=%s; Path=%s; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
                         k->cookie, value, k->path, (long long)max_age,
                         h->secure ? "; Secure" : "");
}

int
http_session_of(struct http_server *h, struct req *rq, const struct session_kind *k,
                struct web_session *s, struct err *e)
{
        const char *v = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, k->cookie);
        int r;

        memset(s, 0, sizeof(*s));
        if (v == NULL || strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64)
                return 0;
        hash_of(k, "session", v, s->hash);
        r = anchor_session_find(h->store, s->hash, (int64_t)time(NULL), &s->holder, e);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        hash_of(k, "csrf", v, s->csrf);
        return 0;
}

int
http_session_start(struct http_server *h, const struct session_kind *k, const char *holder,
                   const char *token_hash, struct web_session *s, char **cookie,
                   struct err *e)
{
        unsigned char raw[32];
        char value[65];
        int64_t now = (int64_t)time(NULL);
        int r;

        memset(s, 0, sizeof(*s));
        *cookie = NULL;
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(value, sizeof(value), raw, sizeof(raw));
        sodium_memzero(raw, sizeof(raw));
        hash_of(k, "session", value, s->hash);
        if ((r = store_begin(h->store, e)) == 0) {
                r = anchor_session_purge(h->store, now, e);
                if (r == 0)
                        r = anchor_session_add(h->store, s->hash, holder, token_hash, now,
                                               now + k->seconds, e);
                r = r == 0 ? store_commit(h->store, e) : (store_rollback(h->store), r);
        }
        if (r == 0) {
                s->holder = xstrdup(holder);
                hash_of(k, "csrf", value, s->csrf);
                *cookie = cookie_header(h, k, value, k->seconds);
        }
        sodium_memzero(value, sizeof(value));
        return r;
}

char *
http_session_end(struct http_server *h, const struct session_kind *k,
                 const struct web_session *s)
{
        struct err e = { 0 };

        if (s->holder != NULL && anchor_session_delete(h->store, s->hash, &e) < 0)
                log_warnx("http: %s sign-out: %s", k->path, e.msg);
        return cookie_header(h, k, "", 0);
}

void
http_session_done(struct web_session *s)
{
        free(s->holder);
        s->holder = NULL;
}

bool
http_csrf_ok(const struct web_session *s, const struct form *f)
{
        const char *t = http_form_get(f, "csrf");

        return s->holder != NULL && strlen(t) == HASH_HEX_LEN - 1 &&
               sodium_memcmp(t, s->csrf, HASH_HEX_LEN - 1) == 0;
}
