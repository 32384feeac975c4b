/*
 * taxonomy.c — the capability taxonomy file ([capability ID] sections) and
 * the rule lines shared with member files (see taxonomy.h).
 *
 * Keys of a [capability ID] section, in file order:
 *   label = TEXT                 once; default: the id
 *   weight = NUMBER              once; scales the capability's score (default 1)
 *   cpv = PREFIX, ...            repeatable; CPV 2008 prefixes, 2..8 digits
 *   cpv_exclude = PREFIX, ...    repeatable; a code under one vetoes the CPV match
 *   keyword = [FIELDS:] WORDS    repeatable; whole words / a phrase
 *   regex = [FIELDS:] PATTERN    repeatable; PCRE2, caseless
 *   exclude = [FIELDS:] WORDS    repeatable; vetoes the capability's text match
 *   exclude_regex = [FIELDS:] PATTERN
 *   fields = FIELDS              default fields for the rules that follow
 *   rule_weight = NUMBER         weight of the rules that follow (default 1)
 *   on_site = yes|no             once; the work is done at the delivery place
 *                                (default no: the notice's own region list)
 *   strong = yes|no              the rules that follow make the capability required
 *                                even when they match only in the description
 *                                (default no: such a match is incidental)
 * and a [taxonomy] section: cpv_coverage = FILE (the CPV coverage table).
 *
 * Keys of a [check ID] section (an accreditation or check a notice may ask
 * for, checks.h):
 *   label = TEXT                 once; default: the id
 *   keyword, regex, exclude, exclude_regex, fields   as in [capability ID]
 *   alias = WORDS                repeatable; how members write it (members only)
 *   implies = ID, ...            holding it also holds these checks
 *   amount = yes|no              once; a money level is read next to it (insurance)
 *   scope = any|each             once; one partner holding it is enough, or every
 *                                partner needs its own (default any)
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bidbroker/checks.h"
#include "bidbroker/cpvcover.h"
#include "bidbroker/cpvref.h"
#include "bidbroker/err.h"
#include "bidbroker/ini.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/util.h"

#define TAX_MAX_CAPS            1000
#define TAX_MAX_RULES           20000           /* per capability */
#define RULE_MAX_TEXT           1000
#define KEYWORD_MAX_TEXT        200
#define WEIGHT_MAX              100.0

#define FIELD_ALL               (FIELD_TEXT | FIELD_BUYER)

static const struct {
        const char *name;
        unsigned    bits;
} field_names[] = {
        { "title", FIELD_TITLE },
        { "description", FIELD_DESCRIPTION },
        { "buyer", FIELD_BUYER },
        { "lots", FIELD_LOTS },
        { "items", FIELD_ITEMS },
        { "text", FIELD_TEXT },
        { "all", FIELD_ALL },
};

int
rule_fields_parse(const char *s, unsigned *ret, const char **bad)
{
        struct strv parts;
        unsigned bits = 0;
        int r = 0;

        strv_init(&parts);
        str_split(s, ',', &parts);
        if (parts.n == 0) {
                *bad = "";
                r = -EINVAL;
        }
        for (size_t i = 0; i < parts.n && r == 0; i++) {
                size_t j;

                for (j = 0; j < ARRAY_SIZE(field_names); j++)
                        if (strcasecmp(parts.v[i], field_names[j].name) == 0)
                                break;
                if (j == ARRAY_SIZE(field_names)) {
                        *bad = "not a field";
                        r = -EINVAL;
                        break;
                }
                bits |= field_names[j].bits;
        }
        strv_done(&parts);
        if (r == 0)
                *ret = bits;
        return r;
}

void
rule_fields_format(unsigned fields, struct buf *out)
{
        bool first = true;

        if (fields == FIELD_TEXT) {
                buf_adds(out, "text");
                return;
        }
        if (fields == FIELD_ALL) {
                buf_adds(out, "all");
                return;
        }
        for (size_t j = 0; j < 5; j++) {
                if (!(fields & field_names[j].bits))
                        continue;
                if (!first)
                        buf_addc(out, ',');
                buf_adds(out, field_names[j].name);
                first = false;
        }
}

const char *
rule_key(const struct rule *r)
{
        if (r->kind == RULE_KEYWORD)
                return r->exclude ? "exclude" : "keyword";
        return r->exclude ? "exclude_regex" : "regex";
}

/* Compile a pattern the way the engine will, to report errors at load. */
static bool
check_regex(const char *pat, const char *file, unsigned line, struct diag *d)
{
        pcre2_code *re;
        pcre2_match_data *md;
        int ecode, rc;
        PCRE2_SIZE eoff;

        re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                           PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &ecode, &eoff, NULL);
        if (re == NULL) {
                PCRE2_UCHAR msg[256];

                pcre2_get_error_message(ecode, msg, sizeof(msg));
                diag_add(d, file, line, "regex '%s' error at offset %zu: %s", pat,
                         (size_t)eoff, (const char *)msg);
                return false;
        }
        /* A pattern that matches empty text would fire on every notice. */
        md = pcre2_match_data_create_from_pattern(re, NULL);
        rc = pcre2_match(re, (PCRE2_SPTR)"", 0, 0, 0, md, NULL);
        pcre2_match_data_free(md);
        pcre2_code_free(re);
        if (rc >= 0) {
                diag_add(d, file, line, "regex '%s' matches empty text, so it would fire "
                         "on every notice", pat);
                return false;
        }
        return true;
}

int
rule_parse(enum rule_kind kind, bool exclude, const char *value, unsigned default_fields,
           double weight, const char *file, unsigned line, struct rule *out, struct diag *d)
{
        const char *text = value, *colon = strchr(value, ':');
        struct rule tmp = { .kind = kind, .exclude = exclude, .weight = weight,
                            .fields = default_fields };
        const char *key = rule_key(&tmp);
        size_t before = diag_count(d);

        if (colon != NULL && colon > value) {
                char *head = xstrndup(value, (size_t)(colon - value));
                const char *bad = NULL;
                unsigned f;

                /* "title,lots: pattern"; anything else before ':' is text */
                if (strspn(head, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ, \t") ==
                    strlen(head) && rule_fields_parse(head, &f, &bad) == 0) {
                        tmp.fields = f;
                        text = colon + 1;
                        while (*text == ' ' || *text == '\t')
                                text++;
                }
                free(head);
        }
        if (*text == '\0') {
                diag_add(d, file, line, "'%s' needs %s", key,
                         kind == RULE_KEYWORD ? "a word or phrase" : "a pattern");
                return -EINVAL;
        }
        if (strlen(text) > (kind == RULE_KEYWORD ? KEYWORD_MAX_TEXT : RULE_MAX_TEXT)) {
                diag_add(d, file, line, "'%s' is too long (at most %d characters)", key,
                         kind == RULE_KEYWORD ? KEYWORD_MAX_TEXT : RULE_MAX_TEXT);
                return -EINVAL;
        }
        if (str_has_control(text)) {
                diag_add(d, file, line, "'%s' contains a control character", key);
                return -EINVAL;
        }
        if (kind == RULE_KEYWORD) {
                bool word = false;

                for (const char *p = text; *p; p++)
                        if (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80)
                                word = true;
                if (!word)
                        diag_add(d, file, line, "'%s' needs at least one letter or digit, "
                                 "not '%s' (use regex for patterns)", key, text);
        } else {
                check_regex(text, file, line, d);
        }
        if (diag_count(d) > before)
                return -EINVAL;
        tmp.text = xstrdup(text);
        tmp.file = xstrdup(file);
        tmp.line = line;
        *out = tmp;
        return 0;
}

void
rule_done(struct rule *r)
{
        if (r == NULL)
                return;
        free(r->text);
        free(r->file);
        r->text = r->file = NULL;
}

void
rule_copy(struct rule *dst, const struct rule *src)
{
        *dst = *src;
        dst->text = xstrdup(src->text);
        dst->file = xstrdup(src->file);
}

/* ---- CPV prefixes ---------------------------------------------------------- */

/*
 * One written CPV item -> a prefix.  "90911200-8" (with check digit) and
 * "90911200" are codes; an 8-digit code stands for its whole subtree, so its
 * trailing zeros are dropped ("90910000" -> "9091", at least 2 digits kept).
 */
static bool
cpv_item(const char *item, const struct cpvref *ref, const char *file, unsigned line,
         struct strv *out, struct diag *d)
{
        char digits[9];
        size_t n = 0;
        const char *p = item;

        while (*p >= '0' && *p <= '9' && n < 9)
                digits[n++] = *p++;
        if (*p == '-' && n == 8 && p[1] >= '0' && p[1] <= '9' && p[2] == '\0')
                p += 2;                         /* check digit */
        if (*p != '\0' || n < 2 || n > 8) {
                diag_add(d, file, line, "CPV prefix '%s' must be 2 to 8 digits "
                         "(e.g. 9091 or 90910000)", item);
                return false;
        }
        digits[n] = '\0';
        if (ref != NULL && n == 8 && cpvref_name(ref, digits) == NULL) {
                diag_add(d, file, line, "CPV code '%s' is not in the CPV 2008 list", item);
                return false;
        }
        if (n == 8)
                while (n > 2 && digits[n - 1] == '0')
                        digits[--n] = '\0';
        if (ref != NULL && !cpvref_has_prefix(ref, digits)) {
                diag_add(d, file, line, "CPV prefix '%s' is not the start of any CPV 2008 "
                         "code", item);
                return false;
        }
        strv_add_unique(out, digits);
        return true;
}

static void
cpv_list(const char *value, const struct cpvref *ref, const char *key, const char *file,
         unsigned line, struct strv *out, struct diag *d)
{
        struct strv items;

        strv_init(&items);
        str_split_list(value, &items);
        if (items.n == 0)
                diag_add(d, file, line, "'%s' needs at least one CPV prefix", key);
        for (size_t i = 0; i < items.n; i++)
                cpv_item(items.v[i], ref, file, line, out, d);
        strv_done(&items);
}

/* ---- the taxonomy ---------------------------------------------------------- */

static bool
valid_id(const char *s)
{
        if (*s == '\0' || *s == '-' || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!(*s >= 'a' && *s <= 'z') && !(*s >= '0' && *s <= '9') && *s != '-')
                        return false;
        return true;
}

static void
capability_done(struct capability *c)
{
        free(c->id);
        free(c->label);
        strv_done(&c->cpv);
        strv_done(&c->cpv_exclude);
        for (size_t i = 0; i < c->nrules; i++)
                rule_done(&c->rules[i]);
        free(c->rules);
        free(c->file);
}

static void
check_def_done(struct check_def *c)
{
        free(c->id);
        free(c->label);
        for (size_t i = 0; i < c->nrules; i++)
                rule_done(&c->rules[i]);
        free(c->rules);
        for (size_t i = 0; i < c->naliases; i++)
                rule_done(&c->aliases[i]);
        free(c->aliases);
        strv_done(&c->implies);
        free(c->file);
}

struct taxonomy *
taxonomy_free(struct taxonomy *t)
{
        if (t == NULL)
                return NULL;
        for (size_t i = 0; i < t->ncaps; i++)
                capability_done(&t->caps[i]);
        free(t->caps);
        for (size_t i = 0; i < t->nchecks; i++)
                check_def_done(&t->checks[i]);
        free(t->checks);
        checker_free(t->checker);
        free(t->path);
        cpvcover_free(t->cover);
        free(t);
        return NULL;
}

const struct capability *
taxonomy_find(const struct taxonomy *t, const char *id)
{
        if (t == NULL || id == NULL)
                return NULL;
        for (size_t i = 0; i < t->ncaps; i++)
                if (strcmp(t->caps[i].id, id) == 0)
                        return &t->caps[i];
        return NULL;
}

const struct check_def *
taxonomy_find_check(const struct taxonomy *t, const char *id)
{
        if (t == NULL || id == NULL)
                return NULL;
        for (size_t i = 0; i < t->nchecks; i++)
                if (strcmp(t->checks[i].id, id) == 0)
                        return &t->checks[i];
        return NULL;
}

static bool
parse_weight(const char *v, const char *key, const char *file, unsigned line, double *ret,
             struct diag *d)
{
        double w;

        if (parse_double(v, &w) < 0 || !(w > 0) || w > WEIGHT_MAX) {
                diag_add(d, file, line, "'%s' must be a number above 0 and at most %g, "
                         "not '%s'", key, WEIGHT_MAX, v);
                return false;
        }
        *ret = w;
        return true;
}

static void
add_rule(struct rule **rules, size_t *n, const struct rule *r)
{
        *rules = xreallocarray(*rules, *n + 1, sizeof(**rules));
        (*rules)[(*n)++] = *r;
}

/* fields = FIELDS: the default fields of the rules that follow. */
static void
fields_key(const struct ini *ini, const struct ini_pair *p, unsigned *fields, struct diag *d)
{
        const char *bad = NULL;
        unsigned f;

        if (rule_fields_parse(p->value, &f, &bad) < 0)
                diag_add(d, ini->path, p->line, "'fields' must list title, description, "
                         "buyer, lots, items, text or all, not '%s'", p->value);
        else
                *fields = f;
}

static bool
is_rule_key(const char *k)
{
        return strcmp(k, "keyword") == 0 || strcmp(k, "regex") == 0 ||
               strcmp(k, "exclude") == 0 || strcmp(k, "exclude_regex") == 0;
}

/* A keyword/regex/exclude/exclude_regex line of [SECTION ID] into *r
 * (nrules: how many the section has so far). */
static bool
rule_line(const struct ini *ini, const struct ini_pair *p, unsigned fields, double weight,
          const char *section, const char *id, struct rule *r, size_t nrules, struct diag *d)
{
        const char *k = p->key;

        if (nrules >= TAX_MAX_RULES) {
                diag_add(d, ini->path, p->line, "too many rules in [%s %s] (at most %d)",
                         section, id, TAX_MAX_RULES);
                return false;
        }
        return rule_parse(strstr(k, "regex") ? RULE_REGEX : RULE_KEYWORD, k[0] == 'e',
                          p->value, fields, weight, ini->path, p->line, r, d) == 0;
}

/* Parse one [capability ID] section into c (initialised, id set). */
static void
parse_capability(const struct ini *ini, const struct ini_section *sec,
                 const struct cpvref *ref, struct capability *c, struct diag *d)
{
        unsigned fields = FIELD_TEXT;
        double rule_weight = 1.0;
        bool seen_label = false, seen_weight = false, strong = false, seen_site = false;
        size_t positive = 0;

        for (size_t i = 0; i < sec->npairs; i++) {
                const struct ini_pair *p = &sec->pairs[i];
                const char *k = p->key;
                struct rule r;

                if (strcmp(k, "label") == 0 || strcmp(k, "weight") == 0) {
                        bool *seen = k[0] == 'l' ? &seen_label : &seen_weight;

                        if (*seen) {
                                diag_add(d, ini->path, p->line, "'%s' given twice in "
                                         "[capability %s]", k, c->id);
                                continue;
                        }
                        *seen = true;
                        if (k[0] == 'w') {
                                parse_weight(p->value, k, ini->path, p->line, &c->weight, d);
                        } else if (*p->value == '\0' || str_has_control(p->value)) {
                                diag_add(d, ini->path, p->line, "'label' must be a line "
                                         "of text");
                        } else {
                                free(c->label);
                                c->label = xstrdup(p->value);
                        }
                } else if (strcmp(k, "cpv") == 0) {
                        cpv_list(p->value, ref, k, ini->path, p->line, &c->cpv, d);
                } else if (strcmp(k, "cpv_exclude") == 0) {
                        cpv_list(p->value, ref, k, ini->path, p->line, &c->cpv_exclude, d);
                } else if (strcmp(k, "fields") == 0) {
                        fields_key(ini, p, &fields, d);
                } else if (strcmp(k, "rule_weight") == 0) {
                        parse_weight(p->value, k, ini->path, p->line, &rule_weight, d);
                } else if (strcmp(k, "on_site") == 0) {
                        if (seen_site)
                                diag_add(d, ini->path, p->line, "'on_site' given twice in "
                                         "[capability %s]", c->id);
                        else if (parse_bool(p->value, &c->on_site) < 0)
                                diag_add(d, ini->path, p->line, "'on_site' must be yes or "
                                         "no, not '%s'", p->value);
                        seen_site = true;
                } else if (strcmp(k, "strong") == 0) {
                        if (parse_bool(p->value, &strong) < 0)
                                diag_add(d, ini->path, p->line, "'strong' must be yes or no, "
                                         "not '%s'", p->value);
                } else if (is_rule_key(k)) {
                        if (rule_line(ini, p, fields, rule_weight, "capability", c->id, &r,
                                      c->nrules, d)) {
                                r.strong = strong && !r.exclude;
                                add_rule(&c->rules, &c->nrules, &r);
                                positive += !r.exclude;
                        }
                } else {
                        diag_add(d, ini->path, p->line, "unknown key '%s' in [capability %s] "
                                 "(label, weight, cpv, cpv_exclude, keyword, regex, exclude, "
                                 "exclude_regex, fields, rule_weight, strong, on_site)", k,
                                 c->id);
                }
        }
        if (c->cpv.n == 0 && positive == 0)
                diag_add(d, ini->path, sec->line, "[capability %s] has no 'keyword' or "
                         "'regex' (nor 'cpv'): it needs text rules, buyers' CPV codes are "
                         "wrong too often", c->id);
}

/* Parse one [check ID] section into c (initialised, id set). */
static void
parse_check(const struct ini *ini, const struct ini_section *sec, struct check_def *c,
            struct diag *d)
{
        unsigned fields = FIELD_TEXT;
        bool seen_label = false, seen_amount = false, seen_scope = false;
        size_t positive = 0;

        for (size_t i = 0; i < sec->npairs; i++) {
                const struct ini_pair *p = &sec->pairs[i];
                const char *k = p->key;
                struct rule r;

                if (strcmp(k, "label") == 0) {
                        if (seen_label)
                                diag_add(d, ini->path, p->line, "'label' given twice in "
                                         "[check %s]", c->id);
                        else if (*p->value == '\0' || str_has_control(p->value))
                                diag_add(d, ini->path, p->line, "'label' must be a line "
                                         "of text");
                        else {
                                free(c->label);
                                c->label = xstrdup(p->value);
                        }
                        seen_label = true;
                } else if (strcmp(k, "amount") == 0 || strcmp(k, "scope") == 0) {
                        bool am = k[0] == 'a', *seen = am ? &seen_amount : &seen_scope;

                        if (*seen)
                                diag_add(d, ini->path, p->line, "'%s' given twice in "
                                         "[check %s]", k, c->id);
                        else if (am && parse_bool(p->value, &c->amount) < 0)
                                diag_add(d, ini->path, p->line, "'amount' must be yes or "
                                         "no, not '%s'", p->value);
                        else if (!am && strcasecmp(p->value, "any") == 0)
                                c->scope = CHECK_SCOPE_ANY;
                        else if (!am && strcasecmp(p->value, "each") == 0)
                                c->scope = CHECK_SCOPE_EACH;
                        else if (!am)
                                diag_add(d, ini->path, p->line, "'scope' must be any (one "
                                         "partner holding it is enough) or each (every "
                                         "partner needs its own), not '%s'", p->value);
                        *seen = true;
                } else if (strcmp(k, "fields") == 0) {
                        fields_key(ini, p, &fields, d);
                } else if (strcmp(k, "implies") == 0) {
                        struct strv ids;

                        strv_init(&ids);
                        str_split_list(p->value, &ids);
                        if (ids.n == 0)
                                diag_add(d, ini->path, p->line, "'implies' needs check ids");
                        for (size_t j = 0; j < ids.n; j++)
                                strv_add_unique(&c->implies, ids.v[j]);
                        strv_done(&ids);
                } else if (strcmp(k, "alias") == 0) {
                        if (c->naliases >= TAX_MAX_RULES)
                                diag_add(d, ini->path, p->line, "too many aliases in "
                                         "[check %s]", c->id);
                        else if (rule_parse(RULE_KEYWORD, false, p->value, FIELD_ALL, 1.0,
                                            ini->path, p->line, &r, d) == 0)
                                add_rule(&c->aliases, &c->naliases, &r);
                } else if (is_rule_key(k)) {
                        if (rule_line(ini, p, fields, 1.0, "check", c->id, &r, c->nrules, d)) {
                                add_rule(&c->rules, &c->nrules, &r);
                                positive += !r.exclude;
                        }
                } else {
                        diag_add(d, ini->path, p->line, "unknown key '%s' in [check %s] "
                                 "(label, keyword, regex, exclude, exclude_regex, fields, "
                                 "alias, implies, amount, scope)", k, c->id);
                }
        }
        if (positive == 0)
                diag_add(d, ini->path, sec->line, "[check %s] has no 'keyword' or 'regex': "
                         "it needs the wording notices use", c->id);
}

/* A [check ID] section: parsed into t->checks. */
static void
add_check(struct taxonomy *t, const struct ini *ini, const struct ini_section *sec,
          struct diag *d)
{
        struct check_def *c;

        if (sec->name == NULL || !valid_id(sec->name)) {
                diag_add(d, ini->path, sec->line, "[check%s%s] needs an id of lower-case "
                         "letters, digits and '-', e.g. [check dbs]", sec->name ? " " : "",
                         sec->name ? sec->name : "");
                return;
        }
        if (taxonomy_find_check(t, sec->name) != NULL) {
                diag_add(d, ini->path, sec->line, "[check %s] defined twice (first at line "
                         "%u)", sec->name, taxonomy_find_check(t, sec->name)->line);
                return;
        }
        if (t->nchecks >= TAX_MAX_CAPS) {
                diag_add(d, ini->path, sec->line, "too many checks (at most %d)",
                         TAX_MAX_CAPS);
                return;
        }
        t->checks = xreallocarray(t->checks, t->nchecks + 1, sizeof(*t->checks));
        c = &t->checks[t->nchecks++];
        memset(c, 0, sizeof(*c));
        strv_init(&c->implies);
        c->id = xstrdup(sec->name);
        c->file = xstrdup(ini->path);
        c->line = sec->line;
        parse_check(ini, sec, c, d);
        if (c->label == NULL)
                c->label = xstrdup(c->id);
}

/* Every 'implies' names a check of the file. */
static void
check_implies(const struct taxonomy *t, struct diag *d)
{
        for (size_t i = 0; i < t->nchecks; i++)
                for (size_t j = 0; j < t->checks[i].implies.n; j++)
                        if (taxonomy_find_check(t, t->checks[i].implies.v[j]) == NULL)
                                diag_add(d, t->path, t->checks[i].line, "[check %s] "
                                         "implies '%s', which is no [check ID] of this "
                                         "file", t->checks[i].id, t->checks[i].implies.v[j]);
}

/* [taxonomy]: keys about the whole file.  cpv_coverage = FILE (relative to
 * the taxonomy's directory) names the CPV coverage table. */
static void
taxonomy_section(const struct ini *ini, const struct ini_section *sec, char **cover_file,
                 unsigned *cover_line, struct diag *d)
{
        for (size_t i = 0; i < sec->npairs; i++) {
                const struct ini_pair *p = &sec->pairs[i];
                char *dir;

                if (strcmp(p->key, "cpv_coverage") != 0) {
                        diag_add(d, ini->path, p->line, "unknown key '%s' in [taxonomy] "
                                 "(cpv_coverage)", p->key);
                        continue;
                }
                if (*cover_file != NULL) {
                        diag_add(d, ini->path, p->line, "'cpv_coverage' given twice "
                                 "(first at line %u)", *cover_line);
                        continue;
                }
                if (*p->value == '\0') {
                        diag_add(d, ini->path, p->line, "'cpv_coverage' needs a file name");
                        continue;
                }
                dir = path_dirname(ini->path);
                *cover_file = path_join(dir, p->value);
                free(dir);
                *cover_line = p->line;
        }
}

/* The CPV coverage table, its lines naming capabilities by taxonomy index. */
static void
load_cover(struct taxonomy *t, const char *file, unsigned line, const struct cpvref *ref,
           struct diag *d)
{
        struct strv ids;
        size_t before = diag_count(d);

        strv_init(&ids);
        for (size_t i = 0; i < t->ncaps; i++)
                strv_add(&ids, t->caps[i].id);
        if (cpvcover_load(file, &ids, ref, &t->cover, d) < 0 && diag_count(d) == before)
                diag_add(d, t->path, line, "cannot load the CPV coverage table %s", file);
        strv_done(&ids);
}

int
taxonomy_load_ref(const char *path, const struct cpvref *ref, struct taxonomy **ret,
                  struct diag *d)
{
        struct taxonomy *t = NULL;
        struct ini *ini = NULL;
        size_t before = diag_count(d);
        char *cover_file = NULL;
        unsigned cover_line = 0;
        int r;

        r = ini_load(path, &ini, d);
        if (r < 0)
                return r;
        t = xcalloc(1, sizeof(*t));
        t->path = xstrdup(path);
        for (size_t i = 0; i < ini->nsections; i++) {
                const struct ini_section *sec = &ini->sections[i];
                struct capability *c;

                if (strcmp(sec->type, "!invalid") == 0)
                        continue;               /* reported by the INI reader */
                if (strcmp(sec->type, "") == 0) {
                        diag_add(d, path, sec->pairs[0].line, "'%s' is outside any "
                                 "[capability ID] section", sec->pairs[0].key);
                        continue;
                }
                if (strcmp(sec->type, "taxonomy") == 0 && sec->name == NULL) {
                        taxonomy_section(ini, sec, &cover_file, &cover_line, d);
                        continue;
                }
                if (strcmp(sec->type, "check") == 0) {
                        add_check(t, ini, sec, d);
                        continue;
                }
                if (strcmp(sec->type, "capability") != 0) {
                        diag_add(d, path, sec->line, "unknown section [%s] (expected "
                                 "[taxonomy], [capability ID] or [check ID])", sec->type);
                        continue;
                }
                if (sec->name == NULL || !valid_id(sec->name)) {
                        diag_add(d, path, sec->line, "[capability%s%s] needs an id of "
                                 "lower-case letters, digits and '-', e.g. "
                                 "[capability cleaning]", sec->name ? " " : "",
                                 sec->name ? sec->name : "");
                        continue;
                }
                if (taxonomy_find(t, sec->name) != NULL) {
                        const struct capability *old = taxonomy_find(t, sec->name);

                        diag_add(d, path, sec->line, "[capability %s] defined twice "
                                 "(first at line %u)", sec->name, old->line);
                        continue;
                }
                if (t->ncaps >= TAX_MAX_CAPS) {
                        diag_add(d, path, sec->line, "too many capabilities (at most %d)",
                                 TAX_MAX_CAPS);
                        break;
                }
                t->caps = xreallocarray(t->caps, t->ncaps + 1, sizeof(*t->caps));
                c = &t->caps[t->ncaps++];
                memset(c, 0, sizeof(*c));
                strv_init(&c->cpv);
                strv_init(&c->cpv_exclude);
                c->id = xstrdup(sec->name);
                c->weight = 1.0;
                c->file = xstrdup(path);
                c->line = sec->line;
                parse_capability(ini, sec, ref, c, d);
                if (c->label == NULL)
                        c->label = xstrdup(c->id);
        }
        if (t->ncaps == 0 && diag_count(d) == before)
                diag_add(d, path, 0, "no [capability ID] sections");
        ini_free(ini);
        check_implies(t, d);
        if (t->nchecks > 0 && diag_count(d) == before)
                checker_build(t, &t->checker, d);
        if (cover_file != NULL && diag_count(d) == before)
                load_cover(t, cover_file, cover_line, ref, d);
        free(cover_file);
        if (diag_count(d) > before) {
                taxonomy_free(t);
                return -EINVAL;
        }
        *ret = t;
        return 0;
}

int
taxonomy_load(const char *path, struct taxonomy **ret, struct diag *d)
{
        return taxonomy_load_ref(path, NULL, ret, d);
}
