"""Service error messages: shown in the reader's language on pages, English on the command line."""

from __future__ import annotations

from survey.db import session_scope
from tests.factories import make_client, make_wave


def test_invite_page_shows_the_service_message_in_the_readers_language(as_role, client, db):
    make_client(db, client_no="A1")
    wave = make_wave(db, name="Q")
    db.commit()
    as_role("supervisor")
    data = {"client_nos": "A1\nNOPE", "mode": "web"}

    zh = client.post(f"/staff/waves/{wave.id}/invite", data=data)
    html = zh.get_data(as_text=True)
    assert zh.status_code == 422
    assert "未知的客户号：NOPE" in html
    assert "unknown client number" not in html

    en = client.post(f"/staff/waves/{wave.id}/invite?lang=en", data=data)
    html = en.get_data(as_text=True)
    assert en.status_code == 422
    assert "unknown client number(s): NOPE" in html
    assert "未知的客户号" not in html


def test_flash_after_a_refused_draw_reset_is_in_chinese(as_role, client, db):
    wave = make_wave(db, name="Q")
    db.commit()
    as_role("supervisor")
    r = client.post(f"/staff/waves/{wave.id}/draw/reset", follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "调查批次 Q 尚未抽样" in html
    assert "has not been drawn" not in html


def test_command_line_messages_stay_english(app, runner):
    with app.app_context(), session_scope(app) as s:
        make_wave(s, name="2026-Q4")
    out = runner.invoke(args=["draw", "NO-SUCH-WAVE"])
    assert out.exit_code != 0
    assert "no wave named 'NO-SUCH-WAVE'" in out.output
    out = runner.invoke(args=["release", "2026-Q4", "--tier", "gold", "--count", "1"])
    assert out.exit_code != 0
    assert "wave 2026-Q4 has no open sample to release cases into" in out.output
    assert "调查批次" not in out.output
