"""A small SVG writer: escaped text, rounded numbers, markers, dash patterns, and text measured by estimate.

Everything is written with presentation attributes (no ``style``), numbers rounded to two decimals, and no
random ids, so the same chart always gives the same bytes.  Text stays text: the reader's browser draws it
with its own fonts, Chinese included, so widths here are estimates (CJK characters one em, Latin about half).
"""

from __future__ import annotations

import math
import re
import unicodedata
from html import escape

FONT = "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"
INK = "#1b1f24"  # the pages' text colour (app.css --ink)
GRID = "#dddddd"
GUIDE = "#6b7580"  # dashed reference lines: 4.7:1 on white

PALETTE = ("#0b4f8a", "#b00020", "#146c2e", "#8a4f0b", "#5b2a86", "#00707a", "#555e68", "#a0307a")
# series differ by marker and line style as well as colour (readable in grey and for colour-blind readers)
MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down", "plus", "cross", "star")
DASHES = (None, "6 3", "6 2.5 1.5 2.5", "1.5 2", "10 3", "5 2 1.5 2 1.5 2", "1 1", "10 2.5 3 2.5")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_NARROW = set("il.,:;|!'`ıj")
_SEMI = set("frtI()[]{}/\\-\" ")
_WIDE = set("mwMW@%")


def num(value: float) -> str:
    """A coordinate as short, stable text: at most two decimals, no trailing zeros, never ``-0``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def esc(text: object) -> str:
    """Text for an attribute or an element: characters XML refuses are dropped, markup characters escaped."""
    return escape(_CONTROL.sub("", str(text)), quote=True)


def attrs(**values: object) -> str:
    """`` name="value"`` pairs in the order given; None is left out, numbers rounded, ``_`` in a name is ``-``."""
    out = []
    for name, value in values.items():
        if value is None:
            continue
        text = num(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else esc(value)
        out.append(f' {name.rstrip("_").replace("_", "-")}="{text}"')
    return "".join(out)


def el(tag: str, content: str | None = None, **values: object) -> str:
    """One element; ``content`` is markup already written (escape text with ``esc``)."""
    return f"<{tag}{attrs(**values)}/>" if content is None else f"<{tag}{attrs(**values)}>{content}</{tag}>"


# --- text ------------------------------------------------------------------------------------------

def _em(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in "WF":
        return 1.0
    if ch in _NARROW:
        return 0.3
    if ch in _SEMI:
        return 0.4
    if ch in _WIDE:
        return 0.9
    if ch.isupper():
        return 0.7
    return 0.63 if ch.isdigit() else 0.6


def text_width(text: str, size: float) -> float:
    """Estimated width of ``text`` at font ``size`` (a little generous, so estimated layouts do not collide)."""
    return sum(_em(ch) for ch in text) * size


def _units(text: str) -> list[str]:
    """Pieces a line may break after: words with their trailing space, and each CJK character on its own."""
    units, word = [], ""
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF":
            if unicodedata.category(ch).startswith("P") and ch in "，。、；：！？）】」』》" and (word or units):
                word += ch  # closing punctuation stays with what it closes
                continue
            if word:
                units.append(word)
            word = ch
            if ch not in "（【「『《":
                units.append(word)
                word = ""
        elif ch == " ":
            units.append(word + ch)
            word = ""
        else:
            word += ch
    if word:
        units.append(word)
    return units


def _greedy(units: list[str], width: float, size: float) -> list[str]:
    lines, line = [], ""
    for unit in units:
        if line and text_width((line + unit).rstrip(), size) > width:
            lines.append(line.rstrip())
            line = unit.lstrip()
        else:
            line += unit
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` where it can be: at spaces and between CJK characters
    (not inside a bracket's edge).  The lines are balanced: as many as ``width`` needs, but as narrow as that
    number allows, so no word is left alone on the last line.  A single word wider than ``width`` keeps its own
    line."""
    units = _units(text)
    lines = _greedy(units, width, size)
    low, high = max((text_width(u.strip(), size) for u in units), default=0.0), width
    if len(lines) > 1 and low < high:
        for _ in range(14):  # the narrowest width that still gives as many lines
            mid = (low + high) / 2
            low, high = (low, mid) if len(_greedy(units, mid, size)) <= len(lines) else (mid, high)
        lines = _greedy(units, high, size)
    return lines


def text(lines: list[str], x: float, y: float, size: float, *, anchor: str = "start", weight: str | None = None,
         rotate: float | None = None, fill: str | None = None, leading: float = 1.2, halo: bool = False) -> str:
    """Lines of text whose first baseline is at ``y``; ``rotate`` turns them about (x, y); ``halo`` outlines
    them in white so a line they cross does not strike them through."""
    spans = "".join(el("tspan", esc(line), x=x, dy=None if k == 0 else f"{num(leading)}em")
                    for k, line in enumerate(lines)) if len(lines) > 1 else esc(lines[0] if lines else "")
    return el("text", spans, x=x, y=y, font_size=size, text_anchor=None if anchor == "start" else anchor,
              font_weight=weight, fill=fill,
              **({"stroke": "#ffffff", "stroke_width": 3, "stroke_linejoin": "round", "paint_order": "stroke"} if halo else {}),
              transform=f"rotate({num(rotate)} {num(x)} {num(y)})" if rotate else None)


# --- marks -----------------------------------------------------------------------------------------

def marker(shape: str, x: float, y: float, size: float, colour: str, *, hollow: bool = False) -> str:
    """A marker of about ``size`` across centred on (x, y); hollow markers are white inside a coloured edge."""
    r = size / 2
    fill, stroke = ("#ffffff", colour) if hollow else (colour, colour)
    width = 1.4 if hollow else 0.8
    if shape == "circle":
        return el("circle", cx=x, cy=y, r=r, fill=fill, stroke=stroke, stroke_width=width)
    pts = _outline(shape, r)
    d = "M" + " L".join(f"{num(x + px)} {num(y + py)}" for px, py in pts) + " Z"
    return el("path", d=d, fill=fill, stroke=stroke, stroke_width=width, stroke_linejoin="round")


def _outline(shape: str, r: float) -> list[tuple[float, float]]:
    if shape == "square":
        s = r * 0.9
        return [(-s, -s), (s, -s), (s, s), (-s, s)]
    if shape == "triangle":
        return [(0, -r * 1.1), (r * 1.05, r * 0.75), (-r * 1.05, r * 0.75)]
    if shape == "triangle-down":
        return [(0, r * 1.1), (r * 1.05, -r * 0.75), (-r * 1.05, -r * 0.75)]
    if shape == "diamond":
        return [(0, -r * 1.2), (r * 0.9, 0), (0, r * 1.2), (-r * 0.9, 0)]
    if shape in ("plus", "cross"):  # a thick cross, turned 45 degrees for "cross"
        a, b = r * 1.1, r * 0.38
        pts = [(-b, -a), (b, -a), (b, -b), (a, -b), (a, b), (b, b), (b, a), (-b, a), (-b, b), (-a, b), (-a, -b), (-b, -b)]
        if shape == "cross":
            c = math.sqrt(0.5)
            pts = [((px - py) * c, (px + py) * c) for px, py in pts]
        return pts
    if shape == "star":
        return [(r * 1.25 * math.sin(k * math.pi / 5) * (1 if k % 2 == 0 else 0.45),
                 -r * 1.25 * math.cos(k * math.pi / 5) * (1 if k % 2 == 0 else 0.45)) for k in range(10)]
    raise ValueError(f"unknown marker {shape!r}")


def polyline(points: list[tuple[float, float]]) -> str:
    """Path data through ``points``."""
    return "M" + " L".join(f"{num(x)} {num(y)}" for x, y in points)


# --- the document ----------------------------------------------------------------------------------

def document(key: str, width: float, height: float, title: str, desc: str, body: list[str]) -> str:
    """The chart as inline SVG: ``role="img"`` named by its ``<title>`` and described by its ``<desc>`` (ids under
    ``key``); no width or height, so it scales to its container (app.css ``.chart``)."""
    head = (f'<svg class="chart" role="img" aria-labelledby="{esc(key)}-title {esc(key)}-desc" '
            f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {num(width)} {num(height)}"'
            f'{attrs(font_family=FONT, fill=INK)}>')
    return "\n".join([head, el("title", esc(title), id=f"{key}-title") + el("desc", esc(desc), id=f"{key}-desc"),
                      *body, "</svg>"])
