"""The charts' own SVG writer: well-formed, accessible, escaped, deterministic, and drawn where the data says.

The geometry tests read a chart back: the value of each point is recovered from the y tick labels and their
grid lines, and each point must sit on its wave's tick mark, so a wrong scale, an off-by-one x position or a
series drawn against the wrong axis fails here, not only in a reader's eye.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.services import charts
from survey.services.charts import scale, svg

NS = "{http://www.w3.org/2000/svg}"
MATH = r"W7 $\frac{$ math"


def parse(text: str) -> ET.Element:
    assert text.count("<svg") == 1 and text.startswith("<svg") and text.endswith("</svg>")
    return ET.fromstring(text)


def line(key, label, values, spread=0.1, texts=None):
    return charts.Line(key, label, values, [None if v is None else v - spread for v in values],
                       [None if v is None else v + spread for v in values],
                       texts or ["—" if v is None else f"{v:.2f}" for v in values])


TIERS = [line("all", "Bank (all tiers)", [3.74, 3.79, 3.80, 3.63, 3.63], 0.05),
         line("private", "Private banking", [4.41, 4.43, 4.27, 4.56, 4.30], 0.12),
         line("diamond", "Diamond", [4.17, 4.26, 4.28, 4.19, 4.25]),
         line("platinum", "Platinum", [4.05, None, 4.18, 4.10, 4.12]),
         line("gold", "Gold", [3.81, 3.84, 3.88, 3.75, 3.69]),
         line("standard", "Standard", [3.66, 3.71, 3.71, 3.51, 3.53], 0.16),
         line("none", "No estimate", [None] * 5)]
WAVES = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4 (provisional)"]


def ids(root: ET.Element) -> list[str]:
    return [e.get("id") for e in root.iter() if e.get("id")]


def series_lines(root: ET.Element) -> dict[str, list[tuple[float, float]]]:
    """Series id -> the vertices of its line."""
    out = {}
    for g in root.iter(f"{NS}g"):
        if (g.get("id") or "").split("series-")[0] in ("", "narrow-") and "series-" in (g.get("id") or ""):
            path = next(p for p in g.iter(f"{NS}path") if p.get("fill") == "none")
            out[g.get("id")] = [(float(x), float(y)) for x, y in re.findall(r"[ML]([-\d.]+) ([-\d.]+)", path.get("d"))]
    return out


def y_reader(root: ET.Element):
    """value(y) from the y tick labels and their grid lines (the first panel's, for small multiples)."""
    grid = [float(re.match(r"M[-\d.]+ ([-\d.]+)", p.get("d")).group(1)) for p in root.iter(f"{NS}path")
            if p.get("stroke") == svg.GRID]
    labels = [float(t.text) for t in root.iter(f"{NS}text") if t.get("text-anchor") == "end" and t.text
              and re.fullmatch(r"-?[\d.]+", t.text)]
    n = len(set(labels))
    (y0, v0), (y1, v1) = (grid[0], labels[0]), (grid[n - 1], labels[n - 1])
    return lambda y: v0 + (y - y0) * (v1 - v0) / (y1 - y0)


def x_ticks(root: ET.Element) -> list[float]:
    return [float(m.group(1)) for p in root.iter(f"{NS}path") if (m := re.fullmatch(r"M([-\d.]+) [-\d.]+ v4", p.get("d")))]


# --- the writer's pieces ----------------------------------------------------------------------------

def test_numbers_are_short_and_stable():
    assert [svg.num(v) for v in (1.0, 1.005, 2.5, -0.001, 0, 123.456, 1e-9)] == ["1", "1", "2.5", "0", "0", "123.46", "0"]


def test_text_is_escaped_and_characters_xml_refuses_are_dropped():
    assert svg.esc('<a href="x">&\x00\x1b\x7f</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert svg.esc("line\nbreak\ttab") == "line\nbreak\ttab"


def test_wrap_breaks_at_spaces_and_between_chinese_characters():
    lines = svg.wrap("Your relationship manager's contact with you", 110, 10.5)
    assert " ".join(lines) == "Your relationship manager's contact with you" and len(lines) == 3
    assert all(svg.text_width(x, 10.5) <= 110 for x in lines)
    assert svg.wrap("2026-Q4 (provisional)", 94, 12) == ["2026-Q4", "(provisional)"]
    assert svg.wrap("2026-Q4（暂定）", 94, 12) == ["2026-Q4", "（暂定）"]  # balanced: not "2026-Q4（暂" and "定）"
    lines = svg.wrap("您的客户经理与您的联系（次数）", 60, 12)
    assert "".join(lines) == "您的客户经理与您的联系（次数）" and len(lines) == 3
    assert all(svg.text_width(x, 12) <= 60 for x in lines)
    assert not any(x.startswith("）") for x in lines)  # closing brackets stay with what they close
    assert svg.wrap("Supercalifragilistic", 20, 12) == ["Supercalifragilistic"]  # a long word keeps its line
    assert svg.wrap("", 50, 12) == [""]


def test_chinese_text_is_measured_wider_than_latin():
    assert svg.text_width("满意度", 12) == pytest.approx(36) and svg.text_width("abc", 12) < 24


@pytest.mark.parametrize(("low", "high", "target"), [(3.27, 4.73, 6), (3.27, 4.73, 3), (8.6, 15.3, 4), (-0.05, 1.05, 6),
                                                     (0.00091, 0.00209, 5), (-9.15, 126.15, 6), (1e6, 1.3e6, 6)])
def test_ticks_are_round_inside_the_range_and_about_as_many_as_asked(low, high, target):
    ticks = scale.nice_ticks(low, high, target)
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
    assert low <= ticks[0] and ticks[-1] <= high and 2 <= len(ticks) <= target + 1
    assert all(math.isclose(b - a, step) for a, b in zip(ticks, ticks[1:], strict=False))
    labels = scale.tick_labels(ticks)
    assert len({len(x.partition(".")[2]) for x in labels}) == 1  # all with the same decimals
    assert [float(x) for x in labels] == pytest.approx(ticks)


def test_an_axis_widens_a_single_value_and_an_empty_one():
    ticks, lo, hi = scale.axis([4.0])
    assert lo < 4.0 < hi and ticks
    ticks, lo, hi = scale.axis([])
    assert lo < 0 and hi > 1 and scale.tick_labels(ticks)[0] == "0.0"


def test_every_marker_is_a_closed_shape_centred_on_its_point():
    for shape in svg.MARKERS:
        root = ET.fromstring(f'<svg xmlns="http://www.w3.org/2000/svg">{svg.marker(shape, 50, 40, 8, "#000")}</svg>')
        el = root[0]
        if el.tag == f"{NS}circle":
            assert (el.get("cx"), el.get("cy")) == ("50", "40")
            continue
        pts = [(float(x), float(y)) for x, y in re.findall(r"([-\d.]+) ([-\d.]+)", el.get("d"))]
        assert el.get("d").endswith("Z") and len(pts) >= 3
        assert all(abs(x - 50) <= 6 and abs(y - 40) <= 6 for x, y in pts)


# --- trend charts ------------------------------------------------------------------------------------

def test_trend_chart_is_an_accessible_image_with_title_and_description():
    root = parse(charts.trend_chart("chart-mean", "Mean <1–5>", 'The "same" figures & more', WAVES, TIERS,
                                    y_label="Mean", hollow=[4]))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "chart-mean-title chart-mean-desc"
    assert root.find(f"{NS}title").get("id") == "chart-mean-title" and root.find(f"{NS}title").text == "Mean <1–5>"
    assert root.find(f"{NS}desc").text == 'The "same" figures & more'
    assert root.get("viewBox").startswith("0 0 ") and root.get("width") is None and root.get("class") == "chart"
    # no style attribute or element: the pages' CSP allows no inline style
    assert not [e for e in root.iter() if e.get("style") is not None or e.tag == f"{NS}style"]


def test_ids_are_unique_and_all_but_the_series_start_with_the_chart_key():
    for narrow, prefix in ((False, ""), (True, "narrow-")):
        root = parse(charts.trend_chart("chart-x", "T", "D", WAVES, TIERS, y_label="Mean", id_prefix=prefix,
                                        hollow=[4], narrow=narrow))
        found = ids(root)
        assert len(found) == len(set(found))
        own = {f"{prefix}series-{t.key}" for t in TIERS if t.key != "none"}
        assert own <= set(found)
        assert all(i.startswith("chart-x-") for i in set(found) - own), set(found) - own
        assert f"chart-x-{prefix}provisional-all" in found and f"chart-x-{prefix}band-standard" in found


def test_series_carry_the_table_figures_in_order_with_a_title():
    root = parse(charts.trend_chart("k", "T", "D", WAVES, TIERS, y_label="Mean"))
    groups = [g for g in root.iter(f"{NS}g") if (g.get("id") or "").startswith("series-")]
    assert [g.get("id") for g in groups] == [f"series-{t.key}" for t in TIERS[:-1]]  # no estimate, no series
    assert groups[3].get("data-values") == "4.05;—;4.18;4.10;4.12"
    assert groups[0][0].tag == f"{NS}title" and groups[0][0].text == "Bank (all tiers): 3.74; 3.79; 3.80; 3.63; 3.63"


def test_each_point_sits_at_its_value_and_its_wave():
    root = parse(charts.trend_chart("k", "T", "D", WAVES, TIERS, y_label="Mean", hollow=[4]))
    value_at, xs = y_reader(root), x_ticks(root)
    assert len(xs) == len(WAVES) and xs == sorted(xs)
    for t in TIERS[:-1]:
        vertices = series_lines(root)[f"series-{t.key}"]
        expected = [(xs[i], v) for i, v in enumerate(t.values) if v is not None]
        assert [x for x, _ in vertices] == [x for x, _ in expected]
        assert [value_at(y) for _, y in vertices] == pytest.approx([v for _, v in expected], abs=1e-3)


def test_bands_span_each_interval():
    root = parse(charts.trend_chart("k", "T", "D", WAVES, TIERS[:1], y_label="Mean"))
    value_at = y_reader(root)
    band = next(p for p in root.iter(f"{NS}path") if p.get("id") == "k-band-all")
    ys = [value_at(float(y)) for y in re.findall(r"[-\d.]+ ([-\d.]+)", band.get("d"))]
    assert ys[:5] == pytest.approx([v + 0.05 for v in TIERS[0].values], abs=1e-3)
    assert ys[5:] == pytest.approx([v - 0.05 for v in reversed(TIERS[0].values)], abs=1e-3)
    assert band.get("fill-opacity") and band.get("fill") == svg.PALETTE[0]


def test_series_differ_by_marker_and_dash_pattern_not_only_colour():
    lines = [line(f"s{k}", f"Series {k}", [1.0 + k, 2.0 + k]) for k in range(8)]
    root = parse(charts.trend_chart("k", "T", "D", ["A", "B"], lines, y_label="y"))
    looks = []
    for k in range(8):
        g = next(g for g in root.iter(f"{NS}g") if g.get("id") == f"series-s{k}")
        path = next(p for p in g if p.get("fill") == "none")
        mark, (px, py) = g[2], series_lines(root)[f"series-s{k}"][0]
        shape = "circle" if mark.tag == f"{NS}circle" else tuple(
            (round(float(x) - px, 1), round(float(y) - py, 1)) for x, y in re.findall(r"([-\d.]+) ([-\d.]+)", mark.get("d")))
        looks.append((shape, path.get("stroke-dasharray")))
    assert len({shape for shape, _ in looks}) == 8 and len({dash for _, dash in looks}) == 8


def test_waves_in_the_field_get_open_markers_and_final_waves_filled_ones():
    root = parse(charts.trend_chart("chart-mean", "T", "D", WAVES, TIERS[:2], y_label="Mean", hollow=[4]))
    for t in TIERS[:2]:
        series = next(g for g in root.iter(f"{NS}g") if g.get("id") == f"series-{t.key}")
        provisional = next(g for g in root.iter(f"{NS}g") if g.get("id") == f"chart-mean-provisional-{t.key}")
        assert len(series) - 2 == 4 and all(m.get("fill") != "#ffffff" for m in list(series)[2:])
        assert len(provisional) == 1 and provisional[0].get("fill") == "#ffffff"
        assert provisional[0].get("stroke") == series[1].get("stroke")
    root = parse(charts.trend_chart("chart-mean", "T", "D", WAVES, TIERS[:2], y_label="Mean"))
    assert not [g for g in root.iter(f"{NS}g") if "provisional" in (g.get("id") or "")]


def test_the_legend_names_every_series_with_its_line_and_marker():
    root = parse(charts.trend_chart("k", "T", "D", WAVES, TIERS, y_label="Mean"))
    legend = next(g for g in root.iter(f"{NS}g") if g.get("id") == "k-legend")
    assert ["".join(t.itertext()) for t in legend.iter(f"{NS}text")] == [t.label for t in TIERS[:-1]]
    assert [p.get("stroke-dasharray") for p in legend.iter(f"{NS}path") if p.get("d").endswith("h30")] == \
        list(svg.DASHES[:6])


def test_long_wave_names_wrap_or_slant_and_stay_on_the_chart():
    names = [f"Quarter number {k} of the long programme (provisional)" for k in range(8)]
    for narrow in (False, True):
        text = charts.trend_chart("k", "T", "D", names, [line("all", "Bank", [3.0 + k / 10 for k in range(8)])],
                                  y_label="Overall satisfaction (mean, 1–5)", narrow=narrow)
        root = parse(text)
        width = float(root.get("viewBox").split()[2])
        slanted = [t for t in root.iter(f"{NS}text") if (t.get("transform") or "").startswith("rotate(-35")]
        assert len(slanted) == 8
        for k, t in enumerate(slanted):  # each line's far end, turned 35 degrees about the label's anchor
            lines = [s.text for s in t.iter(f"{NS}tspan")] or [t.text]
            assert " ".join(lines) == names[k] and len(lines) > 1
            for n, text in enumerate(lines):
                reach = svg.text_width(text, 12) * math.cos(math.radians(35)) - n * 14.4 * math.sin(math.radians(35))
                assert 0 <= float(t.get("x")) - reach and float(t.get("x")) <= width


def test_a_name_like_mathtext_and_markup_is_plain_text():
    nasty = [MATH, "<script>alert(1)</script>", 'Tier "A" & B', "控制\x00字符", "]]> <!-- x -->"]
    root = parse(charts.trend_chart("k", MATH, "<b>", nasty, [line("all", MATH, [1, 2, 3, 4, 5])],
                                    y_label=MATH, hollow=[4]))
    texts = ["".join(t.itertext()) for t in root.iter(f"{NS}text")]
    assert MATH in texts and "<script>alert(1)</script>" in texts and "控制字符" in texts
    assert root.find(f"{NS}title").text == MATH and not list(root.iter("script"))


def test_the_same_data_gives_the_same_bytes():
    args = ("k", "T", "D", WAVES, TIERS)
    first = charts.trend_chart(*args, y_label="Mean", hollow=[4])
    charts.trend_chart.cache_clear()
    assert charts.trend_chart(*args, y_label="Mean", hollow=[4]) == first
    assert charts.trend_chart("k", "T", "D", WAVES, TIERS, y_label="Mean", hollow=[4], narrow=True) == \
        charts._trend_panels("k", "T", "D", WAVES, TIERS, y_label="Mean", id_prefix="", hollow=[4])


def test_small_multiples_have_a_panel_per_series_on_one_scale():
    root = parse(charts.trend_chart("chart-narrow-mean", "T", "D", WAVES, TIERS, y_label="Overall satisfaction",
                                    id_prefix="narrow-", hollow=[4], narrow=True))
    assert root.get("viewBox").split()[2] == "320"
    assert list(series_lines(root)) == [f"narrow-series-{t.key}" for t in TIERS[:-1]]
    bold = ["".join(t.itertext()) for t in root.iter(f"{NS}text") if t.get("font-weight") == "bold"]
    assert bold == [t.label for t in TIERS[:-1]]
    ticks = [t.text for t in root.iter(f"{NS}text") if t.get("text-anchor") == "end" and not t.get("transform")]
    assert len(ticks) % 6 == 0 and ticks == ticks[: len(ticks) // 6] * 6  # the same y labels on every panel
    assert "Overall satisfaction" in [t.text for t in root.iter(f"{NS}text")]
    wave_labels = [t for t in root.iter(f"{NS}text") if "".join(t.itertext()) == "2025-Q4"]
    assert len(wave_labels) == 1  # under the last panel only


@pytest.mark.parametrize("lines", [[], [line("all", "Bank", [None, None])],
                                   [charts.Line("all", "Bank", [4.0, None], [None, None], [None, None], ["4.00", "—"])],
                                   [line("all", "Bank", [float("nan"), 4.0])]])
def test_charts_with_little_or_no_data_still_draw(lines):
    for narrow in (False, True):
        parse(charts.trend_chart("k", "T", "D", ["Q1", "Q2"], lines, y_label="Mean", narrow=narrow))
    parse(charts.trend_chart("k", "T", "D", [], [], y_label="Mean"))


finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.lists(st.one_of(st.none(), finite), min_size=3, max_size=3), min_size=1, max_size=4),
       label=st.text(max_size=40), narrow=st.booleans())
def test_any_figures_and_names_give_a_well_formed_chart_with_points_where_they_belong(values, label, narrow):
    lines = [line(f"s{k}", label, vs, spread=0.5) for k, vs in enumerate(values)]
    text = charts.trend_chart("k", label, label, [label, "B", "C"], lines, y_label=label, hollow=[2], narrow=narrow)
    root = parse(text)
    if narrow:
        return
    shown = [ln for ln in lines if any(v is not None for v in ln.values)]
    drawn = series_lines(root)
    assert list(drawn) == [f"series-{ln.key}" for ln in shown]
    if shown:
        value_at = y_reader(root)
        every = [v for ln in shown for v in ln.values if v is not None]
        span = max(every) - min(every) + 1  # coordinates are kept to 0.01 units of a chart some 270 units high
        for ln in shown:
            expected = [v for v in ln.values if v is not None]
            assert [value_at(y) for _, y in drawn[f"series-{ln.key}"]] == pytest.approx(expected, abs=1e-4 * span)


# --- the importance-performance grid -------------------------------------------------------------------

ITEMS = [("courtesy", "Courtesy and attitude of our staff", 13.3, 3.683, "13.3%; 3.68"),
         ("understanding", "Understanding of your needs", 8.9, 3.641, "8.9%; 3.64"),
         ("branch", "Branch environment", 11.5, 3.626, "11.5%; 3.63"),
         ("speed", "Speed of handling your business", 12.45, 3.623, "12.5%; 3.62"),
         ("digital", "Mobile and online banking", 12.7, float("nan"), "12.7%; —"),
         ("fit", "How well our products fit your needs", 12.65, 3.544, "12.7%; 3.54"),
         ("manager", "Your relationship manager's contact with you", 14.95, 3.523, "15.0%; 3.52"),
         ("knowledge", "Professional knowledge of our staff", 13.6, 3.513, "13.6%; 3.51")]


@pytest.mark.parametrize("narrow", [False, True])
def test_driver_grid_places_each_item_with_its_figures_and_label(narrow):
    prefix = "narrow-" if narrow else ""
    root = parse(charts.driver_chart("chart-drivers", "Grid", "Desc", ITEMS, x_label="Importance, %",
                                     y_label="Performance", narrow=narrow))
    assert root.get("aria-labelledby") == "chart-drivers-title chart-drivers-desc"
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    items = {g.get("id"): g for g in root.iter(f"{NS}g") if "item-" in (g.get("id") or "")}
    assert list(items) == [f"{prefix}item-{c}" for c, *_ in ITEMS if c != "digital"]  # no performance, no point
    boxes = []
    for code, label, _imp, _perf, figures in ITEMS:
        if code == "digital":
            continue
        g = items[f"{prefix}item-{code}"]
        assert g.get("data-values") == figures and g[0].text == f"{label}: {figures}"
        lines = [t.text for t in g.iter(f"{NS}tspan")] or [g.find(f"{NS}text").text]
        assert " ".join(lines) == label
        t = g.find(f"{NS}text")
        x, y, size = float(t.get("x")), float(t.get("y")), float(t.get("font-size"))
        w = max(svg.text_width(s, size) for s in lines)
        x0 = {"end": x - w, "middle": x - w / 2}.get(t.get("text-anchor"), x)
        box = (x0, y - size * 0.8, x0 + w, y - size * 0.8 + size * (1.2 * len(lines) - 0.2))
        assert 0 <= box[0] and box[2] <= width and 0 <= box[1] and box[3] <= height, (code, box)
        boxes.append(box)
    overlaps = sum(max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1])) > 0
                   for k, a in enumerate(boxes) for b in boxes[k + 1:])
    assert overlaps == 0
    averages = next(g for g in root.iter(f"{NS}g") if g.get("id") == "chart-drivers-averages")
    assert [p.get("stroke-dasharray") for p in averages] == ["5 3", "5 3"]


def test_driver_points_sit_at_their_importance_and_performance():
    root = parse(charts.driver_chart("k", "G", "D", ITEMS, x_label="x", y_label="y"))
    value_at = y_reader(root)
    for code, _label, _imp, perf, _figures in ITEMS:
        if code == "digital":
            continue
        dot = next(g for g in root.iter(f"{NS}g") if g.get("id") == f"item-{code}").find(f"{NS}circle")
        assert value_at(float(dot.get("cy"))) == pytest.approx(perf, abs=1e-3)
    xs = sorted((float(next(g for g in root.iter(f"{NS}g") if g.get("id") == f"item-{c}").find(f"{NS}circle")
                       .get("cx")), imp) for c, _l, imp, p, _f in ITEMS if p == p)
    assert [imp for _x, imp in xs] == sorted(imp for _c, _l, imp, p, _f in ITEMS if p == p)


def test_driver_grid_without_items_draws_its_axes():
    root = parse(charts.driver_chart("k", "G", "D", [("a", "A", float("nan"), 3.0, "—")], x_label=MATH, y_label="y"))
    assert not [g for g in root.iter(f"{NS}g") if "item-" in (g.get("id") or "")]
    assert MATH in ["".join(t.itertext()) for t in root.iter(f"{NS}text")]
