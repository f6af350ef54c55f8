"""The client's survey form: validation that keeps answers, single use, clear pages for bad links."""

import datetime as dt
import re

from sqlalchemy import func, select

from survey.models import Answer, Invitation, Response, utcnow
from survey.services import invitations
from tests.factories import full_answers, make_invitation


def test_form_shows_in_both_languages_with_labelled_controls(client, db):
    inv, token = make_invitation(db)
    db.commit()
    zh = client.get(f"/s/{token}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.status_code == 200
    html = zh.get_data(as_text=True)
    assert "总体而言，您对我行的服务满意吗？" in html and 'lang="zh-CN"' in html
    en = client.get(f"/s/{token}?lang=en")
    text = en.get_data(as_text=True)
    assert "Overall, how satisfied are you" in text and 'lang="en"' in text
    # every radio/checkbox sits inside a <label>, every group has a legend, the textarea has a label
    assert text.count("<legend>") == len(inv.wave.questionnaire.questions)
    for m in re.finditer(r'<textarea id="([^"]+)"', text):
        assert f'<label class="sr" for="{m.group(1)}">' in text
    # the choice is remembered in the session for the next page
    assert "Overall, how satisfied" in client.get(f"/s/{token}").get_data(as_text=True)


def test_missing_required_answer_reshows_form_with_other_answers_kept(client, db):
    inv, token = make_invitation(db)
    db.commit()
    form = full_answers(inv.wave, courtesy="2", recommend="3", comment="排队太久 queue too long")
    del form["q_speed"]
    r = client.post(f"/s/{token}?lang=en", data=form)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="q-speed" class="question invalid"' in html
    assert "Please answer this question." in html
    assert re.search(r'name="q_courtesy" value="2" checked', html)
    assert re.search(r'name="q_recommend" value="3" checked', html)
    assert "排队太久 queue too long</textarea>" in html
    assert re.search(r'name="q_overall" value="4" checked', html)
    assert db.scalar(select(func.count()).select_from(Response)) == 0


def test_out_of_range_answer_is_refused(client, db):
    inv, token = make_invitation(db)
    db.commit()
    r = client.post(f"/s/{token}?lang=en", data=full_answers(inv.wave, overall="6"))
    assert r.status_code == 422
    assert "Please choose one of the answers offered." in r.get_data(as_text=True)


def test_valid_submission_is_stored_once_and_link_then_closed(client, db):
    inv, token = make_invitation(db)
    db.commit()
    r = client.post(f"/s/{token}", data=full_answers(inv.wave, overall="5"))
    assert r.status_code == 302 and r.headers["Location"].endswith("/s/thanks")
    db.rollback()  # end the test session's read snapshot so it sees the request's commit
    resp = db.scalar(select(Response))
    assert (resp.invitation_id, resp.mode, resp.status) == (inv.id, "web", "complete")
    overall = next(q for q in inv.wave.questionnaire.questions if q.is_overall)
    assert db.scalar(select(Answer.value_num).where(Answer.question_id == overall.id)) == 5.0
    db.expire_all()
    inv = db.get(Invitation, inv.id)
    assert inv.used_at is not None and inv.disposition == "1.1"
    again = client.post(f"/s/{token}?lang=en", data=full_answers(inv.wave))
    assert again.status_code == 409
    assert "already been answered" in again.get_data(as_text=True)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Response)) == 1


def test_unknown_used_and_expired_links_each_get_their_own_page(client, db):
    _, expired = make_invitation(db, now=utcnow() - dt.timedelta(days=40), ttl_days=30)
    db.commit()
    unknown = client.get("/s/" + invitations.new_token() + "?lang=en")
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)
    gone = client.get(f"/s/{expired}?lang=en")
    assert gone.status_code == 410 and "expired" in gone.get_data(as_text=True)
    # an expired link cannot be answered either
    assert client.post(f"/s/{expired}", data={}).status_code == 410


def test_tokens_are_long_random_and_stored_only_hashed(db):
    inv, token = make_invitation(db)
    assert len(invitations.new_token()) >= 22  # >= 128 bits in url-safe base64
    assert invitations.TOKEN_BYTES * 8 >= 128
    assert token not in (inv.token_hash or "")
    assert inv.token_hash == invitations.token_hash(token)
    assert len({invitations.new_token() for _ in range(1000)}) == 1000
