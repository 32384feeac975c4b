/*
 * outboxcli.h — the foreground delivery `bidbroker outbox --send` runs, for
 * the commands that queue mail and then send it (`digest --send`).
 */
#ifndef BIDBROKER_OUTBOXCLI_H
#define BIDBROKER_OUTBOXCLI_H

struct cli;

/*
 * Deliver every message due now (queued, and retry whose time has come) over
 * the configured [mail] transport, on a loop, until none is due and none is
 * in flight; prints one line per outcome and a summary to stdout.  Takes the
 * state directory's lock first: when the daemon holds it, says that the
 * daemon delivers them (it sees new messages within seconds) and returns 0.
 * cmd names the command in messages.  Returns an exit status: 0 when every
 * message tried was sent (or the daemon delivers), 1 when any is waiting for
 * a retry or failed, or on an error.
 */
int outbox_deliver_due(struct cli *cli, const char *cmd);

#endif
