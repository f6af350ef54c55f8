"""A corpus of malformed client files (issue 11): every one refused with its line and field, on SQLite and
PostgreSQL alike, the client table unchanged, never a traceback, from the CLI and from the upload page."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from survey.models import Client
from survey.services.client_import import import_clients

HEADER = "client_no,name,phone,email,branch,manager_code,manager_name,contribution"


def good(no: int = 1, **kw) -> str:
    f = dict(client_no=f"N{no:05d}", name=f"客户{no}", phone="13900000000", email="", branch="BJ01",
             manager_code="RM001", manager_name="经理", contribution="1000")
    f.update(kw)
    return ",".join(f.values())


def text(*rows: str, header: str = HEADER, end: str = "\n") -> bytes:
    return (end.join([header, *rows]) + end).encode("utf-8")


# name: (file bytes, line, field) -- the first problem the import must name
CORPUS: dict[str, tuple[bytes, int, str]] = {
    "empty": (b"", 1, ""),
    "only-blank": (b"\n\n", 1, ""),
    "header-only-wrong": (b"foo,bar\n1,2\n", 1, "client_no"),
    "semicolon-delimiter": (text(good().replace(",", ";"), header=HEADER.replace(",", ";")), 1, "client_no"),
    "tab-delimiter": (text(good().replace(",", "\t"), header=HEADER.replace(",", "\t")), 1, "client_no"),
    "latin-1": (("\n".join([HEADER, good(name="Li", manager_name="M"), good(2, name="Zoé", manager_name="M")]) + "\n").encode("latin-1"), 3, "encoding"),
    "latin-1-name": (("\n".join([HEADER, good(name="René", manager_name="M")]) + "\n").encode("latin-1"), 2, "encoding"),
    "utf-16": (text(good()).decode().encode("utf-16"), 1, "encoding"),
    "utf-16-be": ("\ufeff".encode("utf-16-be") + text(good()).decode().encode("utf-16-be"), 1, "encoding"),
    "binary-png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, 4, "encoding"),  # 0x89 0x50 is GB18030
    "binary-zip": (b"PK\x03\x04" + b"\x00\xff\xfe\x80" * 200, 1, "encoding"),
    "huge-field": (text(good(), good(2, name="x" * 200_000)), 3, ""),
    "long-name": (text(good(name="名" * 129)), 2, "name"),
    "long-branch": (text(good(branch="B" * 33)), 2, "branch"),
    "long-manager": (text(good(manager_code="R" * 33)), 2, "manager_code"),
    "long-client-no": (text(good(client_no="C" * 33)), 2, "client_no"),
    "long-email": (text(good(email="a" * 250 + "@x.example")), 2, "email"),
    "overflow-1e30": (text(good(contribution="1e30")), 2, "contribution"),
    "overflow-1e999999999": (text(good(contribution="1e999999999")), 2, "contribution"),
    "nan": (text(good(contribution="nan")), 2, "contribution"),
    "infinity": (text(good(contribution="Infinity")), 2, "contribution"),
    "negative": (text(good(contribution="-5")), 2, "contribution"),
    "full-width-digits": (text(good(contribution="１２３")), 2, "contribution"),
    "superscript": (text(good(contribution="1²")), 2, "contribution"),
    "formula-branch": (text(good(branch="=1+2")), 2, "branch"),
    "formula-name": (text(good(name="=HYPERLINK(\"http://x\")")), 2, "name"),
    "formula-manager-at": (text(good(manager_code="@SUM(A1)")), 2, "manager_code"),
    "formula-plus": (text(good(manager_name="+cmd|' /C calc'!A0")), 2, "manager_name"),
    "nul-in-name": (text(good(), good(2, name="a\x00b")), 3, "name"),
    "nul-in-client-no": (text(good(client_no="N\x00")), 2, "client_no"),
    "unknown-branch": (text(good(), good(2, branch="ZZ99")), 3, "branch"),
    "bad-branch-code": (text(good(branch="北京 01")), 2, "branch"),
    "blank-line": (text(good(), "", good(2)), 3, ""),
    "blank-fields-line": (text(good(), ",,,,,,,", good(2)), 3, ""),
    "mixed-line-ends": (HEADER.encode() + b"\r\n" + good().encode() + b"\r" + good(2).encode() + b"\n", 2, ""),
    "lone-cr-in-field": (text('N00001,"Li\rSi",13900000000,,BJ01,RM001,x,5'), 2, ""),  # a lone CR ends a line: mixed line ends
    "too-few-fields": (text("N00001,Li,13900000000"), 2, ""),
    "too-many-fields": (text(good() + ",extra,fields"), 2, ""),
    "open-quote": (text(good(), 'N00002,"unclosed,13900000000,,BJ01,RM001,x,5' + "\n" + "x" * 140_000), 3, ""),
    "duplicate-client": (text(good(), good()), 3, "client_no"),
    "bad-phone": (text(good(phone="12345")), 2, "phone"),
    "bad-flag": (text(good() + ",perhaps", header=HEADER + ",opted_out"), 2, "opted_out"),
}


@pytest.fixture
def seeded(db):
    """One good import first: the branches BJ01 and SH01 are then the known ones."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.csv"
        path.write_bytes(text(good(90001), good(90002, branch="SH01")))
        import_clients(db, path, actor="test")
    db.commit()
    return db.scalar(select(func.count()).select_from(Client))


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_malformed_file_is_refused_with_line_and_field_by_the_cli(name, seeded, runner, db, tmp_path):
    data, line, field = CORPUS[name]
    path = tmp_path / f"{name}.csv"
    path.write_bytes(data)
    result = runner.invoke(args=["import-clients", str(path)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert f"{name}.csv:{line}: {field}:" in result.output, result.output
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Client)) == seeded


@pytest.mark.parametrize("name", ["utf-16", "huge-field", "overflow-1e999999999", "nul-in-name", "long-branch",
                                  "unknown-branch", "binary-png", "empty"])
def test_malformed_upload_is_refused_on_the_page(name, seeded, client, as_role, db):
    data, line, field = CORPUS[name]
    as_role("admin")
    r = client.post("/admin/import", data={"file": (io.BytesIO(data), f"{name}.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert str(line) in page and (field in page) and "Traceback" not in page
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Client)) == seeded
