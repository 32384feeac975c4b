/*
 * svg.c — bar charts as inline SVG (svg.h).
 *
 * Coordinates are in a fixed viewBox (W wide); the element's width is 100%
 * of its container, so the browser scales it to a phone or a laptop.  The
 * value axis runs from 0 to a "nice" maximum (1, 2 or 5 times a power of
 * ten, at least the largest stack and the target) with five gridlines.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bidbroker/human.h"
#include "bidbroker/text.h"
#include "bidbroker/util.h"

#include "svg.h"

#define W       640                     /* viewBox width */
#define TICKS   5

/* Okabe–Ito: told apart with every common colour-vision deficiency. */
static const char *const palette[] = {
        "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
};

static void
esc(struct buf *out, const char *s)
{
        text_html_escape(s != NULL ? s : "", out);
}

/* A figure for people: "£12,000" or "1,234". */
static void
figure(struct buf *out, double v, enum svg_fmt fmt)
{
        char b[HUMAN_MONEY_MAX];

        if (fmt == SVG_MONEY) {
                buf_adds(out, human_money((int64_t)llround(v), "GBP", b, sizeof(b)));
                return;
        }
        /* human_money's thousands separators, without the sign of money */
        human_money((int64_t)llround(v) * 100, "GBP", b, sizeof(b));
        buf_adds(out, b + 2);           /* past "£" (two bytes of UTF-8) */
}

/* The axis maximum: 1, 2, 2.5 or 5 times a power of ten, >= max (money: in
 * whole pounds). */
static double
nice_max(double max, enum svg_fmt fmt)
{
        static const double steps[] = { 1, 2, 2.5, 5, 10 };
        double unit = fmt == SVG_MONEY ? 100 : 1, m = max / unit, p;

        if (m <= TICKS)
                return TICKS * unit;
        p = pow(10, floor(log10(m / TICKS)));
        for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
                if (steps[i] * p * TICKS >= m)
                        return steps[i] * p * TICKS * unit;
        return 10 * p * TICKS * unit;
}

static double
stack_total(const struct svg_chart *c, size_t i)
{
        double t = 0;

        for (size_t s = 0; s < c->nseries; s++)
                t += c->series[s].v[i] > 0 ? c->series[s].v[i] : 0;
        return t;
}

static double
axis_max(const struct svg_chart *c, bool with_target)
{
        double max = with_target && c->target > 0 ? c->target : 0;

        for (size_t i = 0; i < c->n; i++)
                if (stack_total(c, i) > max)
                        max = stack_total(c, i);
        return nice_max(max, c->fmt);
}

static void
open_svg(struct buf *out, const struct svg_chart *c, int h)
{
        buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" "
                   "viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
                   "aria-labelledby=\"%s-t %s-d\" font-family=\"sans-serif\" "
                   "font-size=\"12\">", W, h, c->id, c->id);
        buf_printf(out, "<title id=\"%s-t\">", c->id);
        esc(out, c->title);
        buf_printf(out, "</title><desc id=\"%s-d\">", c->id);
        esc(out, c->desc);
        buf_adds(out, "</desc>");
}

/* The legend on one line at y (series, then the target). */
static void
legend(struct buf *out, const struct svg_chart *c, int x, int y, bool target)
{
        for (size_t s = 0; s < c->nseries && c->nseries > 1; s++) {
                buf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
                           "fill=\"%s\"/><text x=\"%d\" y=\"%d\">", x, y - 9,
                           palette[s % ARRAY_SIZE(palette)], x + 14, y);
                esc(out, c->series[s].name);
                buf_adds(out, "</text>");
                x += 24 + 7 * (int)strlen(c->series[s].name ? c->series[s].name : "");
                if (x > W - 120) {
                        x = 70;
                        y += 16;
                }
        }
        if (target && c->target > 0) {
                buf_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                           "stroke=\"#D55E00\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>"
                           "<text x=\"%d\" y=\"%d\">", x, y - 4, x + 18, y - 4, x + 22, y);
                esc(out, c->target_label);
                buf_adds(out, " ");
                figure(out, c->target, c->fmt);
                buf_adds(out, "</text>");
        }
}

/* One bar segment with its figure as a tooltip. */
static void
segment(struct buf *out, double x, double y, double w, double h, size_t s,
        const struct svg_chart *c, size_t i)
{
        buf_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                   "fill=\"%s\"><title>", x, y, w, h, palette[s % ARRAY_SIZE(palette)]);
        esc(out, c->labels[i]);
        if (c->nseries > 1) {
                buf_adds(out, ", ");
                esc(out, c->series[s].name);
        }
        buf_adds(out, ": ");
        figure(out, c->series[s].v[i], c->fmt);
        buf_adds(out, "</title></rect>");
}

void
svg_bars(struct buf *out, const struct svg_chart *c)
{
        const int left = 84, right = 12, top = c->nseries > 1 || c->target > 0 ? 40 : 16;
        const int plot = 200, h = top + plot + 44;
        double max = axis_max(c, true), slot, bw;

        open_svg(out, c, h);
        legend(out, c, left, 16, true);
        /* value axis: gridlines and labels */
        for (int t = 0; t <= TICKS; t++) {
                double y = top + plot - (double)plot * t / TICKS;

                buf_printf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                           "stroke=\"#ccc\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
                           left, y, W - right, y, left - 6, y + 4);
                figure(out, max * t / TICKS, c->fmt);
                buf_adds(out, "</text>");
        }
        slot = c->n > 0 ? (double)(W - left - right) / (double)c->n : 0;
        bw = slot * 0.7;
        for (size_t i = 0; i < c->n; i++) {
                double x = left + slot * (double)i + (slot - bw) / 2, base = top + plot;

                for (size_t s = 0; s < c->nseries; s++) {
                        double v = c->series[s].v[i] > 0 ? c->series[s].v[i] : 0;
                        double bh = max > 0 ? plot * v / max : 0;

                        if (bh <= 0)
                                continue;
                        base -= bh;
                        segment(out, x, base, bw, bh, s, c, i);
                }
                /* category label, every one when they fit, else every other */
                if (c->n <= 14 || i % 2 == 0) {
                        buf_printf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
                                   x + bw / 2, top + plot + 16);
                        esc(out, c->labels[i]);
                        buf_adds(out, "</text>");
                }
        }
        if (c->target > 0) {
                double y = top + plot - plot * c->target / max;

                buf_printf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                           "stroke=\"#D55E00\" stroke-width=\"2\" stroke-dasharray=\"6 3\">"
                           "<title>", left, y, W - right, y);
                esc(out, c->target_label);
                buf_adds(out, ": ");
                figure(out, c->target, c->fmt);
                buf_adds(out, "</title></line>");
        }
        buf_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>",
                   left, top + plot, W - right, top + plot);
        buf_adds(out, "</svg>");
}

void
svg_hbars(struct buf *out, const struct svg_chart *c)
{
        const int left = 200, right = 80, top = c->nseries > 1 ? 32 : 8, row = 22;
        const int h = top + row * (int)(c->n ? c->n : 1) + 24;
        double max = axis_max(c, false), pw = W - left - right;

        open_svg(out, c, h);
        legend(out, c, left, 16, false);
        for (int t = 0; t <= TICKS; t++) {
                double x = left + pw * t / TICKS;

                buf_printf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                           "stroke=\"#ccc\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
                           x, top, x, h - 20, x, h - 6);
                figure(out, max * t / TICKS, c->fmt);
                buf_adds(out, "</text>");
        }
        for (size_t i = 0; i < c->n; i++) {
                double y = top + row * (double)i, x = left;
                const char *l = c->labels[i] ? c->labels[i] : "";
                size_t n = strlen(l);

                /* the label, cut to fit (whole UTF-8 characters) */
                buf_printf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", left - 6,
                           y + row * 0.65);
                if (n > 30) {
                        char cut[32];

                        n = 28;
                        while (n > 0 && ((unsigned char)l[n] & 0xc0) == 0x80)
                                n--;
                        memcpy(cut, l, n);
                        cut[n] = '\0';
                        esc(out, cut);
                        buf_adds(out, "\xe2\x80\xa6");  /* … */
                } else {
                        esc(out, l);
                }
                buf_adds(out, "</text>");
                for (size_t s = 0; s < c->nseries; s++) {
                        double v = c->series[s].v[i] > 0 ? c->series[s].v[i] : 0;
                        double bw = max > 0 ? pw * v / max : 0;

                        if (bw <= 0)
                                continue;
                        segment(out, x, y + 3, bw, row - 6, s, c, i);
                        x += bw;
                }
                buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\">", x + 4, y + row * 0.65);
                figure(out, stack_total(c, i), c->fmt);
                buf_adds(out, "</text>");
        }
        buf_adds(out, "</svg>");
}
