/*
 * cli.h — what every subcommand receives from main(): the loaded config, the
 * state directory and the clock.  Each command lives in daemon/cmd_*.c, parses
 * its own options (getopt_long, with --help) and returns an exit status:
 * 0 success, 1 failure (the work could not be done), 2 usage error.
 */
#ifndef BIDBROKER_CLI_H
#define BIDBROKER_CLI_H

#include <stdbool.h>
#include <stdint.h>

struct config;

#define EXIT_USAGE 2

struct cli {
        const char    *config_path;     /* NULL: built-in defaults */
        const char    *state_dir;       /* --state, else cfg->state_dir */
        struct config *cfg;             /* loaded before the command runs */
        int64_t        now;             /* --now, else the wall clock */
        bool           now_fixed;       /* --now was given */
        bool           verbose;         /* -v was given */
};

struct command {
        const char *name;
        int       (*run)(struct cli *cli, int argc, char **argv);   /* argv[0] = name */
        const char *summary;
        bool        needs_config;       /* load the config before running */
};

/* Print "bidbroker: NAME: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reset getopt before a command parses its own options. */
void cli_getopt_reset(void);

/* The commands (one file each). */
int cmd_check_config(struct cli *cli, int argc, char **argv);
int cmd_ingest(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_poll(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv);

/* daemon/cli/cmd_match.c: matching (docs/matching.md) */
int cmd_match(struct cli *cli, int argc, char **argv);
int cmd_matches(struct cli *cli, int argc, char **argv);
int cmd_explain(struct cli *cli, int argc, char **argv);
int cmd_replay(struct cli *cli, int argc, char **argv);
int cmd_members(struct cli *cli, int argc, char **argv);

/* daemon/cli/cmd_backup.c: a consistent copy of the store */
int cmd_backup(struct cli *cli, int argc, char **argv);

#endif
