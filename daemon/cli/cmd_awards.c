/*
 * cmd_awards.c — `bidbroker awards match` and `bidbroker awards aliases ...`:
 * which award suppliers are members (docs/impact.md).  Identifier and
 * same-name matches are made by `match`; near matches are only suggested,
 * and become wins when staff confirm them as aliases.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidbroker/awards.h"
#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/members.h"
#include "bidbroker/store.h"
#include "bidbroker/taxonomy.h"
#include "bidbroker/termsafe.h"
#include "bidbroker/timeutil.h"

#include "matchcli.h"

static const char awards_usage[] =
        "usage: bidbroker awards match\n"
        "       bidbroker awards aliases [list]\n"
        "       bidbroker awards aliases suggest\n"
        "       bidbroker awards aliases add SUPPLIER-NAME MEMBER\n"
        "       bidbroker awards aliases reject SUPPLIER-NAME MEMBER\n"
        "       bidbroker awards aliases remove SUPPLIER-NAME\n\n"
        "Award notices (Contracts Finder award releases, Find a Tender UK6/UK7) are\n"
        "stored by ingest and poll.  match decides which suppliers are members: the\n"
        "member keys companies_house, charity_number and ppon first, then a confirmed\n"
        "alias, then the same name once legal forms, 'The', '&'/'and', punctuation,\n"
        "case and a trailing 'UK' are set aside.  Near matches are never wins on their\n"
        "own: 'aliases suggest' lists them, 'aliases add' confirms one (the supplier's\n"
        "name as published, then the member id), 'aliases reject' stops suggesting it.\n"
        "bidbroker report runs match itself.\n";

static int
print_alias(const struct award_alias *a, void *arg)
{
        char t[32];

        char *name = text_for_terminal(a->name, 0);

        (void)arg;
        time_format_utc(a->at, t, sizeof(t));
        printf("%-40s %-9s %-24s %s\n", name, a->confirmed ? "confirmed" : "rejected",
               a->member_id, t);
        free(name);
        return 0;
}

static int
do_match(struct cli *cli, struct store *st, const struct member_register *reg)
{
        struct awards_match_stats ms;
        struct err err = { 0 };

        if (awards_match(st, reg, cli->now, &ms, &err) < 0) {
                cli_error("awards", "%s", err.msg);
                return 1;
        }
        printf("%zu supplier%s of stored awards, %zu won by members (%zu by identifier, "
               "%zu by confirmed alias, %zu by name)\n", ms.suppliers,
               ms.suppliers == 1 ? "" : "s", ms.wins, ms.by_ident, ms.by_alias, ms.by_name);
        if (ms.suggestions)
                printf("%zu near match%s for staff to confirm or reject: bidbroker awards "
                       "aliases suggest\n", ms.suggestions, ms.suggestions == 1 ? "" : "es");
        return 0;
}

static int
do_suggest(struct store *st, const struct member_register *reg)
{
        struct award_suggestions sg = { 0 };
        struct err err = { 0 };

        if (awards_suggest(st, reg, &sg, &err) < 0) {
                cli_error("awards", "%s", err.msg);
                return 1;
        }
        if (sg.n == 0)
                printf("no near matches to confirm\n");
        for (size_t i = 0; i < sg.n; i++) {
                char *sup = text_for_terminal(sg.v[i].supplier, 0);
                char *why = text_for_terminal(sg.v[i].why, 0);

                printf("'%s' (%zu award%s) may be member %s ('%s'): %s\n"
                       "  confirm: bidbroker awards aliases add '%s' %s\n"
                       "  or not:  bidbroker awards aliases reject '%s' %s\n",
                       sup, sg.v[i].awards, sg.v[i].awards == 1 ? "" : "s",
                       sg.v[i].member_id, sg.v[i].member_name, why, sup,
                       sg.v[i].member_id, sup, sg.v[i].member_id);
                free(sup);
                free(why);
        }
        award_suggestions_done(&sg);
        return 0;
}

int
cmd_awards(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct taxonomy *tx = NULL;
        struct member_register *reg = NULL;
        struct store *st = NULL;
        struct err err = { 0 };
        const char *verb, *sub = "list";
        bool writes = true, needs_reg = true;
        int c, rc = 1, nargs;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "h", opts)) != -1) {
                if (c == 'h') {
                        fputs(awards_usage, stdout);
                        return 0;
                }
                return EXIT_USAGE;
        }
        verb = optind < argc ? argv[optind] : "";
        nargs = argc - optind;
        if (strcmp(verb, "aliases") == 0 && nargs >= 2)
                sub = argv[optind + 1];
        if (strcmp(verb, "match") == 0 && nargs == 1) {
                /* register, writes */
        } else if (strcmp(verb, "aliases") == 0 &&
                   ((strcmp(sub, "list") == 0 && nargs <= 2) ||
                    (strcmp(sub, "suggest") == 0 && nargs == 2))) {
                writes = false;
                needs_reg = strcmp(sub, "suggest") == 0;
        } else if (strcmp(verb, "aliases") == 0 &&
                   (((strcmp(sub, "add") == 0 || strcmp(sub, "reject") == 0) && nargs == 4) ||
                    (strcmp(sub, "remove") == 0 && nargs == 3))) {
                needs_reg = strcmp(sub, "remove") != 0;
        } else {
                cli_error("awards", "usage: bidbroker awards match | aliases [list|suggest|"
                          "add NAME MEMBER|reject NAME MEMBER|remove NAME] (see bidbroker "
                          "awards --help)");
                return EXIT_USAGE;
        }
        if (needs_reg && load_register(cli, "awards", &tx, &reg) < 0)
                goto out;
        if ((strcmp(sub, "add") == 0 || strcmp(sub, "reject") == 0) &&
            !member_known(cli, "awards", argv[optind + 3]))
                goto out;
        if (store_open_mode(cli->state_dir, writes ? STORE_READ_WRITE : STORE_READ_ONLY,
                            cli->cfg->busy_timeout_ms, &st, &err) < 0) {
                cli_error("awards", "%s", err.msg);
                goto out;
        }
        if (strcmp(verb, "match") == 0) {
                rc = do_match(cli, st, reg);
        } else if (strcmp(sub, "list") == 0) {
                rc = awards_alias_each(st, print_alias, NULL, &err) < 0 ? 1 : 0;
                if (rc)
                        cli_error("awards", "%s", err.msg);
        } else if (strcmp(sub, "suggest") == 0) {
                rc = do_suggest(st, reg);
        } else if (strcmp(sub, "remove") == 0) {
                if (awards_alias_remove(st, argv[optind + 2], &err) < 0)
                        cli_error("awards", "%s", err.msg);
                else
                        rc = 0;
        } else {
                bool confirm = strcmp(sub, "add") == 0;

                if (awards_alias_put(st, argv[optind + 2], argv[optind + 3], confirm,
                                     cli->now, &err) < 0) {
                        cli_error("awards", "%s", err.msg);
                } else {
                        char *name = text_for_terminal(argv[optind + 2], 0);

                        printf("%s: '%s' %s member %s\n", confirm ? "confirmed" : "rejected",
                               name, confirm ? "is" : "is not", argv[optind + 3]);
                        free(name);
                        rc = confirm ? do_match(cli, st, reg) : 0;
                }
        }
out:
        store_close(st);
        members_free(reg);
        taxonomy_free(tx);
        return rc;
}
