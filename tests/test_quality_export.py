"""Full wave exports (CSV, XLSX, SPSS .sav) read back, weights sum to N per tier; the CLI report and export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

import pyreadstat
import pytest
from openpyxl import load_workbook

from tests.factories_quality import add_cases, make_clients, quality_wave, record_draw, scores

N = {"private": 40, "gold": 900}


@pytest.fixture
def waves(db):
    first = quality_wave(db, "2026-Q2", dt.date(2026, 4, 1))
    wave = quality_wave(db, "2026-Q3", dt.date(2026, 7, 1))
    for w in (first, wave):
        record_draw(db, w, N)
        add_cases(db, w, make_clients(db, "private", 6), "private", answers=scores({5: 2, 4: 2}), dispositions=["2.11", None])
        add_cases(db, w, make_clients(db, "gold", 7), "gold", answers=scores({3: 3, 2: 2}), dispositions=["4.32", "3.13"])
    db.commit()
    return first, wave


def weight_sums(rows) -> dict[str, float]:
    sums = defaultdict(float)
    for tier, weight in rows:
        if weight not in (None, ""):
            sums[tier] += float(weight)
    return dict(sums)


def test_csv_export_reads_back_with_labels_and_weights(waves, client, as_role):
    _first, wave = waves
    as_role("quality")
    r = client.get(f"/quality/export/csv?wave={wave.id}")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == 13  # every released case, respondents or not
    assert weight_sums((row["tier"], row["weight"]) for row in rows) == pytest.approx(N)
    refusal = next(row for row in rows if row["disposition"] == "2.11")
    assert refusal["outcome"] == "R" and refusal["weight"] == "" and refusal["disposition_label"].startswith("Refusal")
    assert sum(row["open"] == "1" and row["disposition"] == "3.11" for row in rows) == 1
    assert {row["tier_label"] for row in rows} == {"私人银行 Private banking", "金卡 Gold"}


def test_xlsx_export_reads_back_with_openpyxl(waves, client, as_role):
    _first, wave = waves
    as_role("supervisor")
    r = client.get(f"/quality/export/xlsx?wave={wave.id}")
    book = load_workbook(io.BytesIO(r.data), read_only=True)
    sheet = list(book["responses"].iter_rows(values_only=True))
    header, data = sheet[0], sheet[1:]
    col = {name: i for i, name in enumerate(header)}
    assert len(data) == 13
    assert weight_sums((row[col["tier"]], row[col["weight"]]) for row in data) == pytest.approx(N)
    labels = list(book["value labels"].iter_rows(values_only=True))
    assert ("overall", 5, "5 Very satisfied 非常满意") in labels
    book.close()


def test_sav_export_reads_back_with_value_labels(waves, client, as_role, tmp_path):
    _first, wave = waves
    as_role("admin")
    r = client.get(f"/quality/export/sav?wave={wave.id}")
    path = tmp_path / "wave.sav"
    path.write_bytes(r.data)
    frame, meta = pyreadstat.read_sav(str(path))
    assert len(frame) == 13
    assert meta.variable_value_labels["overall"][5.0] == "5 Very satisfied 非常满意"
    tiers = meta.variable_value_labels["tier"]
    assert {"private 私人银行 Private banking", "gold 金卡 Gold"} <= set(tiers.values())
    assert meta.column_names_to_labels["weight"].startswith("Design weight")
    frame["tier_name"] = frame["tier"].map(tiers)
    sums = frame.groupby("tier_name")["weight"].sum()
    assert sums["private 私人银行 Private banking"] == pytest.approx(40) and sums["gold 金卡 Gold"] == pytest.approx(900)
    assert meta.variable_value_labels["outcome"][frame["outcome"].iloc[0]].startswith("I Complete")


def test_cli_export_with_progress(waves, runner, tmp_path):
    _first, wave = waves
    out = tmp_path / "wave.xlsx"
    result = runner.invoke(args=["export", wave.name, "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "xlsx export written" in result.output and out.stat().st_size > 0
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["responses", "variables", "value labels"]
    book.close()
    missing = runner.invoke(args=["export", "no-such-wave", "--format", "csv", "--out", str(tmp_path / "x.csv")])
    assert missing.exit_code != 0 and "no wave named" in missing.output


def test_cli_report_writes_html_with_svg_and_table(waves, runner, tmp_path):
    _first, wave = waves
    out = tmp_path / "report.html"
    result = runner.invoke(args=["report", wave.name, "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and 'id="mean-series-private"' in html and 'id="mean-series-gold"' in html
    assert '<table id="overview-mean">' in html and '<table id="trend-mean">' in html
    assert "<style>" in html and 'rel="stylesheet"' not in html  # self-contained
    assert "Changes are from 2026-Q2." in html
