"""The optional address column (地址) of the client file: imported, kept when a file lacks it, shown on visit cases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.errors import ImportRejected
from survey.models import Client
from survey.services.client_import import import_clients
from tests.test_client_import import HEADER, good_rows, write_csv

ZH_HEADER = ["客户号", "姓名", "手机", "邮箱", "网点", "客户经理工号", "客户经理", "贡献度", "地址"]


def _addresses(db) -> dict[str, str | None]:
    db.expire_all()
    return dict(db.execute(select(Client.client_no, Client.address).order_by(Client.client_no)).all())


def test_address_column_with_chinese_header_is_imported(db, tmp_path):
    rows = [r + [f"北京市朝阳区建国路{i}号"] for i, r in enumerate(good_rows(3))]
    rows[2][-1] = ""
    import_clients(db, write_csv(tmp_path / "zh.csv", rows, header=ZH_HEADER, encoding="gb18030"))
    assert _addresses(db) == {"C000000": "北京市朝阳区建国路0号", "C000001": "北京市朝阳区建国路1号", "C000002": None}


def test_file_without_address_imports_and_keeps_stored_addresses(db, tmp_path):
    import_clients(db, write_csv(tmp_path / "none.csv", good_rows(2)))
    assert _addresses(db) == {"C000000": None, "C000001": None}
    with_address = [r + ["上海市浦东新区世纪大道100号"] for r in good_rows(2)]
    import_clients(db, write_csv(tmp_path / "addr.csv", with_address, header=HEADER + ["address"]))
    rows = good_rows(2)
    rows[0][1] = "改名"
    import_clients(db, write_csv(tmp_path / "again.csv", rows))
    assert set(_addresses(db).values()) == {"上海市浦东新区世纪大道100号"}
    assert db.scalar(select(Client.name).where(Client.client_no == "C000000")) == "改名"


def test_too_long_address_is_refused_with_line_and_field(db, tmp_path):
    rows = [r + ["路" * 256] for r in good_rows(2)]
    with pytest.raises(ImportRejected) as caught:
        import_clients(db, write_csv(tmp_path / "long.csv", rows, header=HEADER + ["地址"]))
    assert ("long.csv", 2, "address") == caught.value.problems[0][:3]
    assert db.scalar(select(Client.id)) is None
