/*
 * digesttpl.h — the digest's templates (daemon/digesttpl.c; the shipped ones
 * are in conf/digest/; docs/digest.md "Templates").
 *
 * A template is text with placeholders:
 *   {{name}}     the value; in an HTML template it is escaped (mime_html_escape)
 *   {{{name}}}   the value as is: only for the blocks the digest builds itself
 *                (their feed values escaped already)
 *   {{?name}}    prints nothing; the line it is on is left out when name is empty
 * A line whose placeholders all print nothing (and that has at least one) is
 * left out too, so optional facts need no conditionals.  Names are checked
 * when the template is loaded: an unknown one is FILE:LINE: message.
 */
#ifndef BIDBROKER_DIGESTTPL_H
#define BIDBROKER_DIGESTTPL_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct err;
struct tpl;

/* Parse text (name for messages); names[] are the placeholders it may use,
 * values are later passed in the same order.  html: escape {{name}}. */
int tpl_parse(const char *name, const char *text, const char *const *names, size_t nnames,
              bool html, struct tpl **ret, struct err *e);
/* tpl_parse of a file's text. */
int tpl_load(const char *path, const char *const *names, size_t nnames, bool html,
             struct tpl **ret, struct err *e);
void tpl_free(struct tpl *t);           /* NULL-safe */
/* Append the template with values[i] for names[i] (NULL means empty). */
void tpl_render(const struct tpl *t, const char *const *values, struct buf *out);

#endif
