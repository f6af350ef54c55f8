"""Trend charts: estimates over waves, a line per series with its 95% interval band; small multiples for phones."""

from __future__ import annotations

from dataclasses import dataclass

from survey.services.charts import axes, svg
from survey.services.charts.memo import memoized
from survey.services.charts.scale import Linear, axis, finite, tick_labels
from survey.services.charts.svg import (
    DASHES,
    MARKERS,
    PALETTE,
    el,
    esc,
    marker,
    polyline,
    text,
    wrap,
)

WIDE, NARROW = 640, 320  # drawing widths; the page scales the chart to its column
SIZE = 12  # text; at the page's widths it shows at about 13-17 px (wide) and 13 px on a 375 px phone
PLOT_HEIGHT, PANEL_HEIGHT = 270, 78
LEGEND_TEXT = 150  # legend labels wrap at this width
SAMPLE = 30  # the legend's line sample
BOLD = 1.12  # bold text is about this much wider


@dataclass(frozen=True)
class Line:
    """One series: ``values`` and interval bounds per x position (None where there is no estimate)."""

    key: str
    label: str
    values: list[float | None]
    low: list[float | None]
    high: list[float | None]
    texts: list[str]  # the values as the table prints them


def _shown(lines: list[Line]) -> list[tuple[int, Line]]:
    """Series with at least one estimate, with their place in ``lines`` (which sets colour, marker and dashes)."""
    return [(k, line) for k, line in enumerate(lines) if finite(line.values)]


def _values(shown: list[tuple[int, Line]]) -> list[float]:
    return [v for _k, line in shown for v in finite(line.values) + finite(line.low) + finite(line.high)]


def _style(k: int, line: Line) -> tuple[str, str, str | None, float]:
    return PALETTE[k % len(PALETTE)], MARKERS[k % len(MARKERS)], DASHES[k % len(DASHES)], \
        2.6 if line.key == "all" else 1.6


def _series(key: str, k: int, line: Line, xs: list[float], y: Linear, id_prefix: str,
            hollow: list[int]) -> tuple[str, str]:
    """(band, line): the interval band, and the line with its markers (group ``<prefix>series-<key>`` holding the
    table's figures) followed by the open markers at the ``hollow`` positions (``<key>-<prefix>provisional-``)."""
    colour, shape, dash, width = _style(k, line)
    pts = [(i, v, lo, hi) for i, (v, lo, hi) in enumerate(zip(line.values, line.low, line.high, strict=True))
           if finite([v])]
    band = [(xs[i], lo, hi) for i, _v, lo, hi in pts if finite([lo]) and finite([hi])]
    band_path = el("path", id=f"{key}-{id_prefix}band-{line.key}",
                   d=polyline([(x, y(hi)) for x, _lo, hi in band] + [(x, y(lo)) for x, lo, _hi in reversed(band)]) + " Z",
                   fill=colour, fill_opacity=0.14) if band else ""
    path = el("path", d=polyline([(xs[i], y(v)) for i, v, _lo, _hi in pts]), fill="none", stroke=colour,
              stroke_width=width, stroke_dasharray=dash, stroke_linejoin="round")
    filled = "".join(marker(shape, xs[i], y(v), 7, colour) for i, v, _lo, _hi in pts if i not in hollow)
    group = el("g", el("title", esc(f"{line.label}: {'; '.join(line.texts)}")) + path + filled,
               id=f"{id_prefix}series-{line.key}", data_values=";".join(line.texts))
    open_ = "".join(marker(shape, xs[i], y(v), 8, colour, hollow=True) for i, v, _lo, _hi in pts if i in hollow)
    if open_:
        group += "\n" + el("g", open_, id=f"{key}-{id_prefix}provisional-{line.key}")
    return band_path, group


def _legend_entry(k: int, line: Line, lines: list[str], x: float, y: float) -> str:
    """A line sample with its marker, and the label; ``y`` is the first baseline."""
    colour, shape, dash, width = _style(k, line)
    mid = y - SIZE * 0.35
    sample = el("path", d=f"M{svg.num(x)} {svg.num(mid)} h{SAMPLE}", stroke=colour, stroke_width=width,
                stroke_dasharray=dash)
    return sample + marker(shape, x + SAMPLE / 2, mid, 7, colour) + text(lines, x + SAMPLE + 6, y, SIZE)


@memoized
def trend_chart(key: str, title: str, desc: str, x_labels: list[str], lines: list[Line], *,
                y_label: str, id_prefix: str = "", hollow: list[int] = (), narrow: bool = False) -> str:
    """Estimates over waves: a line per series with its 95% interval band; SVG ids ``<prefix>series-<key>``.

    Points at the x positions in ``hollow`` (waves still in the field) are drawn as open markers.
    ``narrow=True`` draws small multiples for a phone instead: one panel per series, stacked, on a shared
    y axis, 320 units wide, so the text stays near its set size on a 375 px screen.
    """
    if narrow:
        return _trend_panels(key, title, desc, x_labels, lines, y_label=y_label, id_prefix=id_prefix, hollow=hollow)
    shown = _shown(lines)
    ticks, d0, d1 = axis(_values(shown), target=6)
    labels = tick_labels(ticks)
    legend = [(k, line, wrap(line.label, LEGEND_TEXT, SIZE)) for k, line in shown]
    legend_w = max((SAMPLE + 6 + svg.text_width(t, SIZE) for _k, _l, ls in legend for t in ls), default=0)
    top = 10
    legend_h = sum(SIZE * (1.2 * len(ls) + 0.6) for _k, _l, ls in legend)
    plot_h = max(PLOT_HEIGHT, legend_h)
    bottom = top + plot_h
    right = WIDE - 10 - (legend_w + 18 if legend else 0)
    y_title, title_w = axes.y_title(y_label, 4 + SIZE, top, bottom, SIZE)
    left = 4 + title_w + 6 + axes.tick_width(labels, SIZE)
    xl, left, xs = axes.categories(x_labels, left, right, SIZE)
    height = bottom + xl.height() + 4
    y = Linear(d0, d1, bottom, top)
    bands, groups = zip(*(_series(key, k, line, xs, y, id_prefix, hollow) for k, line in shown), strict=True) \
        if shown else ((), ())
    body = [*axes.y_axis(ticks, labels, y, left, right, SIZE), *filter(None, bands), axes.frame(left, right, top, bottom),
            *axes.x_marks(xs, bottom), *xl.draw(xs, bottom), y_title, *groups]
    at = top + SIZE
    entries = []
    for k, line, ls in legend:
        entries.append(_legend_entry(k, line, ls, right + 18, at))
        at += SIZE * (1.2 * len(ls) + 0.6)
    if entries:
        body.append(el("g", "".join(entries), id=f"{key}-legend"))
    return svg.document(key, WIDE, height, title, desc, body)


def _trend_panels(key: str, title: str, desc: str, x_labels: list[str], lines: list[Line], *,
                  y_label: str, id_prefix: str, hollow: list[int] = ()) -> str:
    """Small multiples: the measure's name across the top, then a panel per series with an estimate, its label
    above it, all on one y scale; wave labels under the last panel only."""
    shown = _shown(lines)
    ticks, d0, d1 = axis(_values(shown), target=3)
    labels = tick_labels(ticks)
    right = NARROW - 8
    left = 4 + axes.tick_width(labels, SIZE)
    xl, left, xs = axes.categories(x_labels, left, right, SIZE)
    caption = wrap(y_label, NARROW - 16, SIZE)
    body = [text(caption, 4, 4 + SIZE, SIZE)] if y_label else []
    bands, groups = [], []
    at = 4 + SIZE * 1.2 * len(caption) + 8 if y_label else 4
    for k, line in shown or [(0, None)]:
        heading = wrap(line.label, (right - 4) / BOLD, SIZE) if line else []
        if heading:
            body.append(text(heading, 4, at + SIZE, SIZE, weight="bold"))
        top = at + SIZE * 1.2 * len(heading) + SIZE * 0.6
        bottom = top + PANEL_HEIGHT
        y = Linear(d0, d1, bottom, top)
        body += [*axes.y_axis(ticks, labels, y, left, right, SIZE), axes.frame(left, right, top, bottom),
                 *axes.x_marks(xs, bottom)]
        if line:
            band, group = _series(key, k, line, xs, y, id_prefix, hollow)
            bands.append(band)
            groups.append(group)
        at = bottom + axes.TICK + 16
    body += xl.draw(xs, bottom)
    return svg.document(key, NARROW, bottom + xl.height() + 4, title, desc, [*body, *filter(None, bands), *groups])
