/*
 * main.c — bidbroker's entry point: global options, config loading and the
 * subcommand table.  Exit codes: 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/log.h"
#include "bidbroker/matchconf.h"
#include "bidbroker/timeutil.h"
#include "bidbroker/util.h"

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
        { "backup", cmd_backup, "copy the store to FILE, safely while the daemon runs", true },
};

void
cli_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "bidbroker: %s%s", cmd ? cmd : "", cmd ? ": " : "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

void
cli_getopt_reset(void)
{
        optind = 0;                     /* glibc: 0 re-initialises getopt */
}

static void
usage(FILE *f)
{
        fprintf(f,
                "usage: bidbroker [--config FILE] [--state DIR] [--now TIME] COMMAND [ARGS]\n"
                "\n"
                "Watches public contract feeds for low-value opportunities and matches them\n"
                "to social enterprises.\n"
                "\n"
                "Options:\n"
                "  -c, --config FILE   configuration file (default %s if it exists,\n"
                "                      else the built-in defaults)\n"
                "  -s, --state DIR     state directory (overrides state_dir)\n"
                "  -n, --now TIME      fix the clock (ISO 8601), for reproducible runs\n"
                "  -v, --verbose       log debug messages\n"
                "  -h, --help          this help; COMMAND --help for a command's\n"
                "  -V, --version       print the version\n"
                "\n"
                "Commands:\n", CONFIG_DEFAULT_PATH);
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
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
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "state", required_argument, NULL, 's' },
                { "now", required_argument, NULL, 'n' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { NULL, 0, NULL, 0 },
        };
        struct cli cli = { 0 };
        const struct command *cmd;
        struct diag d;
        bool verbose = false;
        int c, rc;

        log_init(LOG_LVL_INFO);
        cli.now = (int64_t)time(NULL);
        /* '+': stop at the command name, its options are its own */
        while ((c = getopt_long(argc, argv, "+c:s:n:vhV", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        cli.config_path = optarg;
                        break;
                case 's':
                        cli.state_dir = optarg;
                        break;
                case 'n':
                        if (time_parse_iso8601(optarg, &cli.now) < 0) {
                                cli_error(NULL, "--now: '%s' is not an ISO 8601 time "
                                          "(e.g. 2025-01-23T12:00:00Z)", optarg);
                                return EXIT_USAGE;
                        }
                        cli.now_fixed = true;
                        break;
                case 'v':
                        verbose = true;
                        cli.verbose = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("bidbroker %s\n", BIDBROKER_VERSION);
                        return 0;
                default:
                        usage(stderr);
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
        if (cli.config_path == NULL) {
                FILE *f = fopen(CONFIG_DEFAULT_PATH, "re");

                if (f != NULL) {
                        fclose(f);
                        cli.config_path = CONFIG_DEFAULT_PATH;
                }
        }
        if (cmd->needs_config) {
                diag_init(&d);
                if (config_load(cli.config_path, &cli.cfg, &d) < 0) {
                        diag_print(&d, stderr);
                        cli_error(NULL, "configuration has errors (bidbroker check-config "
                                  "lists them)");
                        diag_done(&d);
                        return 1;
                }
                diag_done(&d);
                log_set_level(verbose ? LOG_LVL_DEBUG : cli.cfg->log_level);
                if (cli.state_dir == NULL)
                        cli.state_dir = cli.cfg->state_dir;
        } else if (verbose) {
                log_set_level(LOG_LVL_DEBUG);
        }
        rc = cmd->run(&cli, argc - optind, argv + optind);
        config_free(cli.cfg);
        return rc;
}
