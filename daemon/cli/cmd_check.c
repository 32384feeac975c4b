/*
 * cmd_check.c — check-config: every error in the configuration, the
 * taxonomy and the member register (exit 1), then what will not work the way
 * staff may expect (warnings, exit 0): matching not configured, the live
 * services polled without a contact, no members, and files the service
 * account cannot read.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bidbroker/checks.h"
#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/cpvcover.h"
#include "bidbroker/digest.h"
#include "bidbroker/dkim.h"
#include "bidbroker/engine.h"
#include "bidbroker/err.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/members.h"
#include "bidbroker/members_write.h"
#include "bidbroker/sender.h"
#include "bidbroker/util.h"

#include "svcuser.h"

struct check {
        const struct config *cfg;
        const char          *file;      /* the config file, or "(built-in defaults)" */
        size_t               warnings;
};

static void warn(struct check *ck, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* "FILE:LINE: warning: message" on stderr (no LINE when 0). */
static void
warn(struct check *ck, unsigned line, const char *fmt, ...)
{
        va_list ap;

        if (line > 0)
                fprintf(stderr, "%s:%u: warning: ", ck->file, line);
        else
                fprintf(stderr, "%s: warning: ", ck->file);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        ck->warnings++;
}

static void
check_sources(struct check *ck)
{
        for (size_t i = 0; i < ck->cfg->nsources; i++) {
                const struct source_conf *s = &ck->cfg->sources[i];

                if (!s->enabled || !source_is_live(s) || (s->contact && *s->contact))
                        continue;
                warn(ck, s->line, "[source %s] polls the live %s service without 'contact': "
                     "set contact = a URL or e-mail address where the service can reach "
                     "you (sent in the User-Agent)%s", s->name,
                     s->type == SOURCE_FTS ? "Find a Tender" : "Contracts Finder",
                     s->line ? "" : "; this source is built in (the file defines no "
                     "[source]), so add a [source] section");
        }
}

static void
check_readable(struct check *ck, const struct svcuser *u, const char *what, const char *path,
               bool dir)
{
        char why[512];

        if (path == NULL || svcuser_can_read(u, path, dir, why, sizeof(why)))
                return;
        warn(ck, 0, "the service user %s cannot read %s: %s (the daemon will fail on start "
             "or reload; e.g. chmod %s, chgrp %s)", u->name, what, why, dir ? "750" : "640",
             u->name);
}

/* Every file the daemon reads, as the service account. */
static void
check_access(struct check *ck, const char *user, bool user_given,
             const struct member_register *reg, const char *cover)
{
        struct svcuser u;

        if (svcuser_lookup(user, &u) < 0) {
                if (user_given)
                        warn(ck, 0, "--user %s: no such account; file access not checked", user);
                return;
        }
        check_readable(ck, &u, "the configuration", ck->cfg->path, false);
        check_readable(ck, &u, "the capability taxonomy", ck->cfg->taxonomy, false);
        check_readable(ck, &u, "the CPV coverage table", cover, false);
        check_readable(ck, &u, "the member register", ck->cfg->members, true);
        check_readable(ck, &u, "the CPV list", ck->cfg->cpv_reference, false);
        check_readable(ck, &u, "[mail] credentials", ck->cfg->mail_credentials, false);
        check_readable(ck, &u, "[mail] tls_ca", ck->cfg->mail_tls_ca, false);
        for (size_t i = 0; reg && i < reg->n; i++)
                check_readable(ck, &u, "a member file", reg->members[i].file, false);
        svcuser_done(&u);
}

/* [dkim] keys load (exist, are keys, not readable by others); [mail] without
 * from sends no digests; the digest templates parse. */
static int
check_mail(struct check *ck, struct diag *d)
{
        const struct config *cfg = ck->cfg;
        const char *file = ck->file;
        const char *paths[2] = { cfg->dkim_ed25519_key, cfg->dkim_rsa_key };
        const char *sels[2] = { cfg->dkim_ed25519_selector, cfg->dkim_rsa_selector };
        const char *names[2] = { "ed25519_key", "rsa_key" };
        const enum dkim_alg algs[2] = { DKIM_ED25519, DKIM_RSA };
        struct digest_env *env = NULL;
        struct err e = { 0 };
        size_t before = diag_count(d);

        for (size_t i = 0; i < 2; i++) {
                struct dkim_key *k = NULL;

                if (paths[i] == NULL)
                        continue;
                if (dkim_key_load(paths[i], cfg->dkim_domain, sels[i], &k, &e) < 0)
                        diag_add(d, file, cfg->dkim_line, "[dkim] %s: %s", names[i], e.msg);
                else if (dkim_key_alg(k) != algs[i])
                        diag_add(d, file, cfg->dkim_line, "[dkim] %s: %s is not an %s key",
                                 names[i], paths[i], i == 0 ? "Ed25519" : "RSA");
                dkim_key_free(k);
        }
        if (cfg->mail_from != NULL &&
            digest_env_new(cfg, NULL, 0, &env, &e) < 0)
                diag_add(d, file, cfg->mail_line, "[mail]: %s", e.msg);
        digest_env_free(env);
        if (diag_count(d) > before)
                return -EINVAL;
        if (cfg->mail_from == NULL && cfg->mail_line > 0)
                warn(ck, cfg->mail_line, "[mail] has no 'from': no digests are composed "
                     "until it names the brokerage's address (docs/digest.md)");
        else if (cfg->mail_from != NULL &&
                 (cfg->dkim_ed25519_key == NULL || cfg->dkim_rsa_key == NULL))
                warn(ck, cfg->dkim_line, "digests are %s: set [dkim] ed25519_selector/"
                     "ed25519_key and rsa_selector/rsa_key (bidbroker keygen) so receivers "
                     "can check them (some check only RSA)",
                     cfg->dkim_ed25519_key || cfg->dkim_rsa_key ? "signed with one key only"
                                                                : "not signed");
        return 0;
}

/* [mail]: what the outbox's sender reads at start (the credentials file,
 * its mode) works. */
static int
check_outbox(struct check *ck)
{
        struct sender *sd = NULL;
        struct err e = { 0 };

        if (sender_new(ck->cfg, ck->cfg->state_dir, NULL, NULL, &sd, &e) < 0) {
                fprintf(stderr, "%s: %s\n", ck->file, e.msg);
                fprintf(stderr, "bidbroker: %s: configuration has 1 error\n", ck->file);
                return -1;
        }
        sender_free(sd);
        return 0;
}

/* Notes (not warnings: staff data is kept as written): the entries of
 * members' accreditations no [check ID] of the taxonomy recognises. */
static void
check_accreditations(const struct engine *e)
{
        const struct taxonomy *tx = engine_taxonomy(e);
        const struct member_register *reg = engine_members(e);
        size_t n = 0;

        for (size_t i = 0; i < reg->n; i++) {
                const struct member *m = &reg->members[i];
                struct check_holds h;
                struct strv unknown;

                if (m->accreditations == NULL)
                        continue;
                check_holds_init(&h);
                strv_init(&unknown);
                checker_member(tx->checker, m->accreditations, &h, &unknown);
                for (size_t k = 0; k < unknown.n; k++, n++)
                        fprintf(stderr, "%s:%u: note: accreditations '%s' is no [check] of "
                                "the taxonomy: kept as free text, a notice asking for it "
                                "is not recognised\n", m->file, m->line, unknown.v[k]);
                strv_done(&unknown);
                check_holds_done(&h);
        }
        if (n > 0)
                fprintf(stderr, "%s: note: %zu accreditation%s of members recognised by no "
                        "[check ID] (above; add a check or an alias to compare them with "
                        "what notices ask)\n", tx->path, n, n == 1 ? "" : "s");
}

static void
usage(void)
{
        printf("usage: bidbroker [--config FILE] check-config [--user NAME]\n\n"
               "Validate the configuration; print every error as FILE:LINE: message.\n"
               "When [match] taxonomy and members are set, the capability taxonomy and\n"
               "every member file are checked too, and so is the [mail] credentials file\n"
               "(USER:PASSWORD, not readable by group or others).  Then warn\n"
               "(FILE:LINE: warning: ...) about what will not work as expected:\n"
               "  - matching is not configured ([match] taxonomy and members unset);\n"
               "  - a [mail] section without 'from' (no digests), or digests not signed with\n"
               "    both [dkim] keys.  [dkim] key files must exist, be keys of their\n"
               "    kind and not be readable by group or others (errors); the digest\n"
               "    templates must parse (errors);\n"
               "  - a source polls the live Find a Tender or Contracts Finder service\n"
               "    without 'contact';\n"
               "  - the member register has no members;\n"
               "  - a file the daemon reads (config, taxonomy, member files, CPV list) is\n"
               "    not readable by the service account, judged by its mode, owner and\n"
               "    group (skipped when the account does not exist).\n"
               "And note (FILE:LINE: note: ...) each entry of members' accreditations\n"
               "that no [check ID] of the taxonomy recognises (kept as free text).\n\n"
               "  -u, --user NAME   the service account (default %s)\n\n"
               "Exit 0 when all is valid (warnings or not), 1 on any error.\n",
               SVCUSER_DEFAULT);
}

int
cmd_check_config(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "user", required_argument, NULL, 'u' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct check ck = { 0 };
        struct config *cfg = NULL;
        struct engine *e = NULL;
        const struct member_register *reg = NULL;
        const char *user = SVCUSER_DEFAULT;
        bool user_given = false;
        struct diag d;
        int c, rc = 1;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "u:h", opts)) != -1) {
                switch (c) {
                case 'u':
                        user = optarg;
                        user_given = true;
                        break;
                case 'h':
                        usage();
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (cli_no_args("check-config", argc, argv) < 0) {
                return EXIT_USAGE;
        }
        ck.file = cli->config_path ? cli->config_path : "(built-in defaults)";
        diag_init(&d);
        if (config_load(cli->config_path, &cfg, &d) < 0) {
                diag_print(&d, stderr);
                fprintf(stderr, "bidbroker: %s: configuration has %zu error%s\n", ck.file,
                        diag_count(&d), diag_count(&d) == 1 ? "" : "s");
                goto out;
        }
        ck.cfg = cfg;
        if (cfg->taxonomy != NULL || cfg->members != NULL) {
                if (matchconf_load(cfg, &e, &d) < 0) {
                        diag_print(&d, stderr);
                        fprintf(stderr, "bidbroker: %s: the capability taxonomy and member "
                                "register have %zu error%s\n", ck.file, diag_count(&d),
                                diag_count(&d) == 1 ? "" : "s");
                        goto out;
                }
                reg = engine_members(e);
        }
        if (check_outbox(&ck) < 0)
                goto out;
        check_sources(&ck);
        if (check_mail(&ck, &d) < 0) {
                diag_print(&d, stderr);
                fprintf(stderr, "bidbroker: %s: [mail]/[dkim] have %zu error%s\n", ck.file,
                        diag_count(&d), diag_count(&d) == 1 ? "" : "s");
                goto out;
        }
        if (cfg->group != NULL) {               /* member files are given to it */
                struct err ge = { 0 };
                unsigned gid;

                if (members_group(cfg->group, &gid, &ge) < 0)
                        warn(&ck, 0, "%s: members import will refuse to write member files "
                             "until the group exists", ge.msg);
        }
        if (e == NULL)
                warn(&ck, 0, "matching is not configured: nothing will be matched until "
                     "[match] names 'taxonomy' (the capability file, e.g. "
                     "/etc/bidbroker/capabilities.conf) and 'members' (the member "
                     "directory, e.g. /etc/bidbroker/members)");
        else if (reg->n == 0)
                warn(&ck, 0, "the member register %s has no members: nothing will be "
                     "matched (bidbroker members import FILE.csv, or write ID.conf files)",
                     cfg->members);
        if (e != NULL)
                check_accreditations(e);
        check_access(&ck, user, user_given, reg,
                     e ? cpvcover_path(engine_taxonomy(e)->cover) : NULL);
        printf("%s: configuration OK%s", ck.file,
               e ? " (taxonomy and member register too)" : "");
        if (ck.warnings)
                printf(", %zu warning%s (above)", ck.warnings, ck.warnings == 1 ? "" : "s");
        printf("\n");
        rc = 0;
out:
        diag_done(&d);
        engine_free(e);
        config_free(cfg);
        return rc;
}
