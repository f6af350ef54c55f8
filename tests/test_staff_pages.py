"""Staff pages render for the roles that use them, and the manual invitation flow works end to end."""

import re

from sqlalchemy import func, select

from survey.models import AuditEvent, Invitation, Wave
from tests.factories import full_answers, make_client, make_invitation, make_wave


def test_wave_list_and_detail_show_counts_and_tier_means(as_role, client, db):
    wave = make_wave(db, name="2026-Q4")
    for score in ("5", "3"):
        inv, token = make_invitation(db, wave=wave, client=make_client(db, contribution=7_000_000))
        db.commit()
        assert client.post(f"/s/{token}", data=full_answers(wave, overall=score)).status_code == 302
    as_role("supervisor")
    listing = client.get("/staff/?lang=en").get_data(as_text=True)
    assert "2026-Q4" in listing
    detail = client.get(f"/staff/waves/{wave.id}?lang=en")
    assert detail.status_code == 200
    html = detail.get_data(as_text=True)
    row = re.search(r"<th scope=\"row\">Private banking</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r'class="num">([^<]*)<', row) == ["2", "2", "4.00"]


def test_supervisor_creates_wave_and_invites_clients(as_role, client, db):
    make_client(db, client_no="A1")
    make_client(db, client_no="A2")
    db.commit()
    as_role("supervisor")
    bad = client.post("/staff/waves/new?lang=en", data={"name": "Q", "period_start": "2026-10-01", "period_end": "bad"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    assert 'value="Q"' in bad.get_data(as_text=True)
    r = client.post("/staff/waves/new", data={"name": "Q", "period_start": "2026-10-01", "period_end": "2026-12-31"})
    assert r.status_code == 302
    db.rollback()
    wave = db.scalar(select(Wave).where(Wave.name == "Q"))
    unknown = client.post(f"/staff/waves/{wave.id}/invite?lang=en", data={"client_nos": "A1\nNOPE", "mode": "web"})
    assert unknown.status_code == 422 and "NOPE" in unknown.get_data(as_text=True)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0
    ok = client.post(f"/staff/waves/{wave.id}/invite", data={"client_nos": "A1\nA2\nA1", "mode": "web"})
    links = re.findall(r"<code>(http[^<]+/s/([^<]+))</code>", ok.get_data(as_text=True))
    assert len(links) == 2
    # the issued link opens the form
    assert client.get(f"/s/{links[0][1]}").status_code == 200
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Invitation)) == 2
    assert db.scalar(select(AuditEvent.details).where(AuditEvent.action == "invitations.issued"))["count"] == 2
    # hand invitations are their own kind and leave the wave a draft that can still be drawn
    assert set(db.scalars(select(Invitation.kind))) == {"hand"}
    assert db.get(Wave, wave.id).status == "draft"
    drawn = client.post(f"/staff/waves/{wave.id}/draw", data={"seed": "5", "confirm": "1"})
    assert drawn.status_code == 303
    db.rollback()
    assert db.get(Wave, wave.id).status == "sampled"
    assert db.scalar(select(func.count()).where(Invitation.kind == "sample")) == 2
    # inviting the same clients again issues nothing new
    again = client.post(f"/staff/waves/{wave.id}/invite?lang=en", data={"client_nos": "A1", "mode": "web"})
    assert "0 link(s) issued" in again.get_data(as_text=True) or "<code>" not in again.get_data(as_text=True)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Invitation)) == 4


def test_admin_pages_render(as_role, client, db):
    make_client(db)
    db.commit()
    as_role("admin")
    for url in ("/admin/", "/admin/import", "/admin/tiers"):
        assert client.get(url).status_code == 200, url


def test_admin_saves_a_new_tier_scheme_version_and_retiers(as_role, client, db):
    make_client(db, client_no="R1", contribution=300_000)  # gold under the default scheme
    db.commit()
    as_role("admin")
    page = client.get("/admin/tiers").get_data(as_text=True)
    assert 'name="min_2"' in page
    r = client.post("/admin/tiers", data={"min_2": "250000", "retier": "1"})
    assert r.status_code == 302
    db.rollback()
    from survey.models import Client, TierScheme

    assert db.scalar(select(Client.tier_code).where(Client.client_no == "R1")) == "platinum"
    assert db.scalar(select(func.max(TierScheme.version))) == 2
    bad = client.post("/admin/tiers?lang=en", data={"min_2": "5000000"})
    assert bad.status_code == 422 and "fall strictly" in bad.get_data(as_text=True)


def test_admin_upload_with_bad_row_lists_line_and_field_and_imports_nothing(as_role, client, db):
    import io

    from survey.models import Client

    as_role("admin")
    good = "client_no,name,phone,email,branch,manager_code,manager_name,contribution\n" + "".join(
        f"U{i},客户{i},13900000{i:03d},,BJ01,RM001,,{1000 * i}\n" for i in range(1, 6))
    bad = good.replace("U3,客户3,13900000003", "U3,客户3,12")
    r = client.post("/admin/import?lang=en", data={"file": (io.BytesIO(bad.encode("gb18030")), "upload.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(r"<td>upload.csv</td><td>4</td><td>phone</td>", html)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Client)) == 0
    r = client.post("/admin/import?lang=en", data={"file": (io.BytesIO(good.encode("utf-8-sig")), "upload.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 200 and "5 rows imported" in r.get_data(as_text=True)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Client)) == 5
