/*
 * mime.h — building an email message (RFC 5322, MIME): header fields with
 * RFC 2047 encoded-words for non-ASCII text, folded to 78 columns; a
 * multipart/alternative body with text/plain first and text/html last, both
 * UTF-8 and quoted-printable (lines of at most 76); CRLF line ends.
 *
 * A header value holding CR or LF (or another control character) is refused
 * (-EINVAL), so a value from a feed can never add a header field.  Feed values
 * put into the HTML part go through mime_html_escape().
 */
#ifndef BIDBROKER_MIME_H
#define BIDBROKER_MIME_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;

struct mime_msg;        /* opaque */

struct mime_msg *mime_new(void);
void mime_free(struct mime_msg *m);

/* An unstructured field (Subject, List-Id's phrase…): UTF-8 text, encoded
 * with RFC 2047 when it is not plain ASCII, folded. */
int mime_header_text(struct mime_msg *m, const char *name, const char *value, struct err *e);
/* A structured field written as given (Message-ID, List-Unsubscribe, …):
 * printable ASCII only. */
int mime_header_raw(struct mime_msg *m, const char *name, const char *value, struct err *e);
/* An address field: "Display Name <addr>" (the name encoded or quoted as
 * needed; NULL or "" for the bare address). */
int mime_header_addr(struct mime_msg *m, const char *name, const char *display,
                     const char *addr, struct err *e);
/* Date: the RFC 5322 form of t (UTC, "+0000"). */
void mime_header_date(struct mime_msg *m, int64_t t);

/* The two bodies (UTF-8; line ends LF or CRLF).  Both are required. */
int mime_set_text(struct mime_msg *m, const char *text, struct err *e);
int mime_set_html(struct mime_msg *m, const char *html, struct err *e);

/* The whole message, CRLF throughout, appended to out.  The boundary is
 * derived from the content ("=_" cannot occur in quoted-printable). */
int mime_render(const struct mime_msg *m, struct buf *out, struct err *e);

/* Building blocks, exposed for the tests. */
void mime_encode_word(const char *text, size_t first_col, struct buf *out);  /* RFC 2047 */
void mime_qp_encode(const char *text, size_t len, struct buf *out);          /* RFC 2045 */
void mime_html_escape(const char *text, struct buf *out);

/* A sample message (what a digest looks like, with one item whose title is
 * the given feed value), for tests and previews of the machinery: From, To,
 * Subject with "£", Date, Message-ID, MIME-Version, List-Id,
 * List-Unsubscribe (https + mailto), List-Unsubscribe-Post. */
int mime_sample(const char *from, const char *to, const char *title, int64_t t,
                struct buf *out, struct err *e);

#endif
