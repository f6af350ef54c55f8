"""Server-rendered charts: matplotlib (Agg, no pyplot) to inline, accessible SVG strings.

Each chart carries a ``<title>`` and ``<desc>`` and is meant to sit beside a data
table with the same numbers.  Series are ``<g id="series-<key>">`` groups (the
matplotlib ``gid``) with ``data-values`` holding the figures exactly as the
table prints them, so a test or a reader can match chart and table.
"""

from __future__ import annotations

import functools
import io
import json
import re
import textwrap
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib loads on the first chart, not when a worker starts
    from matplotlib.figure import Figure

PALETTE = ("#0b4f8a", "#b00020", "#146c2e", "#8a4f0b", "#5b2a86", "#00707a", "#555e68", "#a0307a")
# series differ by marker and line style as well as colour (readable in grey and for colour-blind readers)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DASHES = ("-", "--", "-.", ":", (0, (6, 2)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2, 2, 2)))
RC = {
    "text.parse_math": False,  # names are plain text: "W7 $\\frac{$" is not a formula
    "svg.fonttype": "none",  # text stays text: the browser draws Chinese with its own fonts
    "svg.hashsalt": "survey-charts",  # stable ids, so the same data gives the same SVG
    "font.family": ["sans-serif"],
    "font.sans-serif": ["Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "DejaVu Sans"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@contextmanager
def _drawing() -> Iterator[None]:
    """matplotlib settings for our charts; a CJK glyph missing from the server's fonts is no matter,
    since the SVG keeps text as text and the reader's browser draws it."""
    from matplotlib import rc_context

    with rc_context(RC), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        yield


@dataclass(frozen=True)
class Line:
    """One series: ``values`` and interval bounds per x position (None where there is no estimate)."""

    key: str
    label: str
    values: list[float | None]
    low: list[float | None]
    high: list[float | None]
    texts: list[str]  # the values as the table prints them


MEMO_SIZE = 128  # charts kept per process (an SVG is some tens of kB)


def memoized(draw: Callable[..., str]) -> Callable[..., str]:
    """Keep the last ``MEMO_SIZE`` charts by their arguments: a chart is a pure function of them (the
    SVG is stable for the same data), and matplotlib takes a few hundred milliseconds to lay one out."""
    cache: OrderedDict[str, str] = OrderedDict()
    lock = threading.Lock()

    def plain(value):
        return asdict(value) if is_dataclass(value) else repr(value)

    @functools.wraps(draw)
    def wrapper(*args, **kwargs) -> str:
        key = json.dumps([args, kwargs], default=plain, sort_keys=True, ensure_ascii=False)
        with lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        svg = draw(*args, **kwargs)
        with lock:
            cache[key] = svg
            while len(cache) > MEMO_SIZE:
                cache.popitem(last=False)
        return svg

    wrapper.cache_clear = cache.clear
    return wrapper


def warm_up() -> None:
    """Load matplotlib and its font list by drawing one small chart.

    ``survey serve`` calls this in the gunicorn master before the workers fork, so they share the
    loaded library and no reader waits for it on a worker's first chart.
    """
    trend_chart("warm-up", "", "", ["1"], [Line("all", "1", [1.0], [None], [None], ["1"])], y_label="")


def _svg(fig: Figure, key: str, title: str, desc: str, series: dict[str, tuple[str, list[str]]]) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    own = set(series)

    def rename(m: re.Match) -> str:
        ident = m.group(2)
        return m.group(0) if ident in own else f'{m.group(1)}{key}-{ident}"'

    text = re.sub(r'(\bid=")([^"]+)"', rename, text)
    text = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{key}-{m.group(1)})", text)
    text = re.sub(r'(href=")#([^"]+)"', lambda m: f'{m.group(1)}#{key}-{m.group(2)}"', text)
    head = re.match(r"<svg[^>]*>", text).group(0)
    new_head = re.sub(r'\s(width|height)="[^"]*"', "", head).replace(
        "<svg", f'<svg class="chart" role="img" aria-labelledby="{key}-title {key}-desc"', 1)
    text = text.replace(head, new_head + f'\n<title id="{key}-title">{escape(title)}</title>'
                                         f'<desc id="{key}-desc">{escape(desc)}</desc>', 1)
    for ident, (label, texts) in series.items():
        text = text.replace(f'<g id="{ident}">', f'<g id="{ident}" data-values="{escape(";".join(texts))}">'
                                                  f"<title>{escape(label)}: {escape('; '.join(texts))}</title>", 1)
    return text.strip()


def _draw_line(ax, k: int, line: Line, xs: list[int], id_prefix: str, hollow: list[int] = ()) -> bool:
    """One series on ``ax`` in its own colour, marker and dash pattern, open markers at the ``hollow`` x
    positions; SVG ids ``<prefix>series-``, ``band-`` and ``provisional-<key>``. False when it has no estimate."""
    colour, marker = PALETTE[k % len(PALETTE)], MARKERS[k % len(MARKERS)]
    pts = [(x, v, lo, hi) for x, v, lo, hi in zip(xs, line.values, line.low, line.high, strict=True) if v is not None]
    if not pts:
        return False
    px, pv, _plo, _phi = zip(*pts, strict=True)
    band = [(x, lo, hi) for x, _, lo, hi in pts if lo is not None and hi is not None]
    if band:
        bx, blo, bhi = zip(*band, strict=True)
        ax.fill_between(bx, blo, bhi, color=colour, alpha=0.12, linewidth=0, gid=f"{id_prefix}band-{line.key}")
    width = 2.6 if line.key == "all" else 1.6
    filled = [i for i, x in enumerate(px) if x not in hollow]
    ax.plot(px, pv, marker=marker, markersize=5, color=colour, linewidth=width, linestyle=DASHES[k % len(DASHES)],
            label=line.label, gid=f"{id_prefix}series-{line.key}", markevery=filled)
    open_pts = [(x, v) for x, v in zip(px, pv, strict=True) if x in hollow]
    if open_pts:
        ox, ov = zip(*open_pts, strict=True)
        ax.plot(ox, ov, marker=marker, markersize=6, linestyle="none", markerfacecolor="white",
                markeredgecolor=colour, gid=f"{id_prefix}provisional-{line.key}")
    return True


@memoized
def trend_chart(key: str, title: str, desc: str, x_labels: list[str], lines: list[Line], *,
                y_label: str, id_prefix: str = "", hollow: list[int] = (), narrow: bool = False) -> str:
    """Estimates over waves: a line per series with its 95% interval band; SVG ids ``<prefix>series-<key>``.

    Points at the x positions in ``hollow`` (waves still in the field) are drawn as open markers.
    ``narrow=True`` draws small multiples for a phone instead: one panel per series, stacked, on a shared
    y axis, about 260 pt wide, so the text stays near its set size on a 375 px screen.
    """
    if narrow:
        return _trend_panels(key, title, desc, x_labels, lines, y_label=y_label, id_prefix=id_prefix, hollow=hollow)
    with _drawing():
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7.2, 4.0))
        ax = fig.add_subplot()
        xs = list(range(len(x_labels)))
        series = {}
        for k, line in enumerate(lines):
            gid = f"{id_prefix}series-{line.key}"
            if _draw_line(ax, k, line, xs, id_prefix, hollow):
                series[gid] = (line.label, line.texts)
        ax.set_xticks(xs, x_labels)
        ax.set_ylabel(y_label)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        if series:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        fig.tight_layout()
        return _svg(fig, key, title, desc, series)


def _trend_panels(key: str, title: str, desc: str, x_labels: list[str], lines: list[Line], *,
                  y_label: str, id_prefix: str, hollow: list[int] = ()) -> str:
    with _drawing():
        from matplotlib.figure import Figure

        shown = [(k, line) for k, line in enumerate(lines) if any(v is not None for v in line.values)]
        fig = Figure(figsize=(3.6, 0.4 + 1.45 * max(1, len(shown))))
        axes = fig.subplots(max(1, len(shown)), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
        xs = list(range(len(x_labels)))
        series = {}
        for ax, (k, line) in zip(axes, shown, strict=False):
            gid = f"{id_prefix}series-{line.key}"
            _draw_line(ax, k, line, xs, id_prefix, hollow)
            series[gid] = (line.label, line.texts)
            ax.set_title(line.label, loc="left", fontsize=10, fontweight="bold")
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)
            ax.locator_params(axis="y", nbins=3)
        axes[-1].set_xticks(xs, x_labels, rotation=30 if len(xs) > 4 else 0, ha="right" if len(xs) > 4 else "center")
        fig.supylabel(y_label, fontsize=10)
        fig.tight_layout()
        return _svg(fig, key, title, desc, series)


@memoized
def driver_chart(key: str, title: str, desc: str, points: list[tuple[str, str, float, float, str]], *,
                 x_label: str, y_label: str, narrow: bool = False) -> str:
    """Importance–performance grid: ``(code, label, importance %, performance, text)`` per item.

    ``narrow=True``: for a phone, about 260 pt wide, labels wrapped and kept inside the axes
    (SVG ids ``narrow-item-<code>``)."""
    with _drawing():
        from matplotlib.figure import Figure

        fig = Figure(figsize=(3.6, 4.4) if narrow else (7.2, 4.4))
        ax = fig.add_subplot()
        usable = [p for p in points if p[2] == p[2] and p[3] == p[3]]
        middle = (min(p[2] for p in usable) + max(p[2] for p in usable)) / 2 if usable else 0
        series = {}
        for code, label, x, y, text in usable:
            gid = f"{'narrow-' if narrow else ''}item-{code}"
            ax.plot([x], [y], marker="o", markersize=7, linestyle="none", color=PALETTE[0], gid=gid)
            if narrow:  # wrapped, and to the left of points in the right half, so labels stay on the chart
                left = x > middle
                ax.annotate(textwrap.fill(label, 18), (x, y), textcoords="offset points", xytext=(-5 if left else 5, 3),
                            ha="right" if left else "left", fontsize=7)
            else:
                ax.annotate(label, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8)
            series[gid] = (label, [text])
        if usable:
            ax.axvline(sum(p[2] for p in usable) / len(usable), color="#888888", linestyle="--", linewidth=0.8)
            ax.axhline(sum(p[3] for p in usable) / len(usable), color="#888888", linestyle="--", linewidth=0.8)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        fig.tight_layout()
        return _svg(fig, key, title, desc, series)
