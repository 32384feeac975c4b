/*
 * cmd_token.c — `bidbroker token issue|revoke|list`: the API tokens of the
 * [anchor NAME] sections.  A token is printed once, when issued; the store
 * keeps only its hash (anchors.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bidbroker/anchors.h"
#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/store.h"
#include "bidbroker/timeutil.h"

static const char token_usage[] =
        "usage: bidbroker token issue ANCHOR|--staff\n"
        "       bidbroker token revoke ANCHOR|--staff\n"
        "       bidbroker token list\n\n"
        "API tokens of the [anchor NAME] sections, for POST /api/v1/opportunities\n"
        "(Authorization: Bearer TOKEN).  issue prints a new token once: the store keeps\n"
        "only its hash, so a lost token is revoked and a new one issued.  An anchor may\n"
        "hold several valid tokens; revoke revokes all of them (requests with them are\n"
        "answered 403).  list shows every token's anchor, number, issue and revoke time.\n\n"
        "--staff: the staff dashboard's tokens (GET /staff), listed as @staff.  While\n"
        "there is none, the dashboard answers on loopback only.\n";

static int
print_token(const char *anchor, int64_t id, int64_t created, int64_t revoked, void *arg)
{
        char c[32], r[32];

        (void)arg;
        time_format_utc(created, c, sizeof(c));
        if (revoked)
                time_format_utc(revoked, r, sizeof(r));
        printf("%-20s #%-4lld issued %s  %s%s\n", anchor, (long long)id, c,
               revoked ? "revoked " : "valid", revoked ? r : "");
        return 0;
}

int
cmd_token(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { "staff", no_argument, NULL, 's' },
                { NULL, 0, NULL, 0 },
        };
        struct store *st = NULL;
        struct err err = { 0 };
        const char *verb, *anchor = NULL;
        bool staff = false;
        int c, rc = 1;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "hs", opts)) != -1) {
                switch (c) {
                case 'h':
                        fputs(token_usage, stdout);
                        return 0;
                case 's':
                        staff = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        verb = optind < argc ? argv[optind] : "";
        if (strcmp(verb, "list") == 0 && optind + 1 == argc && !staff) {
                /* no anchor */
        } else if ((strcmp(verb, "issue") == 0 || strcmp(verb, "revoke") == 0) && staff &&
                   optind + 1 == argc) {
                anchor = ANCHOR_TOKEN_STAFF;
        } else if (!staff && (strcmp(verb, "issue") == 0 || strcmp(verb, "revoke") == 0) &&
                   optind + 2 == argc) {
                anchor = argv[optind + 1];
                if (config_anchor(cli->cfg, anchor) == NULL && strcmp(verb, "issue") == 0) {
                        cli_error("token", "no [anchor %s] in %s: add the section first",
                                  anchor, cli->config_path ? cli->config_path
                                                           : "the configuration");
                        return 1;
                }
        } else {
                cli_error("token", "usage: bidbroker token issue|revoke ANCHOR|--staff, "
                          "bidbroker token list (see bidbroker token --help)");
                return EXIT_USAGE;
        }
        if (store_open_mode(cli->state_dir, anchor ? STORE_READ_WRITE : STORE_READ_ONLY,
                            cli->cfg->busy_timeout_ms, &st, &err) < 0) {
                cli_error("token", "%s", err.msg);
                return 1;
        }
        if (anchor == NULL) {
                if (anchor_token_each(st, print_token, NULL, &err) < 0)
                        goto fail;
        } else if (strcmp(verb, "issue") == 0) {
                char tok[ANCHOR_TOKEN_LEN], hash[HASH_HEX_LEN];

                anchor_token_new(tok);
                anchor_token_hash(tok, hash);
                if (anchor_token_add(st, anchor, hash, (int64_t)time(NULL), &err) < 0)
                        goto fail;
                printf("%s\n", tok);
                if (staff)
                        fprintf(stderr, "bidbroker: token: a new staff token for the "
                                "dashboard (/staff), shown only this once\n");
                else
                        fprintf(stderr, "bidbroker: token: a new token for [anchor %s], "
                                "shown only this once: give it to the anchor over a safe "
                                "channel\n", anchor);
                sodium_memzero(tok, sizeof(tok));
        } else {
                int64_t n = 0;

                if (anchor_token_revoke(st, anchor, (int64_t)time(NULL), &n, &err) < 0)
                        goto fail;
                printf("revoked %lld token%s of %s\n", (long long)n, n == 1 ? "" : "s",
                       anchor);
        }
        rc = 0;
        goto out;
fail:
        cli_error("token", "%s", err.msg);
out:
        store_close(st);
        return rc;
}
