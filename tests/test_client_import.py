"""Client file import: all or nothing, errors naming file, line and field; encodings; upserts."""

import csv
from decimal import Decimal

import pytest
from sqlalchemy import select

from survey.errors import ImportRejected
from survey.models import AuditEvent, Branch, Client
from survey.services.client_import import import_clients

HEADER = ["client_no", "name", "phone", "email", "branch", "manager_code", "manager_name", "contribution"]


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def good_rows(n, start=0):
    return [[f"C{i:06d}", f"客户{i}", f"139{i:08d}", f"c{i}@example.com" if i % 2 else "", "BJ01" if i % 3 else "SH01",
             f"RM{i % 5:03d}", f"经理{i % 5}", str(10 ** (i % 8) + 0.5)] for i in range(start, start + n)]


def snapshot(db):
    return [tuple(r) for r in db.execute(select(Client.client_no, Client.name, Client.contribution, Client.tier_code).order_by(Client.client_no))]


def test_good_file_imports_every_row_with_tiers(db, tmp_path):
    path = write_csv(tmp_path / "clients.csv", good_rows(300))
    result = import_clients(db, path, actor="test")
    assert (result.rows, result.inserted, result.updated) == (300, 300, 0)
    tiers = dict(db.execute(select(Client.client_no, Client.tier_code)).all())
    # contribution 10**7 + .5 -> private; 10**6 + .5 -> platinum (>= 500,000, < 2,000,000); 1.5 -> standard
    assert tiers["C000007"] == "private"
    assert tiers["C000006"] == "platinum"
    assert tiers["C000005"] == "gold"
    assert tiers["C000000"] == "standard"
    assert db.scalar(select(Client.contribution).where(Client.client_no == "C000003")) == Decimal("1000.50")
    assert set(db.scalars(select(Branch.code))) == {"BJ01", "SH01"}
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "clients.imported")).details["rows"] == 300


def test_one_bad_row_imports_nothing_and_names_line_and_field(db, tmp_path):
    import_clients(db, write_csv(tmp_path / "first.csv", good_rows(50)), actor="test")
    db.commit()
    before = snapshot(db)
    rows = good_rows(500, start=40)  # 40..49 would update, the rest insert
    rows[236][7] = "12,3x4"  # file line 238 (header is line 1)
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ImportRejected) as exc:
        import_clients(db, path, actor="test")
    db.rollback()
    assert exc.value.problems == [("bad.csv", 238, "contribution", "'12,3x4' is not a non-negative number")]
    assert "bad.csv" in str(exc.value) and "line 238" in str(exc.value)
    assert snapshot(db) == before


def test_every_kind_of_bad_row_is_reported(db, tmp_path):
    rows = good_rows(6)
    rows[0][0] = ""                      # line 2: client_no required
    rows[1][2] = "12345"                 # line 3: phone
    rows[2][3] = "not-an-email"          # line 4: email
    rows[3][0] = rows[4][0]              # line 5 and 6 share a client number
    path = write_csv(tmp_path / "many.csv", rows)
    with pytest.raises(ImportRejected) as exc:
        import_clients(db, path)
    got = [(line, field) for _f, line, field, _why in exc.value.problems]
    assert got == [(2, "client_no"), (3, "phone"), (4, "email"), (6, "client_no")]
    assert db.scalar(select(Client.id)) is None


def test_missing_column_is_named(db, tmp_path):
    path = write_csv(tmp_path / "nocol.csv", [r[:7] for r in good_rows(3)], header=HEADER[:7])
    with pytest.raises(ImportRejected, match="missing column.*contribution"):
        import_clients(db, path)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings(db, tmp_path, encoding):
    path = write_csv(tmp_path / "enc.csv", good_rows(5), encoding=encoding)
    result = import_clients(db, path)
    assert result.rows == 5
    assert result.encoding == ("gb18030" if encoding == "gb18030" else "utf-8-sig")
    assert db.scalar(select(Client.name).where(Client.client_no == "C000003")) == "客户3"


def test_chinese_headers_are_understood(db, tmp_path):
    header = ["客户号", "姓名", "手机", "邮箱", "网点", "客户经理工号", "客户经理", "贡献度"]
    path = write_csv(tmp_path / "zh.csv", good_rows(3), header=header, encoding="gb18030")
    assert import_clients(db, path).rows == 3


def test_reimport_updates_and_keeps_opt_out_when_file_does_not_say(db, tmp_path):
    import_clients(db, write_csv(tmp_path / "a.csv", good_rows(3)))
    c = db.scalar(select(Client).where(Client.client_no == "C000001"))
    c.opted_out = True
    db.flush()
    rows = good_rows(4)
    rows[1][1] = "新名字"
    rows[1][7] = "7000000"
    result = import_clients(db, write_csv(tmp_path / "b.csv", rows))
    assert (result.inserted, result.updated) == (1, 3)
    db.expire_all()
    c = db.scalar(select(Client).where(Client.client_no == "C000001"))
    assert (c.name, c.tier_code, c.opted_out) == ("新名字", "private", True)


def test_cli_import_bad_file_exits_nonzero(runner, db, tmp_path):
    rows = good_rows(20)
    rows[9][4] = ""
    path = write_csv(tmp_path / "cli.csv", rows)
    result = runner.invoke(args=["import-clients", str(path)])
    assert result.exit_code == 1
    assert "cli.csv:11: branch: required" in result.output
    assert db.scalar(select(Client.id)) is None
    ok = runner.invoke(args=["import-clients", str(write_csv(tmp_path / "ok.csv", good_rows(20)))])
    assert ok.exit_code == 0, ok.output
    assert "20 rows (20 new, 0 updated)" in ok.output


def test_imported_values_read_back_exactly(db, tmp_path):
    rows = good_rows(2)
    rows[1][7] = "1234.565"  # half a fen: rounded half-even, as the Money type does everywhere
    import_clients(db, write_csv(tmp_path / "exact.csv", rows))
    db.expire_all()
    c = db.scalar(select(Client).where(Client.client_no == "C000001"))
    assert c.contribution == Decimal("1234.56")
    assert c.updated_at is not None and c.updated_at.tzinfo is not None
    assert c.created_at == c.updated_at
    assert (c.opted_out, c.account_closed, c.preferred_mode) == (False, False, None)
