"""What a quality team needs from the files: comments and contact requests (quality role only), the AAPOR
code as a number in the .sav, and page CSVs with one plain number per cell. Every file is read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pyreadstat
import pytest
from openpyxl import load_workbook

from tests.factories import full_answers, make_client, make_invitation
from tests.factories_quality import add_cases, make_clients, quality_wave, record_draw, scores

COMMENT = "排队太久 the queue was too long"


@pytest.fixture
def wave(db, client):
    first = quality_wave(db, "2026-Q2", dt.date(2026, 4, 1))
    wave = quality_wave(db, "2026-Q3", dt.date(2026, 7, 1))
    for w in (first, wave):
        record_draw(db, w, {"private": 40, "gold": 19_691})
        add_cases(db, w, make_clients(db, "private", 6), "private", answers=scores({5: 2, 4: 2}), dispositions=["2.11"])
        add_cases(db, w, make_clients(db, "gold", 7), "gold", answers=scores({3: 3, 2: 2}), dispositions=["4.32", "3.13"])
    inv, token = make_invitation(db, wave=wave, client=make_client(db, contribution=7_000_000))
    db.commit()
    # a client answers the web link with a comment and a contact request
    answered = client.post(f"/s/{token}", data=full_answers(wave, comment=COMMENT, contact_request="yes"))
    assert answered.status_code == 302
    return wave


def _csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _sav(data: bytes, tmp_path):
    path = tmp_path / "wave.sav"
    path.write_bytes(data)
    return pyreadstat.read_sav(str(path))


def test_quality_role_exports_carry_comment_and_contact_request(wave, client, as_role, tmp_path):
    as_role("quality")
    rows = _csv_rows(client.get(f"/quality/export/csv?wave={wave.id}").data)
    answered = [r for r in rows if r["comment"]]
    assert len(answered) == 1 and answered[0]["comment"] == COMMENT
    assert answered[0]["contact_request"] == "yes" and answered[0]["contact_request_label"].startswith("Yes, please")
    assert sum(r["contact_request"] == "" for r in rows) == len(rows) - 1

    book = load_workbook(io.BytesIO(client.get(f"/quality/export/xlsx?wave={wave.id}").data))
    sheet = list(book["responses"].iter_rows(values_only=True))
    col = {name: i for i, name in enumerate(sheet[0])}
    assert [r[col["comment"]] for r in sheet[1:] if r[col["comment"]]] == [COMMENT]
    assert [r[col["contact_request"]] for r in sheet[1:] if r[col["contact_request"]]] == ["yes"]
    book.close()

    frame, meta = _sav(client.get(f"/quality/export/sav?wave={wave.id}").data, tmp_path)
    assert list(frame.loc[frame["comment"] != "", "comment"]) == [COMMENT]
    codes = meta.variable_value_labels["contact_request"]
    chosen = frame["contact_request"].dropna().map(codes).tolist()
    assert len(chosen) == 1 and chosen[0].startswith("yes Yes, please contact me")


@pytest.mark.parametrize("role", ["supervisor", "admin", "branch_head"])
def test_other_roles_exports_leave_comments_out(wave, client, as_role, role, tmp_path):
    as_role(role)
    header = next(csv.reader(io.StringIO(client.get(f"/quality/export/csv?wave={wave.id}").data.decode("utf-8-sig"))))
    assert "comment" not in header and "contact_request" not in header
    assert COMMENT not in client.get(f"/quality/export/csv?wave={wave.id}").data.decode("utf-8-sig")
    book = load_workbook(io.BytesIO(client.get(f"/quality/export/xlsx?wave={wave.id}").data), read_only=True)
    assert "comment" not in next(book["responses"].iter_rows(values_only=True))
    book.close()
    frame, _meta = _sav(client.get(f"/quality/export/sav?wave={wave.id}").data, tmp_path)
    assert "comment" not in frame.columns and "contact_request" not in frame.columns


def test_sav_keeps_the_aapor_code_as_a_number_with_labels(wave, client, as_role, tmp_path):
    as_role("quality")
    frame, meta = _sav(client.get(f"/quality/export/sav?wave={wave.id}").data, tmp_path)
    # 4 + 5 completes from the fieldwork, 1 from the web link
    assert (frame["disposition"] == 1.1).sum() == 10
    assert (frame["disposition"] == 2.11).sum() == 1 and (frame["disposition"] == 4.32).sum() == 1
    assert set(frame["disposition"].dropna()) == {1.1, 2.11, 4.32, 3.13}
    labels = meta.variable_value_labels["disposition"]
    assert labels[1.1] == "1.1 Complete 完成" and labels[2.11].startswith("2.11 Refusal")
    assert meta.original_variable_types["disposition"].startswith("F")
    # the respondent flag agrees with the numeric code
    assert ((frame["disposition"] == 1.1) == (frame["responded"] == 1)).all()


@pytest.mark.parametrize("page", ["/quality/", "/quality/trends", "/quality/drivers", "/quality/scorecards?group=branch",
                                  "/quality/response"])
def test_page_csvs_hold_one_plain_number_per_cell(wave, client, as_role, page):
    as_role("quality")
    sep = "&" if "?" in page else "?"
    text = client.get(f"{page}{sep}wave={wave.id}&format=csv&lang=en").data.decode("utf-8-sig")
    blocks = [b for b in text.split("\r\n\r\n") if b.strip()]
    numbers = 0
    for block in blocks:
        rows = list(csv.reader(io.StringIO(block)))
        header, body = rows[1], rows[2:]
        for row in body:
            for name, cell in zip(header[1:], row[1:], strict=True):
                # a cell is empty, one number, or words without any figure ("▲ Significant rise")
                if re.search(r"\d", cell):
                    float(cell)  # raises on "19,691", "[3.54, 3.85]", "<0.001", "+0.12 (p 0.03)"
                    numbers += 1
                else:
                    assert cell != "—", name
    assert numbers >= 4


def test_overview_csv_gives_estimate_low_and_high_apart_without_separators(wave, client, as_role):
    as_role("quality")
    text = client.get(f"/quality/?wave={wave.id}&format=csv&lang=en").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text.split("\r\n\r\n")[0])))
    header = rows[1]
    est, low, high = header.index("Estimate"), header.index("Estimate — 95% interval, low"), header.index("Estimate — 95% interval, high")
    clients = header.index("Clients (N_h)")
    gold = next(r for r in rows[2:] if r[0] == "Gold")
    assert gold[clients] == "19691"
    assert float(gold[low]) <= float(gold[est]) <= float(gold[high])
    assert float(gold[est]) == pytest.approx(2.6, abs=0.005)  # 3 x 3 and 2 x 2 in one tier: mean 2.60
