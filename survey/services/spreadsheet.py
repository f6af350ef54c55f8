"""Cells that a spreadsheet reads as data, never as a formula (CSV and XLSX exports).

Excel and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or
CR, the same) as a formula, even from a CSV file.  Such text gets a leading ``'``, which the
spreadsheet shows as plain text; a number typed as text (``-0.12``, ``+3.5%``) is left alone.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*)?\.?\d+(?:[eE][+-]?\d+)?%?")
# characters XML 1.0 (so XLSX) cannot hold
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutral(value: Any) -> Any:
    """``value`` unchanged, unless it is text a spreadsheet would run as a formula: then ``'`` + text."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutral_row(row) -> list:
    return [neutral(v) for v in row]


def xlsx_row(sheet, row) -> list:
    """``row`` as write-only cells: text always stored as a string (never ``<f>``), neutralised."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in row:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, XML_ILLEGAL.sub("", neutral(value)))
            cell.data_type = "s"
        else:
            cell = WriteOnlyCell(sheet, value)
        cells.append(cell)
    return cells
