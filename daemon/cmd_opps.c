/* cmd_opps.c — ingest, list and show (filled in by the core issue). */
#include "bidbroker/cli.h"

int cmd_ingest(struct cli *cli, int argc, char **argv) { (void)cli; (void)argc; (void)argv; return 1; }
int cmd_list(struct cli *cli, int argc, char **argv) { (void)cli; (void)argc; (void)argv; return 1; }
int cmd_show(struct cli *cli, int argc, char **argv) { (void)cli; (void)argc; (void)argv; return 1; }
