/*
 * main.c — bidbroker's entry point: global options (before or after the
 * command), the option parsing every command shares (cli_getopt), config
 * loading, the terminal (term.h) and the subcommand table.  Exit codes: 0
 * ok, 1 failure or not found, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <sodium.h>

#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/log.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"
#include "bidbroker/termsafe.h"

#include "term.h"

#ifndef BIDBROKER_VERSION
#define BIDBROKER_VERSION "0.1.0"
#endif

static const struct command commands[] = {
        { "check-config", cmd_check_config, "validate the configuration and exit", false },
        { "ingest", cmd_ingest, "read OCDS JSON files into the store", true },
        { "list", cmd_list, "list stored opportunities", true },
        { "show", cmd_show, "show one opportunity in full", true },
        { "poll", cmd_poll, "fetch new notices from the sources up to now (--now)", true },
        { "run", cmd_run, "run the daemon in the foreground (systemd Type=notify)", true },
        { "match", cmd_match, "match stored open low-value opportunities to members", true },
        { "matches", cmd_matches, "list stored matches", true },
        { "explain", cmd_explain, "why an opportunity matches each member, or not", true },
        { "replay", cmd_replay, "compare a candidate rule/register change with the live one",
          true },
        { "members", cmd_members, "the member register: list, show, export, import, remove",
          true },
        { "taxonomy", cmd_taxonomy, "the taxonomy: CPV coverage of capabilities (coverage)",
          true },
        { "backup", cmd_backup, "copy the store to FILE, safely while the daemon runs", true },
        { "keygen", cmd_keygen, "make a DKIM signing key and print its DNS TXT record", false },
        { "digest", cmd_digest, "members' digests: preview, compose, queue (--send)", true },
        { "token", cmd_token, "anchors' API tokens: issue, revoke, list", true },
        { "awards", cmd_awards, "award suppliers that are members: match, aliases", true },
        { "report", cmd_report, "brokered value, wins and gaps for a period (text, csv, json)",
          true },
        { "feedback", cmd_feedback, "members' answers to digest items, per rule; unsubscribed",
          true },
        { "link", cmd_link, "print a signed member link (interested, not relevant, "
          "unsubscribe)", true },
        { "outbox", cmd_outbox, "messages waiting for delivery: list, --retry ID, --send",
          true },
};

void
cli_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;
        char *msg;

        fprintf(stderr, "bidbroker: %s%s", cmd ? cmd : "", cmd ? ": " : "");
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) >= 0) {    /* it may quote what was typed */
                termsafe_fputs(msg, stderr, TERMSAFE_TAB);
                free(msg);
        }
        va_end(ap);
        fputc('\n', stderr);
}

void
cli_getopt_reset(void)
{
        optind = 0;                     /* glibc: 0 re-initialises getopt */
}

/* "--name" of argv[optind - 1] without its "=value", or "-x": what was wrong. */
static const char *
bad_option(char **argv, char *buf, size_t len)
{
        const char *a = argv[optind - 1];

        if (optopt != 0 && strncmp(a, "--", 2) != 0) {
                snprintf(buf, len, "-%c", optopt);
                return buf;
        }
        snprintf(buf, len, "%.*s", (int)strcspn(a, "="), a);
        return buf;
}

int
cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
           const struct option *longopts)
{
        char name[64];
        int c;

        opterr = 0;
        c = getopt_long(argc, argv, shortopts, longopts, NULL);
        if (c != '?' && c != ':')
                return c;
        bad_option(argv, name, sizeof(name));
        if (optopt != 0 && strchr(shortopts, optopt) != NULL)
                cli_error(cmd, "option '%s' needs a value (see bidbroker %s%s--help)", name,
                          cmd ? cmd : "", cmd ? " " : "");
        else
                cli_error(cmd, "unknown option '%s' (see bidbroker %s%s--help)", name,
                          cmd ? cmd : "", cmd ? " " : "");
        return '?';
}

int
cli_no_args(const char *cmd, int argc, char **argv)
{
        if (optind >= argc)
                return 0;
        cli_error(cmd, "unexpected argument '%s' (see bidbroker %s --help)", argv[optind], cmd);
        return -1;
}

/* ---- global options ---------------------------------------------------------------- */

enum { OPT_COLOR = 256 };

static const struct option global_opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "state", required_argument, NULL, 's' },
        { "now", required_argument, NULL, 'n' },
        { "verbose", no_argument, NULL, 'v' },
        { "color", optional_argument, NULL, OPT_COLOR },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
        fprintf(f,
                "usage: bidbroker [--config FILE] [--state DIR] [--now TIME] COMMAND [ARGS]\n"
                "\n"
                "Watches public contract feeds for low-value opportunities and matches them\n"
                "to social enterprises.\n"
                "\n"
                "Options (their long forms also after the command):\n"
                "  -c, --config FILE   configuration file (default %s if it exists,\n"
                "                      else the built-in defaults)\n"
                "  -s, --state DIR     state directory (overrides state_dir)\n"
                "  -n, --now TIME      fix the clock (ISO 8601), for reproducible runs\n"
                "  -v, --verbose       log debug messages\n"
                "      --color[=WHEN]  colour the output: auto (the default: on a terminal,\n"
                "                      unless NO_COLOR is set or TERM=dumb), always, never\n"
                "  -h, --help          this help; COMMAND --help for a command's own\n"
                "  -V, --version       print the version\n"
                "\n"
                "Commands:\n", CONFIG_DEFAULT_PATH);
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
        fprintf(f,
                "\n"
                "Tables fit the terminal's width, or $COLUMNS, or 80 columns when the\n"
                "output is not a terminal; --json output is never shortened.\n"
                "\n"
                "Exit status: 0 success, 1 failure (or an unknown member or opportunity),\n"
                "2 usage error.\n");
}

struct globals {
        enum term_color color;
        bool            verbose;
};

/* Apply global option c with its value arg; -1 after saying what is wrong. */
static int
global_option(struct cli *cli, struct globals *g, int c, const char *arg)
{
        switch (c) {
        case 'c':
                cli->config_path = arg;
                break;
        case 's':
                cli->state_dir = arg;
                break;
        case 'n':
                if (time_parse_iso8601(arg, &cli->now) < 0) {
                        cli_error(NULL, "--now: '%s' is not an ISO 8601 time "
                                  "(e.g. 2025-01-23T12:00:00Z)", arg);
                        return -1;
                }
                cli->now_fixed = true;
                break;
        case 'v':
                g->verbose = true;
                cli->verbose = true;
                break;
        case OPT_COLOR:
                if (arg == NULL) {
                        g->color = TERM_COLOR_ALWAYS;
                } else if (term_parse_color(arg, &g->color) < 0) {
                        cli_error(NULL, "--color: '%s' is not auto, always or never", arg);
                        return -1;
                }
                break;
        default:
                return -1;
        }
        return 0;
}

/*
 * Take the global options given after the command (their long forms:
 * --config F, --config=F, --state, --now, --verbose, --color) out of argv
 * (argv[0] is the command's name; a "--" ends the options).  The new argc,
 * or -1 after saying what is wrong.
 */
static int
take_globals(struct cli *cli, struct globals *g, int argc, char **argv)
{
        int out = 1, i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i], *eq, *val = NULL;
                const struct option *o = NULL;
                size_t n;

                if (strcmp(a, "--") == 0)
                        break;
                if (strncmp(a, "--", 2) == 0) {
                        n = strcspn(a + 2, "=");
                        for (o = global_opts; o->name != NULL; o++)
                                if (strlen(o->name) == n && strncmp(o->name, a + 2, n) == 0)
                                        break;
                }
                if (o == NULL || o->name == NULL || o->val == 'h' || o->val == 'V') {
                        argv[out++] = argv[i];
                        continue;
                }
                eq = strchr(a, '=');
                if (eq != NULL && o->has_arg == no_argument) {
                        cli_error(argv[0], "--%s takes no value", o->name);
                        return -1;
                }
                if (eq != NULL) {
                        val = eq + 1;
                } else if (o->has_arg == required_argument) {
                        if (i + 1 >= argc) {
                                cli_error(argv[0], "option '--%s' needs a value (see "
                                          "bidbroker --help)", o->name);
                                return -1;
                        }
                        val = argv[++i];
                }
                if (global_option(cli, g, o->val, val) < 0)
                        return -1;
        }
        for (; i < argc; i++)
                argv[out++] = argv[i];
        argv[out] = NULL;
        return out;
}

/* COMMAND ... --help: the help needs no configuration (a broken one must not
 * hide it; `make man` runs every command's --help). */
static bool
wants_help(int argc, char **argv)
{
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
                if (strcmp(argv[i], "--help") == 0)
                        return true;
        return false;
}

/*
 * The libraries that want it are initialised once, here, in this order,
 * before any thread exists (the parse worker and libcurl's resolver threads
 * come later); libcurl is cleaned up at exit.
 */
static int
libs_init(void)
{
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                cli_error(NULL, "libcurl initialisation failed");
                return -1;
        }
        if (sodium_init() < 0) {
                cli_error(NULL, "libsodium initialisation failed");
                curl_global_cleanup();
                return -1;
        }
        xmlInitParser();
        return 0;
}

/* Not xmlCleanupParser(): a parse the daemon gave up on at a stop may still
 * be running on the worker thread (worker.h) until the process exits. */
static void
libs_done(void)
{
        curl_global_cleanup();
}

static const struct command *
find_command(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

int
main(int argc, char **argv)
{
        struct cli cli = { 0 };
        struct globals g = { TERM_COLOR_AUTO, false };
        const struct command *cmd;
        struct diag d;
        int c, rc, cargc;

        /* display widths of UTF-8 text (term.c); only character classes change */
        setlocale(LC_CTYPE, "C.UTF-8");
        log_init(LOG_LVL_INFO);
        cli.now = (int64_t)time(NULL);
        /* '+': stop at the command name, its options are its own */
        while ((c = cli_getopt(NULL, argc, argv, "+c:s:n:vhV", global_opts)) != -1) {
                switch (c) {
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("bidbroker %s\n", BIDBROKER_VERSION);
                        return 0;
                case '?':
                        return EXIT_USAGE;
                default:
                        if (global_option(&cli, &g, c, optarg) < 0)
                                return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        cmd = find_command(argv[optind]);
        if (cmd == NULL) {
                cli_error(NULL, "unknown command '%s' (see bidbroker --help)", argv[optind]);
                return EXIT_USAGE;
        }
        cargc = take_globals(&cli, &g, argc - optind, argv + optind);
        if (cargc < 0)
                return EXIT_USAGE;
        cli.cols = term_width(STDOUT_FILENO);
        cli.color = term_use_color(STDOUT_FILENO, g.color);
        if (cli.config_path == NULL) {
                FILE *f = fopen(CONFIG_DEFAULT_PATH, "re");

                if (f != NULL) {
                        fclose(f);
                        cli.config_path = CONFIG_DEFAULT_PATH;
                }
        }
        if (cmd->needs_config && !wants_help(cargc, argv + optind)) {
                diag_init(&d);
                if (config_load(cli.config_path, &cli.cfg, &d) < 0) {
                        diag_print(&d, stderr);
                        cli_error(NULL, "configuration has errors (bidbroker check-config "
                                  "lists them)");
                        diag_done(&d);
                        return 1;
                }
                diag_done(&d);
                log_set_level(g.verbose ? LOG_LVL_DEBUG : cli.cfg->log_level);
                if (cli.state_dir == NULL)
                        cli.state_dir = cli.cfg->state_dir;
        } else if (g.verbose) {
                log_set_level(LOG_LVL_DEBUG);
        }
        argv += optind;
        cli_getopt_reset();
        if (libs_init() < 0) {
                config_free(cli.cfg);
                return 1;
        }
        rc = cmd->run(&cli, cargc, argv);
        config_free(cli.cfg);
        libs_done();
        return rc;
}
