"""The complaints desk finds a client by number, name or the phone's last four digits; numbers stay masked."""

from __future__ import annotations

import re

import pytest

CLIENTS = ("客户号,姓名,手机,网点,客户经理工号,贡献度\n"
           "C1000001,王小明,13812345678,BJ01,RM001,10000\n"
           "C1000002,王大明,13900005678,SH01,RM002,5000000\n"
           "C1000003,李四,13711112222,BJ01,RM001,2000\n")


@pytest.fixture
def clients(runner, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text(CLIENTS, encoding="utf-8")
    assert runner.invoke(args=["import-clients", str(path)]).exit_code == 0


def _found(client, q: str) -> list[str]:
    page = client.get("/cases/clients", query_string={"q": q, "lang": "en"}).get_data(as_text=True)
    table = re.search(r'<table id="client-results">(.*?)</table>', page, re.S).group(1)
    return re.findall(r'<tr><th scope="row">([^<]+)</th>', table)


def test_supervisor_finds_by_number_name_and_last_four_digits(clients, client, as_role):
    as_role("supervisor")
    assert client.get("/cases/clients?lang=en").status_code == 200
    assert _found(client, "C1000003") == ["C1000003"]
    assert _found(client, "王") == ["C1000001", "C1000002"]
    assert _found(client, "5678") == ["C1000001", "C1000002"]
    assert _found(client, "nobody") == []
    assert _found(client, "100%") == []  # wildcards are text, not patterns


def test_numbers_stay_masked_and_results_link_to_the_cases(clients, client, as_role):
    as_role("supervisor")
    r = client.post("/cases/new", data={"client_no": "C1000001", "topic": "service", "channel": "phone",
                                        "summary": "等待时间太长"})
    assert r.status_code == 302
    case_url = r.headers["Location"]
    page = client.get("/cases/clients?q=C1000001&lang=en").get_data(as_text=True)
    assert "13812345678" not in page and "138****5678" in page
    assert f'href="{case_url}"' in page or f'href="{case_url.split("localhost")[-1]}"' in page


def test_branch_head_sees_only_their_branch(clients, client, as_role):
    as_role("branch_head", branch_code="BJ01")
    assert _found(client, "王") == ["C1000001"]
    assert _found(client, "5678") == ["C1000001"]


def test_branch_head_without_a_branch_finds_nobody(clients, client, as_role):
    as_role("branch_head")
    assert _found(client, "王") == []


@pytest.mark.parametrize("role", ["interviewer", "quality"])
def test_other_roles_cannot_search(clients, client, as_role, role):
    as_role(role)
    assert client.get("/cases/clients?q=王").status_code == 403


def test_odd_input_never_fails(clients, client, as_role):
    as_role("admin")
    for q in ("", " ", "%", "_", "\\", "'; drop table clients; --", "x" * 500, "１２３４"):
        assert client.get("/cases/clients", query_string={"q": q}).status_code == 200
