/*
 * members.c — the member register: one file per member, DIR/ID.conf with a
 * [member] section, and `members import` from a spreadsheet export (CSV).
 * See members.h and docs/matching.md for the keys.
 *
 * One setter (member_apply) handles every key for both the files and the
 * CSV columns, so a value is checked the same way wherever it is written and
 * every error reads "FILE:LINE: message".
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bidbroker/err.h"
#include "bidbroker/ini.h"
#include "bidbroker/members.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/region.h"
#include "bidbroker/util.h"

#include "members_int.h"

#define MEMBERS_MAX             100000
#define MEMBER_MAX_RULES        1000
#define MEMBER_MAX_EMAILS       20
#define MEMBER_MAX_TEXT         500

/* ---- small parsers ------------------------------------------------------- */

static const char *const day_names[] = {
        NULL, "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};

int
weekday_parse(const char *s, enum weekday *ret)
{
        for (int i = DAY_MON; i <= DAY_SUN; i++)
                if (strcasecmp(s, day_names[i]) == 0 ||
                    (strlen(s) == 3 && strncasecmp(s, day_names[i], 3) == 0)) {
                        *ret = (enum weekday)i;
                        return 0;
                }
        return -EINVAL;
}

const char *
weekday_name(enum weekday d)
{
        return d >= DAY_MON && d <= DAY_SUN ? day_names[d] : "monday";
}

bool
member_id_valid(const char *s)
{
        if (*s == '\0' || *s == '-' || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!(*s >= 'a' && *s <= 'z') && !(*s >= '0' && *s <= '9') && *s != '-')
                        return false;
        return true;
}

static bool
valid_email(const char *s)
{
        const char *at = strchr(s, '@');

        if (at == NULL || at == s || strchr(at + 1, '@') || strlen(s) > 254 ||
            strchr(at + 1, '.') == NULL || at[1] == '.' || s[strlen(s) - 1] == '.')
                return false;
        for (; *s; s++)
                if ((unsigned char)*s <= ' ' || strchr("<>(),;:\"[]\\", *s))
                        return false;
        return true;
}

/* ---- struct member ------------------------------------------------------------ */

void
member_init(struct member *m)
{
        memset(m, 0, sizeof(*m));
        strv_init(&m->emails);
        strv_init(&m->regions);
        strv_init(&m->capabilities);
        strv_init(&m->works_with);
        strv_init(&m->avoid);
        m->max_open_bids = MEMBER_DEFAULT_OPEN_BIDS;
        m->min_value = m->max_value = m->capacity = VALUE_NONE;
        m->digest_day = DAY_MON;
}

void
member_clear_rules(struct member *m, bool exclusions)
{
        size_t w = 0;

        for (size_t i = 0; i < m->nrules; i++) {
                if (m->rules[i].exclude == exclusions)
                        rule_done(&m->rules[i]);
                else
                        m->rules[w++] = m->rules[i];
        }
        m->nrules = w;
}

void
member_done(struct member *m)
{
        if (m == NULL)
                return;
        free(m->id);
        free(m->name);
        strv_done(&m->emails);
        free(m->cluster);
        free(m->postcode);
        strv_done(&m->regions);
        strv_done(&m->capabilities);
        for (size_t i = 0; i < m->nrules; i++)
                rule_done(&m->rules[i]);
        free(m->rules);
        free(m->accreditations);
        free(m->companies_house);
        free(m->charity_number);
        free(m->ppon);
        strv_done(&m->works_with);
        strv_done(&m->avoid);
        free(m->file);
        member_init(m);
}

struct member *
member_free(struct member *m)
{
        if (m == NULL)
                return NULL;
        member_done(m);
        free(m);
        return NULL;
}

void
member_copy(struct member *dst, const struct member *src)
{
        member_init(dst);
        dst->id = xstrdup(src->id);
        dst->name = xstrdup(src->name);
        strv_copy(&dst->emails, &src->emails);
        dst->cluster = xstrdup(src->cluster);
        dst->postcode = xstrdup(src->postcode);
        strv_copy(&dst->regions, &src->regions);
        strv_copy(&dst->capabilities, &src->capabilities);
        if (src->nrules > 0) {
                dst->rules = xcalloc(src->nrules, sizeof(*dst->rules));
                for (size_t i = 0; i < src->nrules; i++)
                        rule_copy(&dst->rules[i], &src->rules[i]);
        }
        dst->nrules = src->nrules;
        dst->min_value = src->min_value;
        dst->max_value = src->max_value;
        dst->capacity = src->capacity;
        dst->consortium = src->consortium;
        dst->lead = src->lead;
        dst->accreditations = xstrdup(src->accreditations);
        dst->max_open_bids = src->max_open_bids;
        strv_copy(&dst->works_with, &src->works_with);
        strv_copy(&dst->avoid, &src->avoid);
        dst->digest_day = src->digest_day;
        dst->paused = src->paused;
        dst->companies_house = xstrdup(src->companies_house);
        dst->charity_number = xstrdup(src->charity_number);
        dst->ppon = xstrdup(src->ppon);
        dst->report_name = src->report_name;
        dst->file = xstrdup(src->file);
        dst->line = src->line;
}

static bool
str_eq(const char *a, const char *b)
{
        return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static bool
strv_eq(const struct strv *a, const struct strv *b)
{
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->v[i], b->v[i]) != 0)
                        return false;
        return true;
}

bool
member_equal(const struct member *a, const struct member *b)
{
        if (!str_eq(a->id, b->id) || !str_eq(a->name, b->name) ||
            !strv_eq(&a->emails, &b->emails) || !str_eq(a->cluster, b->cluster) ||
            !str_eq(a->postcode, b->postcode) || !strv_eq(&a->regions, &b->regions) ||
            !strv_eq(&a->capabilities, &b->capabilities) || a->nrules != b->nrules ||
            a->min_value != b->min_value || a->max_value != b->max_value ||
            a->capacity != b->capacity || a->consortium != b->consortium || a->lead != b->lead ||
            !str_eq(a->accreditations, b->accreditations) || a->digest_day != b->digest_day ||
            a->paused != b->paused || !str_eq(a->companies_house, b->companies_house) ||
            !str_eq(a->charity_number, b->charity_number) || !str_eq(a->ppon, b->ppon) ||
            a->report_name != b->report_name ||
            a->max_open_bids != b->max_open_bids ||
            !strv_eq(&a->works_with, &b->works_with) || !strv_eq(&a->avoid, &b->avoid))
                return false;
        for (size_t i = 0; i < a->nrules; i++) {
                const struct rule *x = &a->rules[i], *y = &b->rules[i];

                if (x->kind != y->kind || x->exclude != y->exclude || x->fields != y->fields ||
                    x->weight != y->weight || !str_eq(x->text, y->text))
                        return false;
        }
        return true;
}

/* ---- writing a member file ----------------------------------------------------- */

/* A value as the INI reader will read it back: quoted when it would
 * otherwise lose leading/trailing space, start with a quote or hold a '#'
 * after a space (read as a misplaced comment). */
void
member_put_value(struct buf *b, const char *key, const char *v)
{
        size_t n = strlen(v);

        buf_printf(b, "%s = ", key);
        if (n > 0 && (v[0] == '"' || isspace((unsigned char)v[0]) ||
                      isspace((unsigned char)v[n - 1]) || strstr(v, " #") ||
                      strstr(v, "\t#"))) {
                buf_addc(b, '"');
                for (const char *p = v; *p; p++) {
                        if (*p == '"' || *p == '\\')
                                buf_addc(b, '\\');
                        buf_addc(b, *p);
                }
                buf_addc(b, '"');
        } else {
                buf_adds(b, v);
        }
        buf_addc(b, '\n');
}

static void
put_list(struct buf *b, const char *key, const struct strv *l)
{
        struct buf v;

        if (l->n == 0)
                return;
        buf_init(&v);
        for (size_t i = 0; i < l->n; i++)
                buf_printf(&v, "%s%s", i ? ", " : "", l->v[i]);
        member_put_value(b, key, v.data);
        buf_done(&v);
}

static void
put_money(struct buf *b, const char *key, int64_t pence)
{
        if (pence == VALUE_NONE)
                return;
        if (pence % 100 == 0)
                buf_printf(b, "%s = %lld\n", key, (long long)(pence / 100));
        else
                buf_printf(b, "%s = %lld.%02lld\n", key, (long long)(pence / 100),
                           (long long)(pence % 100));
}

/* Would "text" alone be read as "FIELDS: rest"? */
static bool
looks_like_fields_prefix(const char *text)
{
        const char *colon = strchr(text, ':');
        const char *bad = NULL;
        unsigned f;
        char *head;
        bool r;

        if (colon == NULL || colon == text)
                return false;
        head = xstrndup(text, (size_t)(colon - text));
        r = strspn(head, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ, \t") ==
            strlen(head) && rule_fields_parse(head, &f, &bad) == 0;
        free(head);
        return r;
}

void
member_format_rules(const struct member *m, struct buf *b)
{
        double weight = 1.0;

        for (size_t i = 0; i < m->nrules; i++) {
                const struct rule *r = &m->rules[i];
                struct buf v;

                if (r->weight != weight) {
                        buf_printf(b, "rule_weight = %g\n", r->weight);
                        weight = r->weight;
                }
                buf_init(&v);
                if (r->fields != FIELD_TEXT || looks_like_fields_prefix(r->text)) {
                        rule_fields_format(r->fields, &v);
                        buf_adds(&v, ": ");
                }
                buf_adds(&v, r->text);
                member_put_value(b, rule_key(r), v.data);
                buf_done(&v);
        }
}

void
member_format(const struct member *m, struct buf *b)
{
        buf_adds(b, "[member]\n");
        member_put_value(b, "id", m->id ? m->id : "");
        if (m->name)
                member_put_value(b, "name", m->name);
        put_list(b, "email", &m->emails);
        if (m->cluster)
                member_put_value(b, "cluster", m->cluster);
        if (m->postcode)
                member_put_value(b, "postcode", m->postcode);
        put_list(b, "regions", &m->regions);
        put_list(b, "capabilities", &m->capabilities);
        put_money(b, "min_value", m->min_value);
        put_money(b, "max_value", m->max_value);
        put_money(b, "capacity", m->capacity);
        buf_printf(b, "consortium = %s\n", m->consortium ? "yes" : "no");
        if (m->lead)
                buf_adds(b, "lead = yes\n");
        if (m->accreditations)
                member_put_value(b, "accreditations", m->accreditations);
        if (m->max_open_bids != MEMBER_DEFAULT_OPEN_BIDS)
                buf_printf(b, "max_open_bids = %d\n", m->max_open_bids);
        put_list(b, "works_with", &m->works_with);
        put_list(b, "avoid", &m->avoid);
        buf_printf(b, "digest_day = %s\n", weekday_name(m->digest_day));
        if (m->paused)
                buf_adds(b, "paused = yes\n");
        if (m->companies_house)
                member_put_value(b, "companies_house", m->companies_house);
        if (m->charity_number)
                member_put_value(b, "charity_number", m->charity_number);
        if (m->ppon)
                member_put_value(b, "ppon", m->ppon);
        if (m->report_name)
                buf_adds(b, "report_name = yes\n");
        member_format_rules(m, b);
}

/* ---- reading: one key at a time ------------------------------------------------- */

enum { K_ID, K_NAME, K_CLUSTER, K_POSTCODE, K_MIN, K_MAX, K_CAPACITY, K_CONSORTIUM,
       K_LEAD, K_ACCRED, K_DAY, K_PAUSED, K_COH, K_CHC, K_PPON, K_REPORT_NAME, K_OPEN_BIDS, K_ONCE_MAX };

static const char *const once_keys[K_ONCE_MAX] = {
        "id", "name", "cluster", "postcode", "min_value", "max_value", "capacity",
        "consortium", "lead", "accreditations", "digest_day", "paused",
        "companies_house", "charity_number", "ppon", "report_name", "max_open_bids",
};

static bool
set_text(char **dst, const char *key, const char *v, struct apply_ctx *c)
{
        if (*v == '\0') {
                free(*dst);
                *dst = NULL;
                return true;
        }
        if (str_has_control(v) || strlen(v) > MEMBER_MAX_TEXT) {
                diag_add(c->d, c->file, c->line, "'%s' must be one line of at most %d "
                         "characters", key, MEMBER_MAX_TEXT);
                return false;
        }
        free(*dst);
        *dst = xstrdup(v);
        return true;
}

static bool
set_money(int64_t *dst, const char *key, const char *v, struct apply_ctx *c)
{
        int64_t pence;

        if (*v == '\0') {
                *dst = VALUE_NONE;
                return true;
        }
        if (parse_money(v, &pence) < 0) {
                diag_add(c->d, c->file, c->line, "'%s' must be an amount in pounds "
                         "(e.g. 5000, 25,000, £25k, 1.5m), not '%s'", key, v);
                return false;
        }
        *dst = pence;
        return true;
}

static void
add_rule(struct member *m, const struct rule *r)
{
        m->rules = xreallocarray(m->rules, m->nrules + 1, sizeof(*m->rules));
        m->rules[m->nrules++] = *r;
}

/*
 * Apply one key = value to m.  List keys append; an empty value of a single
 * key clears it.  Returns false after reporting a problem.
 */
/* yes/no into *dst (an empty value: false). */
static bool
set_bool(bool *dst, const char *key, const char *v, struct apply_ctx *c)
{
        if (*v == '\0') {
                *dst = false;
                return true;
        }
        if (parse_bool(v, dst) < 0) {
                diag_add(c->d, c->file, c->line, "'%s' must be yes or no, not '%s'", key, v);
                return false;
        }
        return true;
}

static bool
set_postcode(struct member *m, const char *key, const char *v, struct apply_ctx *c)
{
        char *pc, area[3];

        if (*v == '\0')
                return set_text(&m->postcode, key, v, c);
        pc = postcode_normalise(v);
        if (pc == NULL || postcode_area(pc, area) < 0 ||
            (!postcode_valid(pc) && strchr(pc, ' ') != NULL)) {
                diag_add(c->d, c->file, c->line, "'postcode' must be a UK "
                         "postcode (B5 5SE) or outward code (B5), not '%s'", v);
                free(pc);
                return false;
        }
        free(m->postcode);
        m->postcode = pc;
        return true;
}

/* companies_house, charity_number, ppon: letters, digits and '-' (spaces
 * dropped), as the registers write them. */
static bool
set_ident(struct member *m, int k, const char *key, const char *v, struct apply_ctx *c)
{
        char **dst = k == K_COH ? &m->companies_house : k == K_CHC ? &m->charity_number :
                     &m->ppon;
        size_t n = 0;

        for (const char *p = v; *p; p++) {
                if (*p == ' ')
                        continue;
                if (!isalnum((unsigned char)*p) && *p != '-') {
                        diag_add(c->d, c->file, c->line, "'%s' must be letters, digits and "
                                 "'-' (e.g. %s), not '%s'", key, k == K_COH ? "06841377" :
                                 k == K_CHC ? "1123456 or SC012345" : "PMZV-7732-XXTT", v);
                        return false;
                }
                n++;
        }
        if (n > 32) {
                diag_add(c->d, c->file, c->line, "'%s' is too long (at most 32 characters)",
                         key);
                return false;
        }
        return set_text(dst, key, v, c);
}

/* One of the keys given at most once (once_keys[k]). */
static bool
apply_once(struct member *m, int k, const char *key, const char *v, struct apply_ctx *c)
{
        if (c->seen & (1u << k)) {
                diag_add(c->d, c->file, c->line, "'%s' given twice in [member]", key);
                return false;
        }
        c->seen |= 1u << k;
        switch (k) {
        case K_ID:
                if (!member_id_valid(v)) {
                        diag_add(c->d, c->file, c->line, "'id' must be lower-case "
                                 "letters, digits and '-' (at most 64), not '%s'", v);
                        return false;
                }
                free(m->id);
                m->id = xstrdup(v);
                return true;
        case K_NAME:
                return set_text(&m->name, key, v, c);
        case K_CLUSTER:
                return set_text(&m->cluster, key, v, c);
        case K_ACCRED:
                return set_text(&m->accreditations, key, v, c);
        case K_POSTCODE:
                return set_postcode(m, key, v, c);
        case K_MIN:
                return set_money(&m->min_value, key, v, c);
        case K_MAX:
                return set_money(&m->max_value, key, v, c);
        case K_CAPACITY:
                return set_money(&m->capacity, key, v, c);
        case K_CONSORTIUM:
                return set_bool(&m->consortium, key, v, c);
        case K_LEAD:
                return set_bool(&m->lead, key, v, c);
        case K_PAUSED:
                return set_bool(&m->paused, key, v, c);
        case K_REPORT_NAME:
                return set_bool(&m->report_name, key, v, c);
        case K_COH:
        case K_CHC:
        case K_PPON:
                return set_ident(m, k, key, v, c);
        case K_OPEN_BIDS: {
                long n;

                if (*v == '\0') {
                        m->max_open_bids = MEMBER_DEFAULT_OPEN_BIDS;
                        return true;
                }
                if (parse_long(v, 0, MEMBER_MAX_OPEN_BIDS, &n) < 0) {
                        diag_add(c->d, c->file, c->line, "'max_open_bids' must be a whole "
                                 "number from 0 to %d, not '%s'", MEMBER_MAX_OPEN_BIDS, v);
                        return false;
                }
                m->max_open_bids = (int)n;
                return true;
        }
        case K_DAY:
                if (*v == '\0') {
                        m->digest_day = DAY_MON;
                        return true;
                }
                if (weekday_parse(v, &m->digest_day) < 0) {
                        diag_add(c->d, c->file, c->line, "'digest_day' must be a day "
                                 "(mon..sun or monday..sunday), not '%s'", v);
                        return false;
                }
                return true;
        default:
                return true;
        }
}

/* "unknown capability 'x' (the taxonomy has: a, b)" */
static void
unknown_capability(const char *id, struct apply_ctx *c)
{
        struct buf known;

        buf_init(&known);
        for (size_t j = 0; j < c->tx->ncaps; j++)
                buf_printf(&known, "%s%s", j ? ", " : "", c->tx->caps[j].id);
        diag_add(c->d, c->file, c->line, "unknown capability '%s' (the taxonomy has: %s)", id,
                 known.data ? known.data : "none");
        buf_done(&known);
}

/* One item of a list key (email, regions, capabilities): appended to m. */
static void
apply_list_item(struct member *m, const char *key, const char *item, struct apply_ctx *c)
{
        const char *why = NULL;

        if (strcmp(key, "email") == 0) {
                if (!valid_email(item))
                        diag_add(c->d, c->file, c->line, "'email': '%s' is not an "
                                 "email address", item);
                else if (m->emails.n >= MEMBER_MAX_EMAILS)
                        diag_add(c->d, c->file, c->line, "'email': at most %d "
                                 "addresses", MEMBER_MAX_EMAILS);
                else
                        strv_add_unique(&m->emails, item);
        } else if (strcmp(key, "regions") == 0) {
                if (region_normalise(item, &m->regions, &why) < 0)
                        diag_add(c->d, c->file, c->line, "'regions': '%s' is %s", item, why);
        } else if (strcmp(key, "works_with") == 0 || strcmp(key, "avoid") == 0) {
                if (!member_id_valid(item))
                        diag_add(c->d, c->file, c->line, "'%s': '%s' is not a member id "
                                 "(lower-case letters, digits and '-')", key, item);
                else if (m->id != NULL && strcmp(item, m->id) == 0)
                        diag_add(c->d, c->file, c->line, "'%s': a member cannot name "
                                 "itself", key);
                else
                        strv_add_unique(key[0] == 'w' ? &m->works_with : &m->avoid, item);
        } else if (c->tx != NULL && taxonomy_find(c->tx, item) == NULL) {
                unknown_capability(item, c);
        } else {
                strv_add_unique(&m->capabilities, item);
        }
}

/* The rule keys: fields and rule_weight (defaults of the rules after them),
 * keyword, regex, exclude, exclude_regex.  False when key is none of them. */
static bool
apply_rule_key(struct member *m, const char *key, const char *v, struct apply_ctx *c)
{
        if (strcmp(key, "fields") == 0) {
                const char *bad = NULL;
                unsigned f;

                if (rule_fields_parse(v, &f, &bad) < 0)
                        diag_add(c->d, c->file, c->line, "'fields' must list title, "
                                 "description, buyer, lots, items, text or all, not '%s'", v);
                else
                        c->fields = f;
        } else if (strcmp(key, "rule_weight") == 0) {
                double w;

                if (parse_double(v, &w) < 0 || !(w > 0) || w > 100)
                        diag_add(c->d, c->file, c->line, "'rule_weight' must be a number "
                                 "above 0 and at most 100, not '%s'", v);
                else
                        c->rule_weight = w;
        } else if (strcmp(key, "keyword") == 0 || strcmp(key, "regex") == 0 ||
                   strcmp(key, "exclude") == 0 || strcmp(key, "exclude_regex") == 0) {
                struct rule r;

                if (m->nrules >= MEMBER_MAX_RULES) {
                        diag_add(c->d, c->file, c->line, "too many rules (at most %d)",
                                 MEMBER_MAX_RULES);
                } else if (rule_parse(strstr(key, "regex") ? RULE_REGEX : RULE_KEYWORD,
                                      key[0] == 'e', v, c->fields, c->rule_weight,
                                      c->file, c->line, &r, c->d) == 0) {
                        add_rule(m, &r);
                }
        } else {
                return false;
        }
        return true;
}

bool
member_apply(struct member *m, const char *key, const char *v, struct apply_ctx *c)
{
        size_t before = diag_count(c->d);

        for (int k = 0; k < K_ONCE_MAX; k++)
                if (strcmp(key, once_keys[k]) == 0)
                        return apply_once(m, k, key, v, c);
        if (strcmp(key, "email") == 0 || strcmp(key, "regions") == 0 ||
            strcmp(key, "capabilities") == 0 || strcmp(key, "works_with") == 0 ||
            strcmp(key, "avoid") == 0) {
                struct strv l;

                strv_init(&l);
                str_split_list(v, &l);
                for (size_t i = 0; i < l.n; i++)
                        apply_list_item(m, key, l.v[i], c);
                strv_done(&l);
        } else if (!apply_rule_key(m, key, v, c)) {
                diag_add(c->d, c->file, c->line, "unknown key '%s' in [member] (id, name, "
                         "email, cluster, postcode, regions, capabilities, keyword, regex, "
                         "exclude, exclude_regex, fields, rule_weight, min_value, max_value, "
                         "capacity, consortium, lead, accreditations, max_open_bids, "
                         "works_with, avoid, digest_day, paused, companies_house, "
                         "charity_number, ppon, report_name)", key);
        }
        return diag_count(c->d) == before;
}

/* What a complete member needs; reported at (file, line). */
void
member_check(const struct member *m, const char *file, unsigned line, struct diag *d)
{
        size_t positive = 0;

        for (size_t i = 0; i < m->nrules; i++)
                positive += !m->rules[i].exclude;
        if (m->id == NULL)
                diag_add(d, file, line, "[member] needs 'id'");
        if (m->name == NULL)
                diag_add(d, file, line, "[member] needs 'name'");
        if (m->capabilities.n == 0 && positive == 0)
                diag_add(d, file, line, "member '%s' has no 'capabilities' and no "
                         "'keyword'/'regex' of its own: it can never match",
                         m->id ? m->id : "?");
        if (m->min_value != VALUE_NONE && m->max_value != VALUE_NONE &&
            m->min_value > m->max_value)
                diag_add(d, file, line, "'min_value' is above 'max_value'");
}

/* The file's stem: "dir/abc-1.conf" -> "abc-1".  Caller frees. */
static char *
file_stem(const char *path)
{
        const char *base = strrchr(path, '/');
        const char *dot;

        base = base ? base + 1 : path;
        dot = strrchr(base, '.');
        return xstrndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

int
member_load_file(const char *path, const struct taxonomy *tx, struct member **ret,
                 struct diag *d)
{
        struct member *m = xcalloc(1, sizeof(*m));
        struct ini *ini = NULL;
        size_t before = diag_count(d);
        const struct ini_section *msec = NULL;
        char *stem = NULL;
        int r;

        member_init(m);
        r = ini_load(path, &ini, d);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < ini->nsections; i++) {
                const struct ini_section *sec = &ini->sections[i];

                if (strcmp(sec->type, "!invalid") == 0)
                        continue;
                if (strcmp(sec->type, "") == 0) {
                        diag_add(d, path, sec->pairs[0].line, "'%s' is outside the [member] "
                                 "section", sec->pairs[0].key);
                } else if (strcmp(sec->type, "member") != 0 || sec->name != NULL) {
                        diag_add(d, path, sec->line, "unknown section [%s%s%s] (a member file "
                                 "has one [member] section)", sec->type, sec->name ? " " : "",
                                 sec->name ? sec->name : "");
                } else if (msec != NULL) {
                        diag_add(d, path, sec->line, "[member] given twice (first at line %u)",
                                 msec->line);
                } else {
                        msec = sec;
                }
        }
        if (msec == NULL) {
                if (diag_count(d) == before)
                        diag_add(d, path, 0, "no [member] section");
                r = -EINVAL;
                goto out;
        }
        {
                struct apply_ctx c = { .tx = tx, .file = path, .fields = FIELD_TEXT,
                                       .rule_weight = 1.0, .d = d };

                for (size_t i = 0; i < msec->npairs; i++) {
                        c.line = msec->pairs[i].line;
                        member_apply(m, msec->pairs[i].key, msec->pairs[i].value, &c);
                }
        }
        m->file = xstrdup(path);
        m->line = msec->line;
        member_check(m, path, msec->line, d);
        stem = file_stem(path);
        if (m->id != NULL && strcmp(m->id, stem) != 0) {
                unsigned idline = msec->line;

                for (size_t i = 0; i < msec->npairs && idline == msec->line; i++)
                        if (strcmp(msec->pairs[i].key, "id") == 0)
                                idline = msec->pairs[i].line;
                diag_add(d, path, idline, "'id' is '%s' but the file is "
                         "named %s.conf: they must be the same", m->id, stem);
        }
        r = diag_count(d) > before ? -EINVAL : 0;
out:
        free(stem);
        ini_free(ini);
        if (r == 0)
                *ret = m;
        else
                member_free(m);
        return r;
}

/* ---- the register ---------------------------------------------------------------- */

static int
member_cmp(const void *a, const void *b)
{
        return strcmp(((const struct member *)a)->id, ((const struct member *)b)->id);
}

static int
str_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_member_file(const char *name)
{
        size_t n = strlen(name);

        return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

int
members_load(const char *dir, const struct taxonomy *tx, struct member_register **ret,
             struct diag *d)
{
        struct member_register *reg;
        struct strv names;
        struct dirent *de;
        size_t before = diag_count(d);
        DIR *dh;

        dh = opendir(dir);
        if (dh == NULL) {
                int e = errno;

                diag_add(d, dir, 0, "cannot read the member directory: %s", strerror(e));
                return -e;
        }
        strv_init(&names);
        while ((de = readdir(dh)) != NULL) {
                if (!is_member_file(de->d_name))
                        continue;
                if (names.n >= MEMBERS_MAX) {
                        diag_add(d, dir, 0, "too many member files (at most %d)", MEMBERS_MAX);
                        break;
                }
                strv_add(&names, de->d_name);
        }
        closedir(dh);
        if (names.n > 0)
                qsort(names.v, names.n, sizeof(*names.v), str_cmp);
        reg = xcalloc(1, sizeof(*reg));
        reg->dir = xstrdup(dir);
        reg->members = xcalloc(names.n + 1, sizeof(*reg->members));
        for (size_t i = 0; i < names.n; i++) {
                char *path = path_join(dir, names.v[i]);
                struct member *m = NULL;

                if (member_load_file(path, tx, &m, d) == 0) {
                        reg->members[reg->n++] = *m;
                        free(m);
                }
                free(path);
        }
        strv_done(&names);
        if (reg->n > 0)
                qsort(reg->members, reg->n, sizeof(*reg->members), member_cmp);
        if (diag_count(d) > before) {
                members_free(reg);
                return -EINVAL;
        }
        *ret = reg;
        return 0;
}

struct member_register *
members_free(struct member_register *r)
{
        if (r == NULL)
                return NULL;
        for (size_t i = 0; i < r->n; i++)
                member_done(&r->members[i]);
        free(r->members);
        free(r->dir);
        free(r);
        return NULL;
}

const struct member *
members_find(const struct member_register *r, const char *id)
{
        size_t lo = 0, hi;

        if (r == NULL || id == NULL)
                return NULL;
        hi = r->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(r->members[mid].id, id);

                if (c == 0)
                        return &r->members[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}
