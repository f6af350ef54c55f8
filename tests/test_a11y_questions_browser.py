"""The new question types in a real browser: the example questionnaire (conditions, a grid, numbers,
"not applicable") passes axe-core at 375 and 1280 px in both languages, with its error page; the little
script shows a follow-up question only when its condition holds, and the answers are stored as shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.models import Answer, Question, Response
from tests.factories import make_invitation
from tests.test_a11y_browser import (  # noqa: F401  (the browser fixture is used by name)
    CHROMEDRIVER,
    CHROMIUM,
    LANGS,
    WIDTHS,
    browser,
    check_page,
    click_and_wait,
    needs_axe,
    page_width,
    set_width,
)
from tests.test_conditional_form import EXAMPLE

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not CHROMEDRIVER.exists() or not CHROMIUM.exists(), reason="needs Debian's chromium and chromium-driver")]


@pytest.fixture
def links(runner, db):
    assert runner.invoke(args=["load-questionnaire", str(EXAMPLE)]).exit_code == 0
    db.rollback()
    out = [make_invitation(db)[1] for _ in range(2)]
    db.commit()
    return out


@needs_axe
def test_axe_on_the_new_question_types(live_server, browser, links, capsys):  # noqa: F811
    from selenium.webdriver.common.by import By

    results: list[str] = []
    failures: list[str] = []
    for lang in LANGS:
        for width in WIDTHS:
            set_width(browser, width)
            browser.get(f"{live_server}/s/{links[0]}?lang={lang}")
            check_page(browser, f"conditional {lang:5} {width:4} form", results, failures)
            assert page_width(browser) <= width  # (the emulated phone widens its window to fit the page)
            click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.survey button[type=submit]:not([name])"))
            assert browser.find_elements(By.ID, "problems")
            check_page(browser, f"conditional {lang:5} {width:4} form with errors", results, failures)
    with capsys.disabled():
        print("\n" + "\n".join(results))
    assert len(results) == 8
    assert not failures, "\n".join(failures)


def test_the_script_shows_follow_ups_only_when_they_apply(live_server, browser, links, db):  # noqa: F811
    from selenium.webdriver.common.by import By

    set_width(browser, 375)
    browser.get(f"{live_server}/s/{links[1]}?lang=en")

    def shown(code):
        return browser.find_element(By.ID, f"q-{code}").is_displayed()

    def pick(name, value):
        browser.find_element(By.CSS_SELECTOR, f'input[name="{name}"][value="{value}"]').click()

    assert not shown("why_low") and not shown("online_problem") and not shown("branch_share")
    pick("q_overall", "1")
    assert shown("why_low")
    pick("q_overall", "5")
    assert not shown("why_low")
    pick("q_services.online", "2")
    assert shown("online_problem")
    pick("q_services.online", "na")
    assert not shown("online_problem")
    for item in ("counter", "atm"):
        pick(f"q_services.{item}", "4")
    browser.find_element(By.ID, "q_visits").send_keys("2")
    assert shown("branch_share")
    browser.find_element(By.ID, "q_branch_share").send_keys("40")
    pick("q_recommend", "9")
    assert not shown("detractor_reason")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.survey button[type=submit]:not([name])"))
    assert browser.current_url.endswith("/s/thanks"), browser.find_element(By.TAG_NAME, "main").text[:500]
    db.rollback()
    stored = dict(db.execute(select(Question.code, Answer.value_num)
                             .join(Answer, Answer.question_id == Question.id)
                             .join(Response, Response.id == Answer.response_id)).all())
    assert stored == {"overall": 5.0, "services.counter": 4.0, "services.online": None, "services.atm": 4.0,
                      "visits": 2.0, "branch_share": 40.0, "recommend": 9.0}
