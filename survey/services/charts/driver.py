"""The importance–performance grid: service items placed by importance (across) and performance (up)."""

from __future__ import annotations

from survey.services.charts import axes, svg
from survey.services.charts.memo import memoized
from survey.services.charts.scale import Linear, axis, finite, tick_labels
from survey.services.charts.svg import GUIDE, PALETTE, el, esc, marker, text, text_width, wrap

SIZES = {False: (640, 400, 12, 11, 210), True: (320, 480, 12, 10.5, 112)}  # width, height, axis text, labels, wrap at
DOT = 9
Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


SIDES = ("r", "l")
RISES = (0.5, 1.0, 0.0, 1.3, -0.3)  # where the point sits on the label's height: middle, bottom, top, below, above


def _candidates(prefer_left: bool) -> list[tuple[str, float]]:
    sides = ("l", "r") if prefer_left else SIDES
    return [(side, rise) for rise in RISES for side in sides] + [("u", 0.0), ("d", 0.0)]


def _label_box(px: float, py: float, lines: list[str], size: float, where: tuple[str, float]
               ) -> tuple[Box, float, float, str]:
    """The box a label takes beside the point (side ``r``/``l`` with the point at ``rise`` of the label's height
    from its top; or centred above ``u`` or below ``d``), and its text's x, first baseline and anchor."""
    side, rise = where
    w = max(text_width(line, size) for line in lines)
    h = size * (1.2 * len(lines) - 0.2)
    gap = DOT / 2 + 3
    if side in SIDES:
        x0, y0 = (px + gap if side == "r" else px - gap - w), py - rise * h
    else:
        x0, y0 = px - w / 2, (py - gap - h if side == "u" else py + gap)
    anchor = {"l": "end", "u": "middle", "d": "middle"}.get(side, "start")
    tx = {"end": x0 + w, "middle": x0 + w / 2, "start": x0}[anchor]
    return (x0, y0, x0 + w, y0 + h), tx, y0 + size * 0.8, anchor


def _place(points: list[tuple[float, float, list[str]]], size: float, area: Box, prefer_left: float | None,
           guides: list[Box]) -> list:
    """A spot for each label: the candidate that overlaps least the other labels, the points and the ``guides``
    (the average lines), inside ``area``.  Labels are placed in order, then each is moved again, given where the
    others are, until none moves (a few rounds at most); with ``prefer_left``, points right of that x try the
    left side first."""
    dots = [(x - DOT / 2, y - DOT / 2, x + DOT / 2, y + DOT / 2) for x, y, _l in points] + guides
    options = [[_label_box(px, py, lines, size, where)
                for where in _candidates(prefer_left is not None and px > prefer_left)] for px, py, lines in points]
    fixed = []
    for opts in options:  # what each candidate costs on its own: leaving the area, covering points and guides
        costs = []
        for rank, (box, *_rest) in enumerate(opts):
            outside = (max(0, area[0] - box[0]) + max(0, box[2] - area[2])) * (box[3] - box[1]) \
                + (max(0, area[1] - box[1]) + max(0, box[3] - area[3])) * (box[2] - box[0])
            costs.append(4 * outside + sum(_overlap(box, d) for d in dots) + rank * 0.5)
        fixed.append(costs)
    chosen: list[int | None] = [None] * len(points)
    for _round in range(4):
        moved = False
        for k, opts in enumerate(options):
            others = [options[j][c][0] for j, c in enumerate(chosen) if c is not None and j != k]
            best = min(range(len(opts)), key=lambda c: (fixed[k][c] + sum(_overlap(opts[c][0], b) for b in others), c))
            moved |= best != chosen[k]
            chosen[k] = best
        if not moved:
            break
    return [options[k][c][1:] for k, c in enumerate(chosen)]


@memoized
def driver_chart(key: str, title: str, desc: str, points: list[tuple[str, str, float, float, str]], *,
                 x_label: str, y_label: str, narrow: bool = False) -> str:
    """Importance–performance grid: ``(code, label, importance %, performance, text)`` per item, as a group
    ``item-<code>`` (``narrow-item-<code>`` when ``narrow``) holding the table's figures; dashed lines at the averages.

    ``narrow=True``: for a phone, 320 units wide, labels wrapped shorter and kept inside the chart."""
    width, height, size, label_size, wrap_at = SIZES[narrow]
    usable = [p for p in points if finite([p[2]]) and finite([p[3]])]
    xt, x0, x1 = axis([p[2] for p in usable], target=4 if narrow else 6)
    yt, y0, y1 = axis([p[3] for p in usable], target=6)
    xlab, ylab = tick_labels(xt), tick_labels(yt)
    top, right = 8, width - 8
    y_title, title_w = axes.y_title(y_label, 4 + size, top, height - 60, size)
    left = 4 + title_w + 4 + axes.tick_width(ylab, size)
    x_title = wrap(x_label, right - left, size)
    bottom = height - (axes.TICK + axes.GAP + size * (2.2 + 1.2 * len(x_title)) + 4)
    x, y = Linear(x0, x1, left, right), Linear(y0, y1, bottom, top)
    body = [*axes.y_axis(yt, ylab, y, left, right, size), axes.frame(left, right, top, bottom),
            *axes.x_marks([x(v) for v in xt], bottom),
            *(text([t], x(v), bottom + axes.TICK + axes.GAP + size * 0.9, size, anchor="middle") for v, t in zip(xt, xlab, strict=True)),
            text(x_title, (left + right) / 2, bottom + axes.TICK + axes.GAP + size * 2.2, size, anchor="middle"), y_title]
    if usable:
        mx, my = sum(p[2] for p in usable) / len(usable), sum(p[3] for p in usable) / len(usable)
        guide = {"stroke": GUIDE, "stroke_width": 1, "stroke_dasharray": "5 3"}
        body.append(el("g", el("path", d=f"M{svg.num(x(mx))} {svg.num(top)} V{svg.num(bottom)}", **guide)
                       + el("path", d=f"M{svg.num(left)} {svg.num(y(my))} H{svg.num(right)}", **guide), id=f"{key}-averages"))
    at = [(x(p[2]), y(p[3]), wrap(p[1], wrap_at, label_size)) for p in usable]
    middle = (x(min(p[2] for p in usable)) + x(max(p[2] for p in usable))) / 2 if narrow and usable else None
    guides = [(x(mx) - 1, top, x(mx) + 1, bottom), (left, y(my) - 1, right, y(my) + 1)] if usable else []
    spots = _place(at, label_size, (left + 2, top, right, bottom - 2), middle, guides)
    for (code, label, _imp, _perf, figures), (px, py, lines), (tx, ty, anchor) in zip(usable, at, spots, strict=True):
        body.append(el("g", el("title", esc(f"{label}: {figures}")) + marker("circle", px, py, DOT, PALETTE[0])
                       + text(lines, tx, ty, label_size, anchor=anchor, halo=True),
                       id=f"{'narrow-' if narrow else ''}item-{code}", data_values=figures))
    return svg.document(key, width, height, title, desc, body)
