"""The client file's preferred channel and language columns: Chinese or English headers and values;
a bad value refuses the whole file naming the file, line and field."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.errors import ImportRejected
from survey.models import Client
from survey.services.client_import import import_clients

BASE = "client_no,name,phone,email,branch,manager_code,contribution"


def write(tmp_path, header: str, rows: list[str]):
    path = tmp_path / "clients.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("header", ["首选渠道,语言", "联系渠道,语言", "preferred_channel,language"])
def test_channel_and_language_columns_are_read(db, tmp_path, header):
    path = write(tmp_path, f"{BASE},{header}", [
        "C1,甲,13800000001,a@b.cn,BJ01,RM1,100,短信,英文",
        "C2,乙,13800000002,b@b.cn,BJ01,RM1,100,邮箱,中文",
        "C3,丙,13800000003,,BJ01,RM1,100,SMS,en",
        "C4,丁,13800000004,d@b.cn,BJ01,RM1,100,,",
    ])
    import_clients(db, path)
    got = {c.client_no: (c.preferred_channel, c.language) for c in db.scalars(select(Client))}
    assert got == {"C1": ("sms", "en"), "C2": ("email", "zh_CN"), "C3": ("sms", "en"), "C4": (None, None)}


def test_a_file_without_the_columns_leaves_them_alone(db, tmp_path):
    import_clients(db, write(tmp_path, f"{BASE},首选渠道", ["C1,甲,13800000001,a@b.cn,BJ01,RM1,100,短信"]))
    import_clients(db, write(tmp_path, BASE, ["C1,甲,13800000001,a@b.cn,BJ01,RM1,200"]))
    assert db.scalar(select(Client.preferred_channel)) == "sms"


@pytest.mark.parametrize("column,value,field", [("首选渠道", "微信", "preferred_channel"),
                                                ("preferred_channel", "fax", "preferred_channel"),
                                                ("语言", "法语", "language")])
def test_a_bad_value_refuses_the_file_naming_line_and_field(db, tmp_path, column, value, field):
    path = write(tmp_path, f"{BASE},{column}", ["C1,甲,13800000001,a@b.cn,BJ01,RM1,100,", f"C2,乙,13800000002,,BJ01,RM1,100,{value}"])
    with pytest.raises(ImportRejected) as err:
        import_clients(db, path)
    assert err.value.problems[0][:3] == ("clients.csv", 3, field)
    assert value in str(err.value) and "line 3" in str(err.value) and field in str(err.value)
    assert db.scalars(select(Client)).all() == []  # nothing imported


def test_the_cli_names_the_line_and_field(runner, tmp_path):
    path = write(tmp_path, f"{BASE},首选渠道", ["C1,甲,13800000001,a@b.cn,BJ01,RM1,100,信鸽"])
    result = runner.invoke(args=["import-clients", str(path)])
    assert result.exit_code != 0 and "clients.csv:2: preferred_channel" in result.output
