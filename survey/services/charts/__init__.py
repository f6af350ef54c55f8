"""Server-rendered charts: inline, accessible SVG written by our own small writer (no plotting library).

Each chart carries a ``<title>`` and ``<desc>`` and is meant to sit beside a data table with the same
numbers.  Series are ``<g id="series-<key>">`` groups (driver items ``<g id="item-<code>">``) with
``data-values`` holding the figures exactly as the table prints them, so a test or a reader can match
chart and table; every other id starts with the chart's key, so several charts can share a page.
Series differ by colour, marker and dash pattern; a wave still in the field gets open markers.
"""

from survey.services.charts.driver import driver_chart
from survey.services.charts.memo import MEMO_SIZE, memoized
from survey.services.charts.svg import DASHES, MARKERS, PALETTE
from survey.services.charts.trend import Line, _trend_panels, trend_chart

__all__ = ["DASHES", "MARKERS", "MEMO_SIZE", "PALETTE", "Line", "_trend_panels", "driver_chart", "memoized",
           "trend_chart"]
