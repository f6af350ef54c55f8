"""The example questionnaire (conditions, a grid, numbers, "not applicable") through the client's form and the
interviewer's form: hidden questions are never required and their posted answers are never stored."""

import re

import pytest
from sqlalchemy import select

from survey.models import Answer, Question, Response
from survey.services import questionnaires
from tests.conftest import login
from tests.factories import make_invitation
from tests.factories_fieldwork import field_case, field_wave, interviewer

EXAMPLE = questionnaires.DEFAULT_FILE.parent / "examples" / "conditional.yaml"

# every condition true: the follow-ups are shown and stored
WHEN_TRUE = {"q_overall": "2", "q_why_low": "queues", "q_services.counter": "4", "q_services.online": "1",
             "q_services.atm": "na", "q_online_problem": "na", "q_visits": "3", "q_branch_share": "12.5",
             "q_recommend": "5", "q_detractor_reason": ["fees", "service"], "q_comment": ""}
# every condition false: the follow-ups' posted answers are dropped
WHEN_FALSE = {"q_overall": "5", "q_why_low": "posted anyway", "q_services.counter": "5", "q_services.online": "4",
              "q_services.atm": "3", "q_online_problem": "login", "q_visits": "0", "q_branch_share": "50",
              "q_recommend": "na", "q_detractor_reason": "fees"}
STORED_TRUE = {"overall": (2.0, None), "why_low": (None, "queues"), "services.counter": (4.0, None),
               "services.online": (1.0, None), "services.atm": (None, "na"), "online_problem": (None, "na"),
               "visits": (3.0, None), "branch_share": (12.5, None), "recommend": (5.0, None),
               "detractor_reason": (None, "fees;service")}
STORED_FALSE = {"overall": (5.0, None), "services.counter": (5.0, None), "services.online": (4.0, None),
                "services.atm": (3.0, None), "visits": (0.0, None), "recommend": (None, "na")}


@pytest.fixture
def example(runner, db):
    r = runner.invoke(args=["load-questionnaire", str(EXAMPLE)])
    assert r.exit_code == 0, r.output
    db.rollback()


def stored(db, invitation_id):
    rows = db.execute(select(Question.code, Answer.value_num, Answer.value_text)
                      .join(Answer, Answer.question_id == Question.id).join(Response, Response.id == Answer.response_id)
                      .where(Response.invitation_id == invitation_id)).all()
    return {code: (num, text) for code, num, text in rows}


@pytest.mark.parametrize("form, expected", [(WHEN_TRUE, STORED_TRUE), (WHEN_FALSE, STORED_FALSE)])
def test_client_form_stores_shown_answers_only(example, client, db, form, expected):
    inv, token = make_invitation(db)
    db.commit()
    assert inv.wave.questionnaire.code == "conditional_example"
    r = client.post(f"/s/{token}?lang=en", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)
    db.rollback()
    assert stored(db, inv.id) == expected


def test_a_required_question_is_required_only_when_shown(example, client, db):
    inv, token = make_invitation(db)
    db.commit()
    form = {**WHEN_TRUE, "q_why_low": ""}
    r = client.post(f"/s/{token}?lang=en", data=form)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="q-why_low" class="question invalid"' in html and "Please answer this question." in html
    assert re.search(r'name="q_services.atm" value="na" checked', html)  # every answer kept
    assert 'value="12.5"' in html
    form = {**WHEN_FALSE, "q_why_low": ""}
    assert client.post(f"/s/{token}?lang=en", data=form).status_code == 302


@pytest.mark.parametrize("field, value, message", [
    ("q_visits", "61", "A whole number from 0 to 60."),
    ("q_visits", "2.5", "A whole number from 0 to 60."),
    ("q_visits", "３", "A whole number from 0 to 60."),
    ("q_branch_share", "12.55", "A number from 0 to 100, with up to 1 decimal places."),
    ("q_branch_share", "1e2", "A number from 0 to 100, with up to 1 decimal places."),
    ("q_services.online", "na ", None),
    ("q_overall", "na", "Please choose one of the answers offered."),
])
def test_numbers_and_na_are_checked_on_the_server(example, client, db, field, value, message):
    inv, token = make_invitation(db)
    db.commit()
    r = client.post(f"/s/{token}?lang=en", data={**WHEN_TRUE, field: value})
    if message is None:
        assert r.status_code == 302
        return
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html or f'id="{field}' in html


def test_without_javascript_conditional_questions_say_when_to_answer(example, client, db):
    inv, token = make_invitation(db)
    db.commit()
    en = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert ("Answer only if the answer to question 1 (“Overall, how satisfied are you with our bank&#39;s service?”) "
            "is “Very dissatisfied” or “Dissatisfied”.") in en
    assert "Answer only if (the answer to question 3" in en and "is at most Dissatisfied or (" in en
    assert "Not applicable" in en and 'inputmode="numeric"' in en and 'inputmode="decimal"' in en
    assert "data-show-if='{\"in\": [1, 2], \"question\": \"overall\"}'" in en or 'data-show-if=' in en
    assert "form.js" in en
    # the grid: one fieldset per item inside the grid's fieldset, each item with its own legend
    assert en.count('class="grid-item') == 5 and "<legend>Online banking</legend>" in en
    zh = client.get(f"/s/{token}?lang=zh_CN").get_data(as_text=True)
    assert "仅在第 1 题（“总体而言，您对我行的服务满意吗？”）的回答为“很不满意”或“不满意”时回答。" in zh
    assert "不适用" in zh


def test_interviewer_form_applies_the_same_rules(example, app, client, db):
    wave = field_wave(db, calling_hours=[0, 24])
    assert wave.questionnaire.code == "conditional_example"
    field_case(db, wave), field_case(db, wave)
    interviewer(db, username="iv_cond")
    db.commit()
    login(client, "iv_cond")
    for form, expected in ((WHEN_TRUE, STORED_TRUE), (WHEN_FALSE, STORED_FALSE)):
        inv_id = int(client.post("/staff/fieldwork/next").headers["Location"].rsplit("/", 1)[1])
        page = client.get(f"/staff/fieldwork/cases/{inv_id}/interview?lang=en").get_data(as_text=True)
        assert "Answer only if the answer to question 1" in page and "<legend>Online banking</legend>" in page
        r = client.post(f"/staff/fieldwork/cases/{inv_id}/interview", data={**form, "q_why_low": "", "action": "finish"})
        assert r.status_code == (422 if form is WHEN_TRUE else 302)  # required only when shown
        if r.status_code == 422:
            assert re.search(r'name="q_services.atm" value="na" checked', r.get_data(as_text=True))
            r = client.post(f"/staff/fieldwork/cases/{inv_id}/interview", data={**form, "action": "finish"})
            assert r.status_code == 302, r.get_data(as_text=True)
        db.rollback()
        assert stored(db, inv_id) == expected
