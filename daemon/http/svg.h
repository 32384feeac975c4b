/*
 * svg.h — small server-side SVG charts for the HTML pages (private to
 * daemon/http/; svg.c).  No script: an <svg> element inline in the page,
 * with <title> and <desc> for screen readers (role="img",
 * aria-labelledby), a viewBox so it scales to any width, axis labels and
 * a legend, each bar's figure in its own <title> (shown on hover).  Every
 * text is escaped (text_html_escape: valid in XML too).
 */
#ifndef BIDBROKER_HTTP_SVG_H
#define BIDBROKER_HTTP_SVG_H

#include <stddef.h>

struct buf;

enum svg_fmt {
        SVG_COUNT,                      /* whole numbers */
        SVG_MONEY,                      /* pence, shown as pounds (human_money) */
};

struct svg_series {
        const char   *name;             /* legend */
        const double *v;                /* one value per category, >= 0 */
};

struct svg_chart {
        const char  *id;                /* unique in the page: ids of title and desc */
        const char  *title;
        const char  *desc;              /* what it shows, in words */
        const char  *const *labels;     /* one per category */
        size_t       n;                 /* categories */
        const struct svg_series *series;
        size_t       nseries;           /* stacked when > 1 */
        enum svg_fmt fmt;
        double       target;            /* a horizontal reference line; < 0: none */
        const char  *target_label;
};

/* Vertical bars, one per category (weeks), stacked by series. */
void svg_bars(struct buf *out, const struct svg_chart *c);
/* Horizontal bars, one per category (members, rules), stacked by series;
 * target ignored. */
void svg_hbars(struct buf *out, const struct svg_chart *c);

#endif
