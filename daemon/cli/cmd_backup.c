/*
 * cmd_backup.c — the backup command: a consistent copy of the store while
 * the daemon runs (SQLite's online backup API, store_backup()).  Restoring is
 * copying the file back with the daemon stopped (README, Operations).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "bidbroker/cli.h"
#include "bidbroker/config.h"
#include "bidbroker/err.h"
#include "bidbroker/store.h"

static const char backup_usage[] =
        "usage: bidbroker backup FILE\n\n"
        "Copy the store (STATE/bidbroker.db) to FILE, a new file, with SQLite's online\n"
        "backup API: safe while the daemon runs (one consistent, checked state; the\n"
        "daemon's writes go on).  FILE is one self-contained SQLite database, mode\n"
        "0600; an existing FILE is never overwritten.  To restore: stop the service,\n"
        "copy FILE to STATE/bidbroker.db (removing bidbroker.db-wal and -shm), give\n"
        "it to the service user, start the service (README, Operations).\n";

int
cmd_backup(struct cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct store *st = NULL;
        struct err err = { 0 };
        int64_t n = 0;
        struct stat sb;
        int c, rc = 1;

        cli_getopt_reset();
        while ((c = cli_getopt(argv[0], argc, argv, "h", opts)) != -1) {
                switch (c) {
                case 'h':
                        fputs(backup_usage, stdout);
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 != argc) {
                cli_error("backup", "which file? usage: bidbroker backup FILE (see bidbroker "
                          "backup --help)");
                return EXIT_USAGE;
        }
        if (store_open_mode(cli->state_dir, STORE_READ_ONLY, cli->cfg->busy_timeout_ms, &st,
                            &err) < 0) {
                cli_error("backup", "%s", err.msg);
                return 1;
        }
        if (store_count(st, &n, &err) < 0) {
                cli_error("backup", "%s", err.msg);
                goto out;
        }
        if (store_backup(st, argv[optind], &err) < 0) {
                cli_error("backup", "%s", err.msg);
                goto out;
        }
        printf("backed up %s/bidbroker.db to %s: %lld opportunit%s, %.1f MiB\n",
               cli->state_dir, argv[optind], (long long)n, n == 1 ? "y" : "ies",
               stat(argv[optind], &sb) == 0 ? (double)sb.st_size / (1024.0 * 1024.0) : 0.0);
        rc = 0;
out:
        store_close(st);
        return rc;
}
