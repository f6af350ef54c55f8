"""The survey form's accessible parts without a browser: the language switch posts the answers and gets them
back in the other language (nothing stored, no errors shown); the error page marks and describes every input
of a question with a problem, names the question in its summary link and counts the problems in the title."""

import re
from html import unescape

from sqlalchemy import func, select

from survey.models import Response
from tests.factories import make_invitation


def checked(html: str) -> dict[str, str]:
    """{input name: value} of the checked radios of a rendered form."""
    out = {}
    for tag in re.findall(r"<input [^>]*type=\"radio\"[^>]*>", html):
        if re.search(r"\schecked[\s>]", tag):
            out[re.search(r'name="([^"]+)"', tag).group(1)] = re.search(r'value="([^"]+)"', tag).group(1)
    return out


def test_three_answers_survive_the_language_switch_both_ways(client, db):
    inv, token = make_invitation(db)
    db.commit()
    page = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert 'form="survey-form" name="switch_lang" value="zh_CN"' in page  # the header button posts the form
    answers = {"q_overall": "5", "q_courtesy": "2", "q_recommend": "9"}
    zh = client.post(f"/s/{token}?lang=zh_CN", data={**answers, "switch_lang": "zh_CN"})
    html = zh.get_data(as_text=True)
    assert zh.status_code == 200 and 'lang="zh-CN"' in html
    assert checked(html) == answers
    assert 'id="problems"' not in html  # a switch is not a submit: no error summary
    en = client.post(f"/s/{token}?lang=en", data={**answers, "switch_lang": "en"})
    assert 'lang="en"' in en.get_data(as_text=True) and checked(en.get_data(as_text=True)) == answers
    assert db.scalar(select(func.count()).select_from(Response)) == 0  # nothing was submitted


def test_error_page_marks_inputs_names_questions_and_counts_in_the_title(client, db):
    inv, token = make_invitation(db)
    db.commit()
    r = client.post(f"/s/{token}?lang=en", data={"q_overall": "4"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    links = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', html)
    title = unescape(re.search(r"<title>([^<]*)</title>", html).group(1))
    assert links and title.startswith(f"{len(links)} answer(s) to check")
    assert "q_overall" not in {target for target, _ in links}
    for target, text in links:
        code = target.removeprefix("q_")
        legend = re.search(rf'<fieldset id="q-{code}".*?<legend><span class="qnum">\d+\.</span> ([^<]+?)\s*<', html, re.S)
        assert unescape(legend.group(1)).strip() in unescape(text)
        block = re.search(rf'<fieldset id="q-{code}".*?</fieldset>', html, re.S).group(0)
        inputs = re.findall(r"<(?:input|textarea) [^>]*>", block)
        assert inputs and f'id="{target}"' in block
        for tag in inputs:
            assert 'aria-invalid="true"' in tag and f'aria-describedby="{target}-error"' in tag, tag
        assert f'<p class="error" id="{target}-error">' in block
    assert '<script src="/static/form.js" defer></script>' in html and "<script>" not in html


def test_the_interviewer_language_switch_keeps_the_answers_and_stores_nothing(app, client, db):
    from survey.models import Invitation
    from tests.conftest import login
    from tests.factories_fieldwork import field_case, field_wave, interviewer

    wave = field_wave(db, calling_hours=[0, 24])
    inv = field_case(db, wave)
    interviewer(db, username="iv_switch")
    db.commit()
    login(client, "iv_switch")
    client.post("/staff/fieldwork/next")
    answers = {"q_overall": "4", "q_courtesy": "3", "q_recommend": "10"}
    r = client.post(f"/staff/fieldwork/cases/{inv.id}/interview?lang=zh_CN", data={**answers, "switch_lang": "zh_CN"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'lang="zh-CN"' in html and checked(html) == answers
    db.expire_all()
    assert db.get(Invitation, inv.id).interview_draft is None  # a switch saves no draft and finishes nothing
