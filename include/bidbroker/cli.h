/*
 * cli.h — what every subcommand receives from main(): the loaded config, the
 * state directory, the clock and the terminal.  Each command lives in
 * daemon/cli/cmd_*.c, parses its own options with cli_getopt() (with --help)
 * and returns an exit status: 0 success, 1 failure (the work could not be
 * done, or what it names does not exist: an unknown member or opportunity),
 * 2 usage error.  The global options are main()'s, before or after the
 * command name.
 */
#ifndef BIDBROKER_CLI_H
#define BIDBROKER_CLI_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct option;

#define EXIT_USAGE 2

struct cli {
        const char    *config_path;     /* NULL: built-in defaults */
        const char    *state_dir;       /* --state, else cfg->state_dir */
        struct config *cfg;             /* loaded before the command runs */
        int64_t        now;             /* --now, else the wall clock */
        bool           now_fixed;       /* --now was given */
        bool           verbose;         /* -v was given */
        int            cols;            /* stdout's width (daemon/cli/term.h) */
        bool           color;           /* colour stdout (--color, NO_COLOR, a TTY) */
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

/*
 * getopt_long() for command cmd, saying itself what is wrong: an unknown
 * option or one without its value prints one line, "bidbroker: CMD: unknown
 * option '--x' (see bidbroker CMD --help)", and returns '?' (the caller
 * returns EXIT_USAGE).  -1 after the last option.
 */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* After cli_getopt(): 0, or -1 after saying "unexpected argument" when any
 * argument is left (the caller returns EXIT_USAGE). */
int cli_no_args(const char *cmd, int argc, char **argv);

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

/* daemon/cli/cmd_taxonomy.c: reviewing the CPV coverage table */
int cmd_taxonomy(struct cli *cli, int argc, char **argv);

/* daemon/cli/cmd_backup.c: a consistent copy of the store */
int cmd_backup(struct cli *cli, int argc, char **argv);

/* daemon/cli/cmd_feedback.c: members' answers, signed links, unsubscriptions */
int cmd_feedback(struct cli *cli, int argc, char **argv);
int cmd_link(struct cli *cli, int argc, char **argv);
int members_subscription(struct cli *cli, const char *id, bool unsubscribe);

/* daemon/cli/cmd_keygen.c: DKIM keys and their DNS records */
int cmd_keygen(struct cli *cli, int argc, char **argv);

/* daemon/cli/cmd_digest.c: members' digests (docs/digest.md) */
int cmd_digest(struct cli *cli, int argc, char **argv);
/* daemon/cli/cmd_token.c: anchors' API tokens */
int cmd_token(struct cli *cli, int argc, char **argv);

/* daemon/cli/cmd_awards.c, cmd_report.c: awards, wins, impact (docs/impact.md) */
int cmd_awards(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
/* daemon/cli/cmd_outbox.c: messages waiting for delivery (docs/outbox.md) */
int cmd_outbox(struct cli *cli, int argc, char **argv);

#endif
