"""Clients invited by hand are not sample cases: recorded as their own kind, shown apart on the wave
page, never weighted into the estimates, and inviting them leaves the wave's status alone.

On the demo (built by the product's own services): the supervisor invites, by number, a client who
is not in the current wave's sample; the client opens the link and answers the form with the lowest
scores, which would pull down any estimate that counted them; every table of every quality page
(estimates, intervals, response rates, drivers, scorecards) and the wave page's sample table are
then exactly as before.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey.models import Client, Invitation, Response, Wave
from tests.factories import full_answers
from tests.test_demo_support import build_demo

PAGES = ("/quality/", "/quality/trends", "/quality/response", "/quality/drivers", "/quality/scorecards")


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    yield from build_demo(database_url, tmp_path_factory, n_clients=600)


def _tables(page: str) -> list[str]:
    return re.findall(r"<table[^>]*>.*?</table>", page, re.S)


def _figures(demo, wave_id: int) -> dict[str, list[str]]:
    quality = demo.client("quality")
    out = {url: _tables(quality.get(url).get_data(as_text=True)) for url in PAGES}
    out["wave-response"] = _tables(quality.get(f"/quality/response?wave={wave_id}").get_data(as_text=True))
    supervisor = demo.client("supervisor")
    page = supervisor.get(f"/staff/waves/{wave_id}").get_data(as_text=True)
    out["wave"] = [t for t in _tables(page) if 'id="hand-invitations"' not in t]
    out["waves"] = _tables(supervisor.get("/staff/").get_data(as_text=True))
    return out


def test_a_hand_invitation_answered_through_the_form_changes_no_estimate(demo):
    s = demo.session()
    try:
        wave = s.scalar(select(Wave).where(Wave.name == "2026-Q4"))
        wave_id, status = wave.id, wave.status
        in_wave = select(Invitation.client_id).where(Invitation.wave_id == wave_id)
        client_no, tier = s.execute(select(Client.client_no, Client.tier_code).where(
            Client.id.not_in(in_wave), Client.opted_out.is_(False)).order_by(Client.id)).first()
        form = full_answers(wave)
    finally:
        s.close()
    before = _figures(demo, wave_id)
    assert sum(len(t) for t in before.values()) > 10

    sup = demo.client("supervisor")
    page = sup.post(f"/staff/waves/{wave_id}/invite", data={"client_nos": client_no, "mode": "web"})
    links = re.findall(r"<code>https?://[^<]*/s/([^<]+)</code>", page.get_data(as_text=True))
    assert len(links) == 1

    public = demo.app.test_client()  # the client, not signed in
    assert public.get(f"/s/{links[0]}").status_code == 200
    lowest = {k: ("1" if k[2:] != "recommend" else "0") for k, v in form.items() if v.isdigit()}
    r = public.post(f"/s/{links[0]}", data={**form, **lowest})
    assert r.status_code in (200, 302, 303)

    s = demo.session()
    try:
        inv = s.scalar(select(Invitation).join(Client).where(Client.client_no == client_no,
                                                             Invitation.wave_id == wave_id))
        assert inv.kind == "hand" and inv.used_at is not None and inv.disposition == "1.1"
        assert s.scalar(select(Response.status).where(Response.invitation_id == inv.id)) == "complete"
        assert s.get(Wave, wave_id).status == status  # inviting by hand changes no status
    finally:
        s.close()

    after = _figures(demo, wave_id)
    for key in before:
        assert after[key] == before[key], key

    # shown apart on the wave page
    page = sup.get(f"/staff/waves/{wave_id}?lang=en").get_data(as_text=True)
    hand = re.search(r'<table id="hand-invitations">(.*?)</table>', page, re.S).group(1)
    assert "never weighted into the estimates" in hand
    assert re.findall(r'<td class="num">(\d+)</td>', hand) == ["1", "1"]
    assert tier in ("private", "diamond", "platinum", "gold", "standard")
