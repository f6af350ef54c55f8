"""The questionnaire editor in a real browser (issue 13): axe-core on its pages at 375 and 1280 px.

Everything starts at the login page with CSRF on and goes through the editor's own pages; the database
is only read, to check what the pages did.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.db import session_scope
from survey.models import Questionnaire, QuestionnaireDraft
from tests.factories import make_user
from tests.test_a11y_browser import AXE, axe_violations, page_width, set_width
from tests.test_quality_browser import browser, pytestmark  # noqa: F401  (the Chromium fixture and skip rule)
from tests.test_quarter_browser import click_and_load, flash, sign_in

pytestmark = [pytestmark, pytest.mark.browser]
BLOCKING = {"serious", "critical"}


def _by():
    from selenium.webdriver.common.by import By

    return By


def fill(driver, field_id: str, value: str) -> None:
    el = driver.find_element(_by().ID, field_id)
    el.clear()
    el.send_keys(value)


def choose(driver, field_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(_by().ID, field_id)).select_by_value(value)


def tick(driver, field_id: str, on: bool = True) -> None:
    box = driver.find_element(_by().ID, field_id)
    if box.is_selected() != on:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        box.click()


def add_question(driver, draft_url: str, *, code: str, qtype: str, zh: str, en: str, required: bool = True,
                 overall: bool = False, na: bool = False, options=(), items=(), scale: str | None = None,
                 condition: tuple[str, str, str] | None = None, advanced: str | None = None) -> None:
    """Add one question through the draft's "Add a question" form."""
    By = _by()
    driver.get(draft_url + "?lang=en")
    click_and_load(driver, driver.find_element(By.ID, "add-question"))
    fill(driver, "code", code)
    choose(driver, "type", qtype)
    tick(driver, "required", required)
    tick(driver, "overall", overall)
    tick(driver, "na", na)
    fill(driver, "text_zh", zh)
    fill(driver, "text_en", en)
    for n, (ocode, ozh, oen) in enumerate(options):
        fill(driver, f"opt_code_{n}", ocode)
        fill(driver, f"opt_zh_{n}", ozh)
        fill(driver, f"opt_en_{n}", oen)
    if scale:
        choose(driver, "scale", scale)
    for n, (icode, izh, ien) in enumerate(items):
        fill(driver, f"item_code_{n}", icode)
        fill(driver, f"item_zh_{n}", izh)
        fill(driver, f"item_en_{n}", ien)
    if condition:
        choose(driver, "cond_question", condition[0])
        choose(driver, "cond_op", condition[1])
        fill(driver, "cond_values", condition[2])
    if advanced:
        fill(driver, "show_if_text", advanced)
    click_and_load(driver, driver.find_element(By.ID, "save-question"))
    assert f"Question '{code}' saved." in flash(driver), driver.find_element(By.TAG_NAME, "main").text[:1500]


def start_draft(driver, base: str, code: str, title_zh: str, title_en: str) -> str:
    """From the nav: a new blank draft with its code and title; returns the draft's URL."""
    By = _by()
    driver.get(f"{base}/?lang=en")
    click_and_load(driver, driver.find_element(By.LINK_TEXT, "Questionnaires"))
    click_and_load(driver, driver.find_element(By.ID, "new-draft"))
    draft_url = driver.current_url.split("?")[0]
    fill(driver, "code", code)
    fill(driver, "title_zh", title_zh)
    fill(driver, "title_en", title_en)
    click_and_load(driver, driver.find_element(By.ID, "save-meta"))
    assert "Title and introduction saved." in flash(driver)
    return draft_url


def check(driver, label: str, results: list[str], failures: list[str]) -> None:
    width = driver.execute_script("return window.innerWidth")
    found = axe_violations(driver)
    bad = [v for v in found if v["impact"] in BLOCKING]
    wide = page_width(driver)
    results.append(f"{label:70} {len(bad)} serious/critical, page {wide:4} px")
    failures += [f"{label}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}" for v in bad]
    if wide > width:
        failures.append(f"{label}: the page is {wide} px wide on a {width} px screen")


@pytest.mark.skipif(not AXE.is_file(), reason="axe-core is not installed: run `npm ci` in the repository root")
def test_axe_finds_no_serious_violation_on_the_editor(csrf_app, live_server, browser, capsys):  # noqa: F811
    By = _by()
    base = live_server
    with csrf_app.app_context(), session_scope(csrf_app) as s:
        make_user(s, "quality", username="editor", password="a-long-pass-for-qa-7")
    sign_in(browser, base, "editor", "a-long-pass-for-qa-7")
    draft_url = start_draft(browser, base, "branch_visit", "网点服务调查", "Branch service survey")
    add_question(browser, draft_url, code="overall", qtype="satisfaction5", zh="总体满意吗？", en="Overall satisfied?",
                 overall=True)
    add_question(browser, draft_url, code="why", qtype="text", zh="为什么不满意？", en="Why were you dissatisfied?",
                 required=False, condition=("overall", "in", "1, 2"))
    add_question(browser, draft_url, code="channel", qtype="single", zh="您常用的渠道", en="Your usual channel",
                 options=(("branch", "网点", "Branch"), ("app", "手机银行", "Mobile app")))
    # publish, edit as a new draft, change a question's wording, publish again: two versions for the diff
    browser.get(draft_url + "?lang=en")
    click_and_load(browser, browser.find_element(By.ID, "publish"))
    assert "Published as branch_visit version 1." in flash(browser)
    click_and_load(browser, browser.find_element(By.XPATH, "//tr[td[normalize-space()='branch_visit v1']]//button"))
    second = browser.current_url.split("?")[0]
    browser.get(f"{second}/questions/1?lang=en")
    fill(browser, "text_en", "What went wrong?")
    click_and_load(browser, browser.find_element(By.ID, "save-question"))
    browser.get(second + "?lang=en")
    click_and_load(browser, browser.find_element(By.ID, "publish"))
    assert "Published as branch_visit version 2." in flash(browser)
    with csrf_app.app_context(), session_scope(csrf_app) as s:
        v1, v2 = (s.scalar(select(Questionnaire.id).where(Questionnaire.code == "branch_visit",
                                                          Questionnaire.version == n)) for n in (1, 2))
        assert s.scalar(select(QuestionnaireDraft.id)) is None
    # the draft the pages are checked on: version 2 edited as a new draft
    click_and_load(browser, browser.find_element(By.XPATH, "//tr[td[normalize-space()='branch_visit v2']]//button"))
    draft_url = browser.current_url.split("?")[0]
    pages = {
        "index": f"{base}/questionnaires/",
        "draft": draft_url,
        "question": f"{draft_url}/questions/1",
        "new question": f"{draft_url}/questions/new",
        "preview": f"{draft_url}/preview",
        "preview, interviewer": f"{draft_url}/preview?mode=interview",
        "preview, phone width": f"{draft_url}/preview?width=phone",
        "import": f"{base}/questionnaires/import",
        "diff": f"{base}/questionnaires/diff?a={v1}&b={v2}",
        "version preview": f"{base}/questionnaires/versions/{v2}/preview",
    }
    # a draft with a refused question form (422) and one whose publishing is refused
    third = start_draft(browser, base, "broken", "缺英文", "")
    pages["draft, publish refused"] = third
    results: list[str] = []
    failures: list[str] = []
    for lang in ("en", "zh_CN"):
        for width in (375, 1280):
            set_width(browser, width)
            for label, url in pages.items():
                browser.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
                if label == "draft, publish refused":
                    click_and_load(browser, browser.find_element(By.ID, "publish"))
                    assert browser.find_elements(By.ID, "publish-problems")
                check(browser, f"{lang:5} {width:4} {label}", results, failures)
            browser.get(f"{third}/questions/new?lang={lang}")
            fill(browser, "code", "")
            fill(browser, "show_if_text", "all: [")
            click_and_load(browser, browser.find_element(By.ID, "save-question"))
            assert browser.find_elements(By.ID, "errors")
            check(browser, f"{lang:5} {width:4} question refused", results, failures)
    with capsys.disabled():
        print("\n" + "\n".join(results))
    assert failures == []
