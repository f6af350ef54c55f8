"""The frame of a chart: grid, the left and bottom axis lines, ticks and their labels."""

from __future__ import annotations

import math
from dataclasses import dataclass

from survey.services.charts.scale import Linear
from survey.services.charts.svg import GRID, INK, el, num, text, text_width, wrap

TICK = 4  # tick mark length
GAP = 3  # between a tick mark and its label
SLANT = 35  # degrees x labels are turned when they do not fit side by side
SLANT_WRAP = 120  # slanted labels wrap at this width


def y_axis(ticks: list[float], labels: list[str], y: Linear, left: float, right: float, size: float) -> list[str]:
    """Horizontal grid lines, tick marks and right-aligned labels at the ``ticks``."""
    out = []
    for value, label in zip(ticks, labels, strict=True):
        at = y(value)
        out.append(el("path", d=f"M{num(left)} {num(at)} H{num(right)}", stroke=GRID, stroke_width=0.8))
        out.append(el("path", d=f"M{num(left - TICK)} {num(at)} H{num(left)}", stroke=INK, stroke_width=0.8))
        out.append(text([label], left - TICK - GAP, at + size * 0.35, size, anchor="end"))
    return out


def x_marks(xs: list[float], bottom: float) -> list[str]:
    """Tick marks under the bottom axis at ``xs``."""
    return [el("path", d=f"M{num(x)} {num(bottom)} v{TICK}", stroke=INK, stroke_width=0.8) for x in xs]


def frame(left: float, right: float, top: float, bottom: float) -> str:
    """The left and bottom axis lines (no box: top and right stay open)."""
    return el("path", d=f"M{num(left)} {num(top)} V{num(bottom)} H{num(right)}", fill="none",
              stroke=INK, stroke_width=1)


def tick_width(labels: list[str], size: float) -> float:
    """Room the y tick labels and marks take left of the axis."""
    return max((text_width(label, size) for label in labels), default=0) + TICK + GAP + 2


@dataclass(frozen=True)
class XLabels:
    """Category labels under the x axis: side by side (wrapped to their slot) when they fit, else slanted."""

    lines: list[list[str]]
    size: float
    slanted: bool

    @classmethod
    def fit(cls, labels: list[str], slot: float, size: float, max_lines: int = 2) -> XLabels:
        lines = [wrap(label, slot - size * 0.8, size) for label in labels]
        fits = all(len(ls) <= max_lines and all(text_width(line, size) <= slot - size * 0.8 for line in ls) for ls in lines)
        return cls(lines, size, False) if fits else cls([wrap(label, SLANT_WRAP, size) for label in labels], size, True)

    def _extent(self, lines: list[str]) -> tuple[float, float]:
        """How far a slanted label reaches left of its tick, and down from the axis's labels' top."""
        a, lead = math.radians(SLANT), self.size * 1.2
        return (max(text_width(line, self.size) * math.cos(a) - k * lead * math.sin(a) for k, line in enumerate(lines))
                - self.size * 0.3,
                max(text_width(line, self.size) * math.sin(a) + (k + 1) * lead * math.cos(a) for k, line in enumerate(lines)))

    def height(self) -> float:
        """Room under the axis."""
        if self.slanted:
            return TICK + GAP + max((self._extent(ls)[1] for ls in self.lines), default=0) + 4
        return TICK + GAP + self.size * (0.95 + 1.2 * (max((len(ls) for ls in self.lines), default=1) - 1)) + 5

    def draw(self, xs: list[float], bottom: float) -> list[str]:
        base = bottom + TICK + GAP + self.size * 0.9
        if self.slanted:
            return [text(ls, x + self.size * 0.3, base - self.size * 0.2, self.size, anchor="end", rotate=-SLANT)
                    for x, ls in zip(xs, self.lines, strict=True)]
        return [text(ls, x, base, self.size, anchor="middle") for x, ls in zip(xs, self.lines, strict=True)]


def categories(labels: list[str], left: float, right: float, size: float) -> tuple[XLabels, float, list[float]]:
    """Labels for categories spread evenly over ``left``..``right``, a slot each, and the left edge moved right
    if the first label, slanted, would leave the chart; returns (labels, left, tick xs)."""
    n = max(1, len(labels))
    xl = XLabels.fit(labels, (right - left) / n, size)
    if xl.slanted and labels:  # the first tick, at left + slot / 2, must be as far in as its label reaches out
        reach = xl._extent(xl.lines[0])[0] + 2
        left = max(left, (reach - right / (2 * n)) / (1 - 1 / (2 * n)))
        xl = XLabels.fit(labels, (right - left) / n, size)
    slot = (right - left) / n
    return xl, left, [left + (i + 0.5) * slot for i in range(len(labels))]


def y_title(label: str, x: float, top: float, bottom: float, size: float) -> tuple[str, float]:
    """The y axis's title turned a quarter left, centred on top..bottom with its first baseline at ``x``
    (wrapped to the axis's height); returns it and the width it takes."""
    lines = wrap(label, bottom - top, size)
    return text(lines, x, (top + bottom) / 2, size, anchor="middle", rotate=-90), size * 1.2 * len(lines)
