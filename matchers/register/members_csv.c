/*
 * members_csv.c — the member register as a spreadsheet: export, per-field
 * differences, and `members import` (see members_csv.h and docs/matching.md).
 *
 * Every cell goes through member_apply(), the setter member files use, so a
 * value is checked the same way wherever it was written.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bidbroker/csv.h"
#include "bidbroker/err.h"
#include "bidbroker/ini.h"
#include "bidbroker/members.h"
#include "bidbroker/members_csv.h"
#include "bidbroker/members_write.h"
#include "bidbroker/opportunity.h"
#include "bidbroker/util.h"

#include "members_int.h"

#define CSV_FILE_MAX            (64u << 20)
#define MEMBER_FILE_MAX_BYTES   (1u << 20)

/* The columns export writes, in order (COL_ID..COL_RULES), then the older
 * ones import still reads. */
enum col {
        COL_ID, COL_NAME, COL_EMAIL, COL_CLUSTER, COL_POSTCODE, COL_REGIONS,
        COL_CAPABILITIES, COL_MIN, COL_MAX, COL_CAPACITY, COL_CONSORTIUM, COL_LEAD, COL_DAY,
        COL_ACCRED, COL_PAUSED, COL_COH, COL_CHC, COL_PPON, COL_REPORT_NAME,
        COL_OPEN_BIDS, COL_WORKS_WITH, COL_AVOID, COL_RULES,
        COL_KEYWORDS, COL_EXCLUSIONS, COL_MAX_
};
#define COL_EXPORTED    COL_KEYWORDS

static const char *const col_names[COL_MAX_] = {
        "id", "name", "email", "cluster", "postcode", "regions", "capabilities",
        "min_value", "max_value", "capacity", "consortium", "lead", "digest_day",
        "accreditations", "paused", "companies_house", "charity_number", "ppon",
        "report_name", "max_open_bids", "works_with", "avoid", "rules", "keywords",
        "exclusions",
};

/* The rule keys a 'rules' cell may hold. */
static const char *const rule_keys[] = {
        "keyword", "regex", "exclude", "exclude_regex", "fields", "rule_weight",
};

/* ---- a field as plain text -------------------------------------------------- */

static void
join(struct buf *b, const struct strv *l, const char *sep)
{
        for (size_t i = 0; i < l->n; i++)
                buf_printf(b, "%s%s", i ? sep : "", l->v[i]);
}

static void
money_plain(struct buf *b, int64_t pence)
{
        if (pence == VALUE_NONE)
                return;
        if (pence % 100 == 0)
                buf_printf(b, "%lld", (long long)(pence / 100));
        else
                buf_printf(b, "%lld.%02lld", (long long)(pence / 100), (long long)(pence % 100));
}

/* Column k of m as text (what the cell holds); lists joined with sep. */
static void
col_text(const struct member *m, int k, const char *sep, struct buf *b)
{
        switch (k) {
        case COL_ID:            buf_adds(b, m->id ? m->id : ""); break;
        case COL_NAME:          buf_adds(b, m->name ? m->name : ""); break;
        case COL_EMAIL:         join(b, &m->emails, sep); break;
        case COL_CLUSTER:       buf_adds(b, m->cluster ? m->cluster : ""); break;
        case COL_POSTCODE:      buf_adds(b, m->postcode ? m->postcode : ""); break;
        case COL_REGIONS:       join(b, &m->regions, sep); break;
        case COL_CAPABILITIES:  join(b, &m->capabilities, sep); break;
        case COL_MIN:           money_plain(b, m->min_value); break;
        case COL_MAX:           money_plain(b, m->max_value); break;
        case COL_CAPACITY:      money_plain(b, m->capacity); break;
        case COL_CONSORTIUM:    buf_adds(b, m->consortium ? "yes" : "no"); break;
        case COL_LEAD:          buf_adds(b, m->lead ? "yes" : "no"); break;
        case COL_DAY:           buf_adds(b, weekday_name(m->digest_day)); break;
        case COL_ACCRED:        buf_adds(b, m->accreditations ? m->accreditations : ""); break;
        case COL_PAUSED:        buf_adds(b, m->paused ? "yes" : "no"); break;
        case COL_COH:           buf_adds(b, m->companies_house ? m->companies_house : ""); break;
        case COL_CHC:           buf_adds(b, m->charity_number ? m->charity_number : ""); break;
        case COL_PPON:          buf_adds(b, m->ppon ? m->ppon : ""); break;
        case COL_REPORT_NAME:   buf_adds(b, m->report_name ? "yes" : "no"); break;
        case COL_OPEN_BIDS:     buf_printf(b, "%d", m->max_open_bids); break;
        case COL_WORKS_WITH:    join(b, &m->works_with, sep); break;
        case COL_AVOID:         join(b, &m->avoid, sep); break;
        case COL_RULES: {
                struct buf r;

                buf_init(&r);
                member_format_rules(m, &r);
                if (r.len > 0 && r.data[r.len - 1] == '\n')
                        r.data[--r.len] = '\0';
                if (r.len > 0)
                        buf_add(b, r.data, r.len);
                buf_done(&r);
                break;
        }
        default:
                break;
        }
}

/* ---- export ------------------------------------------------------------------ */

void
members_export_csv(const struct member_register *r, struct buf *out)
{
        struct buf cell;

        for (int k = 0; k < COL_EXPORTED; k++)
                buf_printf(out, "%s%s", k ? "," : "", col_names[k]);
        buf_addc(out, '\n');
        buf_init(&cell);
        for (size_t i = 0; r != NULL && i < r->n; i++) {
                for (int k = 0; k < COL_EXPORTED; k++) {
                        buf_reset(&cell);
                        col_text(&r->members[i], k, "; ", &cell);
                        if (k)
                                buf_addc(out, ',');
                        csv_put_cell(out, cell.len ? cell.data : "");
                }
                buf_addc(out, '\n');
        }
        buf_done(&cell);
}

/* ---- differences ---------------------------------------------------------------- */

/* One rule as one self-contained line: "keyword = title: x (rule_weight 2)". */
static char *
rule_line(const struct rule *r)
{
        struct member one;
        struct buf b;
        char *s, *nl;

        member_init(&one);
        one.rules = (struct rule *)r;
        one.nrules = 1;
        buf_init(&b);
        member_format_rules(&one, &b);
        s = buf_steal(&b);
        if (s[0] != '\0' && s[strlen(s) - 1] == '\n')
                s[strlen(s) - 1] = '\0';
        nl = str_startswith(s, "rule_weight = ") ? strchr(s, '\n') : NULL;
        if (nl != NULL) {
                char *t;

                *nl = '\0';
                t = xasprintf("%s (rule_weight %s)", nl + 1, s + strlen("rule_weight = "));
                free(s);
                s = t;
        }
        return s;
}

static void
rule_lines(const struct member *m, struct strv *out)
{
        for (size_t i = 0; i < m->nrules; i++)
                strv_take(out, rule_line(&m->rules[i]));
}

/* Lines of a not in b (as a multiset), each as "rules: SIGN LINE". */
static void
rule_only_in(const struct strv *a, const struct strv *b, char sign, struct strv *out)
{
        bool *used = xcalloc(b->n + 1, sizeof(*used));

        for (size_t i = 0; i < a->n; i++) {
                size_t j;

                for (j = 0; j < b->n; j++)
                        if (!used[j] && strcmp(a->v[i], b->v[j]) == 0)
                                break;
                if (j < b->n)
                        used[j] = true;
                else
                        strv_take(out, xasprintf("rules: %c %s", sign, a->v[i]));
        }
        free(used);
}

void
member_diff(const struct member *old, const struct member *new_m, struct strv *out)
{
        struct buf a, b;
        struct strv ra, rb;
        size_t before;

        buf_init(&a);
        buf_init(&b);
        for (int k = COL_NAME; k < COL_RULES; k++) {
                buf_reset(&a);
                buf_reset(&b);
                col_text(old, k, ", ", &a);
                col_text(new_m, k, ", ", &b);
                if (strcmp(a.len ? a.data : "", b.len ? b.data : "") != 0)
                        strv_take(out, xasprintf("%s: %s → %s", col_names[k],
                                                 a.len ? a.data : "(none)",
                                                 b.len ? b.data : "(none)"));
        }
        buf_done(&a);
        buf_done(&b);
        strv_init(&ra);
        strv_init(&rb);
        rule_lines(old, &ra);
        rule_lines(new_m, &rb);
        before = out->n;
        rule_only_in(&ra, &rb, '-', out);
        rule_only_in(&rb, &ra, '+', out);
        if (out->n == before && ra.n == rb.n) {
                for (size_t i = 0; i < ra.n; i++)
                        if (strcmp(ra.v[i], rb.v[i]) != 0) {
                                strv_add(out, "rules: same rules, other order");
                                break;
                        }
        }
        strv_done(&ra);
        strv_done(&rb);
}

/* ---- import: the sheet ------------------------------------------------------------ */

struct import {
        const char               *csv_path;
        const char               *dir;
        const struct taxonomy    *tx;
        const struct import_opts *opts;
        struct import_counts     *counts;
        struct diag              *d;
        struct csv               *csv;
        int                       colmap[COL_MAX_];
        unsigned                 *dup_line;     /* per row: another row's line with its id */
        struct timespec           sheet_mtime;  /* when the sheet was last saved */
};

/* Read and parse the file; a sheet without a usable header row is refused. */
static int
sheet_load(struct import *im)
{
        struct stat st;
        char *text = NULL;
        size_t len = 0;
        int r;

        if (stat(im->csv_path, &st) == 0)
                im->sheet_mtime = st.st_mtim;
        r = read_file(im->csv_path, CSV_FILE_MAX, &text, &len);
        if (r < 0) {
                diag_add(im->d, im->csv_path, 0, "cannot read: %s",
                         r == -EFBIG ? "file too large" : strerror(-r));
                return r;
        }
        r = csv_parse(im->csv_path, text, len, &im->csv, im->d);
        free(text);
        if (r < 0)
                return r;
        if (im->csv->nrows == 0) {
                diag_add(im->d, im->csv_path, 0, "empty file: expected a header row (id, "
                         "name, email, ...)");
                return -EINVAL;
        }
        return im->csv->rows[0].bad ? -EINVAL : 0;
}

/* "Min value", "min-value (£)", "consortium (yes/no)" -> "min_value", ... */
static char *
column_key(const char *h)
{
        struct buf b;
        size_t n = strcspn(h, "("), len;
        char *s, *t;

        buf_init(&b);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)h[i];

                buf_addc(&b, (c == ' ' || c == '-' || c == '_') ? '_' : (char)tolower(c));
        }
        s = buf_steal(&b);
        for (t = s; *t == '_'; t++)
                ;
        memmove(s, t, strlen(t) + 1);
        len = strlen(s);
        while (len > 0 && s[len - 1] == '_')
                s[--len] = '\0';
        if (strcmp(s, "emails") == 0)
                s[5] = '\0';
        return s;
}

/* Map header cells to columns; unknown, repeated or conflicting columns and a
 * missing id refuse the whole sheet (a typo would otherwise drop data). */
static int
header_map(struct import *im)
{
        const struct csv_row *h = &im->csv->rows[0];
        size_t before = diag_count(im->d);

        for (int k = 0; k < COL_MAX_; k++)
                im->colmap[k] = -1;
        for (size_t i = 0; i < h->n; i++) {
                char *key = column_key(h->cells[i]);
                int k;

                for (k = 0; k < COL_MAX_; k++)
                        if (strcmp(key, col_names[k]) == 0)
                                break;
                if (k == COL_MAX_)
                        diag_add(im->d, im->csv_path, h->line, "unknown column '%s' (id, "
                                 "name, email, cluster, postcode, regions, capabilities, "
                                 "min_value, max_value, capacity, consortium, lead, digest_day, "
                                 "accreditations, paused, companies_house, charity_number, ppon, "
                                 "report_name, max_open_bids, works_with, avoid, "
                                 "rules, keywords, exclusions)",
                                 h->cells[i]);
                else if (im->colmap[k] >= 0)
                        diag_add(im->d, im->csv_path, h->line, "column '%s' given twice",
                                 col_names[k]);
                else
                        im->colmap[k] = (int)i;
                free(key);
        }
        if (im->colmap[COL_ID] < 0)
                diag_add(im->d, im->csv_path, h->line, "no 'id' column");
        if (im->colmap[COL_RULES] >= 0 &&
            (im->colmap[COL_KEYWORDS] >= 0 || im->colmap[COL_EXCLUSIONS] >= 0))
                diag_add(im->d, im->csv_path, h->line, "give either a 'rules' column or "
                         "'keywords'/'exclusions' columns, not both");
        return diag_count(im->d) > before ? -EINVAL : 0;
}

struct id_row {
        const char *id;
        size_t      row;
};

static int
id_row_cmp(const void *a, const void *b)
{
        const struct id_row *x = a, *y = b;
        int c = strcmp(x->id, y->id);

        return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* Ids given on more than one row are all rejected: which one is right?
 * Sorted by id, duplicates are neighbours (O(n log n) for big sheets). */
static void
mark_duplicates(struct import *im)
{
        const struct csv *csv = im->csv;
        struct id_row *ids = xcalloc(csv->nrows, sizeof(*ids));
        size_t n = 0, col = (size_t)im->colmap[COL_ID];

        im->dup_line = xcalloc(csv->nrows, sizeof(*im->dup_line));
        for (size_t i = 1; i < csv->nrows; i++) {
                const struct csv_row *row = &csv->rows[i];

                if (row->bad || col >= row->n)
                        continue;
                ids[n].id = str_trim(row->cells[col]);
                ids[n].row = i;
                if (ids[n].id[0] != '\0')
                        n++;
        }
        if (n > 0)
                qsort(ids, n, sizeof(*ids), id_row_cmp);
        for (size_t i = 1; i < n; i++) {
                size_t a = ids[i - 1].row, b = ids[i].row;

                if (strcmp(ids[i - 1].id, ids[i].id) != 0)
                        continue;
                /* report each against the first other row with the id */
                if (im->dup_line[a] == 0)
                        im->dup_line[a] = csv->rows[b].line;
                if (im->dup_line[b] == 0)
                        im->dup_line[b] = csv->rows[a].line;
        }
        free(ids);
}

/* ---- import: one row ---------------------------------------------------------------- */

static bool
plain_regex(const struct rule *r, bool exclusion)
{
        return r->kind == RULE_REGEX && r->exclude == exclusion && r->fields == FIELD_TEXT &&
               r->weight == 1.0;
}

/* The older keywords/exclusions cells: ';'-separated patterns that stand for
 * the member's plain regexes (or plain exclude_regexes).  Those the cell
 * still names stay where they are, the others go, new ones are appended;
 * every other rule line (keywords, field-limited or weighted rules) stays. */
static void
apply_patterns(struct member *m, bool exclusion, const char *cell, struct apply_ctx *c)
{
        struct member fresh;
        struct strv pats;
        bool *used;
        size_t w = 0;

        member_init(&fresh);
        strv_init(&pats);
        str_split(cell, ';', &pats);
        for (size_t i = 0; i < pats.n; i++)
                member_apply(&fresh, exclusion ? "exclude_regex" : "regex", pats.v[i], c);
        strv_done(&pats);
        used = xcalloc(fresh.nrules + 1, sizeof(*used));
        for (size_t i = 0; i < m->nrules; i++) {
                size_t j = fresh.nrules;

                if (plain_regex(&m->rules[i], exclusion))
                        for (j = 0; j < fresh.nrules; j++)
                                if (!used[j] && strcmp(m->rules[i].text, fresh.rules[j].text) == 0)
                                        break;
                if (!plain_regex(&m->rules[i], exclusion) || j < fresh.nrules) {
                        if (j < fresh.nrules)
                                used[j] = true;
                        m->rules[w++] = m->rules[i];
                } else {
                        rule_done(&m->rules[i]);
                }
        }
        m->nrules = w;
        m->rules = xreallocarray(m->rules, m->nrules + fresh.nrules + 1, sizeof(*m->rules));
        for (size_t j = 0; j < fresh.nrules; j++) {
                if (used[j])
                        rule_done(&fresh.rules[j]);
                else
                        m->rules[m->nrules++] = fresh.rules[j];
        }
        fresh.nrules = 0;
        free(used);
        member_done(&fresh);
}

/* A 'rules' cell: the rule lines of a member file, read with the INI reader
 * (quoting, '#' after a value) and applied like the file's; line numbers
 * count from line, where the cell starts. */
static void
apply_rules_cell(struct member *m, const char *cell, unsigned line, struct apply_ctx *c)
{
        const char *file = c->file;
        size_t flen = strlen(file);
        struct ini *ini = NULL;
        struct diag tmp;

        member_clear_rules(m, true);
        member_clear_rules(m, false);
        diag_init(&tmp);
        (void)ini_parse(file, cell, strlen(cell), &ini, &tmp);
        /* the reader numbers the cell's lines from 1: renumber to the sheet's */
        for (size_t i = 0; i < tmp.n; i++) {
                const char *msg = tmp.msg[i];
                char *end = NULL;
                unsigned long n = 0;

                if (strncmp(msg, file, flen) == 0 && msg[flen] == ':')
                        n = strtoul(msg + flen + 1, &end, 10);
                if (end != NULL && strncmp(end, ": ", 2) == 0)
                        diag_add(c->d, file, line + (unsigned)n - 1, "'rules' cell: %s",
                                 end + 2);
                else
                        diag_add(c->d, file, line, "'rules' cell: %s", msg);
        }
        diag_done(&tmp);
        for (size_t s = 0; ini != NULL && s < ini->nsections; s++) {
                const struct ini_section *sec = &ini->sections[s];

                if (sec->type[0] != '\0') {
                        diag_add(c->d, file, line + sec->line - 1, "'rules' cell: a "
                                 "section header has no place here (rule lines only)");
                        continue;
                }
                for (size_t i = 0; i < sec->npairs; i++) {
                        const struct ini_pair *p = &sec->pairs[i];
                        bool ok = false;

                        c->line = line + p->line - 1;
                        for (size_t k = 0; k < sizeof(rule_keys) / sizeof(*rule_keys); k++)
                                ok = ok || strcmp(p->key, rule_keys[k]) == 0;
                        if (ok)
                                member_apply(m, p->key, p->value, c);
                        else
                                diag_add(c->d, file, c->line, "'rules' cell: '%s' is not a "
                                         "rule line (keyword, regex, exclude, exclude_regex, "
                                         "fields, rule_weight)", p->key);
                }
        }
        ini_free(ini);
}

/* Physical line where cell k of row starts (cells may span lines). */
static unsigned
cell_line(const struct csv_row *row, size_t k)
{
        unsigned line = row->line;

        for (size_t i = 0; i < k && i < row->n; i++)
                for (const char *p = row->cells[i]; *p; p++)
                        line += *p == '\n';
        return line;
}

/* Apply one row's cells onto m (a copy of the existing member or a new one). */
static void
apply_row(struct member *m, const struct csv_row *row, const struct import *im)
{
        struct apply_ctx c = { .tx = im->tx, .file = im->csv_path, .line = row->line,
                               .fields = FIELD_TEXT, .rule_weight = 1.0, .d = im->d };

        for (int k = 0; k < COL_MAX_; k++) {
                const char *v;

                if (im->colmap[k] < 0 || k == COL_ID)
                        continue;
                v = row->cells[im->colmap[k]];
                c.line = row->line;
                switch (k) {
                case COL_EMAIL:
                        strv_done(&m->emails);
                        member_apply(m, "email", v, &c);
                        break;
                case COL_REGIONS:
                        strv_done(&m->regions);
                        member_apply(m, "regions", v, &c);
                        break;
                case COL_CAPABILITIES:
                        strv_done(&m->capabilities);
                        member_apply(m, "capabilities", v, &c);
                        break;
                case COL_WORKS_WITH:
                        strv_done(&m->works_with);
                        member_apply(m, "works_with", v, &c);
                        break;
                case COL_AVOID:
                        strv_done(&m->avoid);
                        member_apply(m, "avoid", v, &c);
                        break;
                case COL_KEYWORDS:
                case COL_EXCLUSIONS:
                        apply_patterns(m, k == COL_EXCLUSIONS, v, &c);
                        break;
                case COL_RULES:
                        apply_rules_cell(m, v, cell_line(row, (size_t)im->colmap[k]), &c);
                        c.fields = FIELD_TEXT;
                        c.rule_weight = 1.0;
                        break;
                default:
                        member_apply(m, col_names[k], v, &c);
                        break;
                }
        }
}

static bool
row_blank(const struct csv_row *row)
{
        for (size_t i = 0; i < row->n; i++)
                if (str_trim(row->cells[i])[0] != '\0')
                        return false;
        return true;
}

/* The row's id when the row can be imported at all; else NULL, reported. */
static const char *
row_id(struct import *im, size_t i)
{
        struct csv_row *row = &im->csv->rows[i];
        const char *id;

        if (row->bad)
                return NULL;
        if (row->n != im->csv->rows[0].n) {
                diag_add(im->d, im->csv_path, row->line, "row has %zu fields but the header "
                         "has %zu", row->n, im->csv->rows[0].n);
                return NULL;
        }
        for (size_t j = 0; j < row->n; j++)
                str_trim(row->cells[j]);
        id = row->cells[im->colmap[COL_ID]];
        if (!member_id_valid(id)) {
                diag_add(im->d, im->csv_path, row->line, "'id' must be lower-case letters, "
                         "digits and '-' (at most 64), not '%s'", id);
                return NULL;
        }
        if (im->dup_line[i] != 0) {
                diag_add(im->d, im->csv_path, row->line, "id '%s' is also on line %u: "
                         "neither row is imported", id, im->dup_line[i]);
                return NULL;
        }
        return id;
}

/*
 * The member file DIR/ID.conf as it is: 0 (none), 1 (*old loaded, its comment
 * lines other than import's own header in *comments), -1 (it has errors:
 * reported, the row is not imported).
 */
static int
existing_member(struct import *im, const char *path, const char *id, unsigned line,
                struct member **old, struct buf *comments)
{
        char *text = NULL, *header;
        size_t len = 0;
        struct diag fd;

        if (access(path, F_OK) < 0)
                return 0;
        diag_init(&fd);
        if (member_load_file(path, im->tx, old, &fd) < 0) {
                diag_add(im->d, im->csv_path, line, "the existing member file %s has errors "
                         "(fix or remove it first):", path);
                diag_merge(im->d, &fd);
                diag_done(&fd);
                return -1;
        }
        diag_done(&fd);
        if (read_file(path, MEMBER_FILE_MAX_BYTES, &text, &len) < 0)
                return 1;
        header = xasprintf("# %s — written by `bidbroker members import`", id);
        for (char *p = text, *nl; p != NULL && *p; p = nl ? nl + 1 : NULL) {
                char *t;

                nl = strchr(p, '\n');
                if (nl)
                        *nl = '\0';
                for (t = p; *t == ' ' || *t == '\t'; t++)
                        ;
                if ((*t == '#' || *t == ';') && !str_startswith(t, header))
                        buf_printf(comments, "%s\n", t);
        }
        free(header);
        free(text);
        return 1;
}

/* Write m (unless a dry run) and count it; changes are listed either way. */
static void
commit_member(struct import *im, const struct member *old, const struct member *m,
              unsigned line, const struct buf *comments)
{
        struct import_counts *n = im->counts;
        size_t from = n->changes.n;
        struct err e = { 0 };
        char *header;
        int r = 0;

        if (old == NULL) {
                strv_take(&n->changes, xasprintf("%s: new member (%s)", m->id, m->name));
        } else {
                struct strv lines;

                strv_init(&lines);
                member_diff(old, m, &lines);
                for (size_t i = 0; i < lines.n; i++)
                        strv_take(&n->changes, xasprintf("%s: %s", m->id, lines.v[i]));
                strv_done(&lines);
        }
        if (!im->opts->dry_run) {
                header = xasprintf("# %s — written by `bidbroker members import` from %s "
                                   "line %u\n%s", m->id, im->csv_path, line,
                                   comments->len ? comments->data : "");
                r = member_write_file(im->dir, m, header, im->opts->gid, &e);
                free(header);
        }
        if (r < 0) {
                diag_add(im->d, NULL, 0, "%s", e.msg);
                while (n->changes.n > from)
                        free(n->changes.v[--n->changes.n]);
                n->rejected++;
        } else if (old != NULL) {
                n->updated++;
        } else {
                n->created++;
        }
}

static bool
ts_after(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec != b->tv_sec ? a->tv_sec > b->tv_sec : a->tv_nsec > b->tv_nsec;
}

/*
 * A member file changed after the sheet was saved (a hand edit, another
 * import) that this row would change: importing would undo those edits, so
 * the row is refused, naming the member and the fields, unless opts->force.
 */
static void
check_newer(struct import *im, const char *path, const struct member *old,
            const struct member *m, unsigned line)
{
        struct strv lines, fields;
        struct buf names;
        struct stat st;

        if (im->opts->force || stat(path, &st) < 0 || !ts_after(&st.st_mtim, &im->sheet_mtime))
                return;
        strv_init(&lines);
        strv_init(&fields);
        buf_init(&names);
        member_diff(old, m, &lines);
        for (size_t i = 0; i < lines.n; i++) {
                char *f = xstrndup(lines.v[i], strcspn(lines.v[i], ":"));

                if (!strv_contains(&fields, f))
                        buf_printf(&names, "%s%s", fields.n ? ", " : "", f);
                strv_add_unique(&fields, f);
                free(f);
        }
        diag_add(im->d, im->csv_path, line, "member '%s': %s was changed after this sheet was "
                 "saved, and importing the row would change its %s (undoing those edits?): "
                 "export a fresh sheet, or import with --force", m->id, path,
                 names.len ? names.data : "fields");
        buf_done(&names);
        strv_done(&fields);
        strv_done(&lines);
}

static void
import_row(struct import *im, size_t i)
{
        const struct csv_row *row = &im->csv->rows[i];
        size_t before = diag_count(im->d);
        struct member *old = NULL, m;
        struct buf comments;
        const char *id;
        char *path;
        int have;

        if (row_blank(row))
                return;
        id = row_id(im, i);
        if (id == NULL) {
                im->counts->rejected++;
                return;
        }
        path = xasprintf("%s/%s.conf", im->dir, id);
        buf_init(&comments);
        have = existing_member(im, path, id, row->line, &old, &comments);
        if (have < 0) {
                im->counts->rejected++;
                goto out;
        }
        if (old != NULL) {
                member_copy(&m, old);
        } else {
                member_init(&m);
                m.id = xstrdup(id);
        }
        apply_row(&m, row, im);
        member_check(&m, im->csv_path, row->line, im->d);
        if (diag_count(im->d) == before && old != NULL && !member_equal(old, &m))
                check_newer(im, path, old, &m, row->line);
        if (diag_count(im->d) > before)
                im->counts->rejected++;
        else if (old != NULL && member_equal(old, &m))
                im->counts->unchanged++;
        else
                commit_member(im, old, &m, row->line, &comments);
        member_done(&m);
out:
        member_free(old);
        buf_done(&comments);
        free(path);
}

/* Remove ID.conf.tmp.PID files an import killed mid-write left behind (their
 * process is gone); the loader ignores them, but they would pile up. */
static void
sweep_temps(const char *dir)
{
        DIR *dh = opendir(dir);
        struct dirent *de;

        if (dh == NULL)
                return;
        while ((de = readdir(dh)) != NULL) {
                const char *t = strstr(de->d_name, ".conf.tmp.");
                char *end = NULL, *path;
                long pid;

                if (t == NULL || t == de->d_name)
                        continue;
                pid = strtol(t + strlen(".conf.tmp."), &end, 10);
                if (end == NULL || *end != '\0' || pid <= 0 || pid == (long)getpid() ||
                    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                        continue;
                path = xasprintf("%s/%s", dir, de->d_name);
                (void)unlink(path);
                free(path);
        }
        closedir(dh);
}

/* The member directory, created when missing: mode 0750, the service's group. */
static int
member_dir(struct import *im)
{
        struct stat st;
        int r;

        if (stat(im->dir, &st) == 0 || im->opts->dry_run) {
                if (!im->opts->dry_run)
                        sweep_temps(im->dir);
                return 0;
        }
        r = mkdir_p(im->dir, 0750);
        if (r == 0 && im->opts->gid != (unsigned)-1 &&
            chown(im->dir, (uid_t)-1, (gid_t)im->opts->gid) < 0)
                r = -errno;
        if (r == 0 && chmod(im->dir, 0750) < 0)
                r = -errno;
        if (r < 0)
                diag_add(im->d, im->dir, 0, "cannot create the member directory: %s",
                         strerror(-r));
        return r;
}

int
members_import_csv(const char *csv_path, const char *dir, const struct taxonomy *tx,
                   const struct import_opts *opts, struct import_counts *counts,
                   struct diag *d)
{
        struct import im = { .csv_path = csv_path, .dir = dir, .tx = tx, .opts = opts,
                             .counts = counts, .d = d };
        int r;

        memset(counts, 0, sizeof(*counts));
        strv_init(&counts->changes);
        r = sheet_load(&im);
        if (r == 0)
                r = header_map(&im);
        if (r == 0)
                r = member_dir(&im);
        if (r == 0) {
                mark_duplicates(&im);
                for (size_t i = 1; i < im.csv->nrows; i++)
                        import_row(&im, i);
        }
        free(im.dup_line);
        csv_free(im.csv);
        return r;
}

void
import_counts_done(struct import_counts *c)
{
        if (c != NULL)
                strv_done(&c->changes);
}
