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
    add_question(browser, draft_url, code="services", qtype="grid", zh="服务满意度", en="Services", na=True,
                 scale="satisfaction5", items=(("counter", "柜台", "Counter"), ("atm", "自助设备", "Cash machines")))
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


# --- the whole path (issue 13, "what it must show" 1) -----------------------------------------------------

def stored_answers(app, wave_name: str) -> list[dict]:
    """Each response of the wave as {question code: (value_num, value_text, value_json)}, in submission order."""
    from survey.models import Answer, Question, Response, Wave

    with app.app_context(), session_scope(app) as s:
        wave = s.scalar(select(Wave).where(Wave.name == wave_name))
        out = []
        for r in s.scalars(select(Response).where(Response.wave_id == wave.id).order_by(Response.id)):
            rows = s.execute(select(Question.code, Answer.value_num, Answer.value_text, Answer.value_json)
                             .join(Question, Question.id == Answer.question_id).where(Answer.response_id == r.id))
            out.append({"mode": r.mode, **{code: (num, text, js) for code, num, text, js in rows}})
        return out


def pick(driver, name: str, value: str) -> None:
    radio = driver.find_element(_by().CSS_SELECTOR, f"form#survey-form input[name='{name}'][value='{value}']")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", radio)
    radio.click()


def shown(driver, code: str) -> bool:
    return driver.find_element(_by().ID, f"q-{code}").is_displayed()


def outbox_files(app) -> set:
    from pathlib import Path

    return set(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))


def outbox_links(app, before: set) -> list[str]:
    """The survey links in the e-mails written since ``before`` (the outbox's files then)."""
    import email
    import re

    links = []
    for path in sorted(outbox_files(app) - before):
        body = email.message_from_bytes(path.read_bytes())
        text = "".join(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                       for part in body.walk() if part.get_content_type() == "text/plain")
        links += re.findall(r"https?://\S+/s/[A-Za-z0-9_\-]+", text)
    return list(dict.fromkeys(links))  # a message may carry its link twice


@pytest.fixture
def served_demo(csrf_app, live_server):
    """The demo (the product's own builder) on the emptied test database, served with CSRF on."""
    from survey.services.demo import data as demo_data

    with csrf_app.app_context(), session_scope(csrf_app) as session:
        result = demo_data.build(session, n_clients=800, seed=7)
    csrf_app.config["PUBLIC_BASE_URL"] = live_server
    return csrf_app, live_server, result.passwords


def build_conditional_questionnaire(driver, base: str) -> None:
    """The quality analyst's part: the questionnaire made, previewed in both languages and published."""
    By = _by()
    draft_url = start_draft(driver, base, "visit_2027", "网点来访调查", "Branch visit survey")
    add_question(driver, draft_url, code="overall", qtype="satisfaction5", zh="总体而言您满意吗？",
                 en="Overall, how satisfied are you?", overall=True)
    add_question(driver, draft_url, code="why_low", qtype="text", zh="您为什么不满意？", en="Why were you dissatisfied?",
                 condition=("overall", "in", "1, 2"))
    add_question(driver, draft_url, code="services", qtype="grid", zh="您对以下服务满意吗？",
                 en="How satisfied are you with these services?", na=True, scale="satisfaction5",
                 items=(("counter", "柜台服务", "Counter service"), ("app", "手机银行", "Mobile app")))
    add_question(driver, draft_url, code="parking", qtype="satisfaction5", zh="停车是否方便", en="Parking", na=True,
                 required=False)
    add_question(driver, draft_url, code="recommend", qtype="nps10", zh="您有多大可能推荐我行？",
                 en="How likely are you to recommend us?")
    driver.get(draft_url + "?lang=en")
    assert driver.find_elements(By.ID, "draft-ready"), driver.find_element(By.ID, "draft-problems").text
    click_and_load(driver, driver.find_element(By.ID, "preview-zh"))
    main = driver.find_element(By.TAG_NAME, "main").text
    assert "网点来访调查" in main and "柜台服务" in main and "不适用" in main
    driver.get(draft_url + "?lang=en")
    click_and_load(driver, driver.find_element(By.ID, "preview-en"))
    main = driver.find_element(By.TAG_NAME, "main").text
    assert "Branch visit survey" in main and "Counter service" in main and "Not applicable" in main
    assert not shown(driver, "why_low")  # the condition, applied by the form's script in the preview too
    pick(driver, "q_overall", "1")
    assert shown(driver, "why_low")
    driver.get(draft_url + "?lang=en")
    click_and_load(driver, driver.find_element(By.ID, "publish"))
    assert "Published as visit_2027 version 1." in flash(driver), driver.find_element(By.TAG_NAME, "main").text


def new_wave_with(driver, app, base: str, version_label: str) -> tuple[int, set]:
    """The supervisor's part: the previous wave closed, 2027-Q1 created with the version, planned, drawn, opened."""
    from selenium.webdriver.support.ui import Select

    By = _by()
    driver.get(f"{base}/staff/?lang=en")
    click_and_load(driver, driver.find_element(By.LINK_TEXT, "2026-Q4"))
    click_and_load(driver, driver.find_element(By.ID, "close-fieldwork"))
    driver.find_element(By.ID, "confirm-close-check").click()
    click_and_load(driver, driver.find_element(By.ID, "confirm-close"))
    driver.get(f"{base}/staff/?lang=en")
    click_and_load(driver, driver.find_element(By.LINK_TEXT, "New wave"))
    fill(driver, "name", "2027-Q1")
    Select(driver.find_element(By.ID, "questionnaire_id")).select_by_visible_text(version_label)
    click_and_load(driver, driver.find_element(By.ID, "create-wave"))
    wave_url = driver.current_url.split("?")[0]
    click_and_load(driver, driver.find_element(By.ID, "wave-settings"))
    fill(driver, "calling_hours", "0-24")
    for tier in ("private", "diamond", "platinum", "gold"):
        Select(driver.find_element(By.ID, f"modes-{tier}")).select_by_value("web")
    Select(driver.find_element(By.ID, "modes-standard")).select_by_value("phone")
    click_and_load(driver, driver.find_element(By.ID, "save-settings"))
    assert not driver.find_elements(By.CSS_SELECTOR, ".error-summary"), driver.find_element(By.TAG_NAME, "main").text
    driver.get(wave_url + "?lang=en")
    click_and_load(driver, driver.find_element(By.LINK_TEXT, "Sampling plan"))
    checks = driver.find_elements(By.ID, "confirm-plan")
    if checks:
        checks[0].click()
    click_and_load(driver, driver.find_element(By.ID, "confirm-plan-submit"))
    driver.get(wave_url + "?lang=en")
    driver.find_element(By.ID, "seed").send_keys("7")
    click_and_load(driver, driver.find_element(By.ID, "draw"))
    if driver.find_elements(By.ID, "draw-checks"):
        driver.find_element(By.ID, "seed").send_keys("7")
        driver.find_element(By.ID, "confirm-plan").click()
        click_and_load(driver, driver.find_element(By.ID, "draw"))
    assert "Sample drawn with seed 7" in flash(driver), driver.find_element(By.TAG_NAME, "main").text
    # from the draw on, the wave keeps its version: the settings page no longer offers a switch
    driver.get(wave_url + "/settings?lang=en")
    assert "visit_2027 v1" in driver.find_element(By.ID, "wave-questionnaire").text
    assert not driver.find_elements(By.ID, "switch-questionnaire")
    driver.get(wave_url + "?lang=en")
    before = outbox_files(app)
    click_and_load(driver, driver.find_element(By.ID, "open-fieldwork"))
    return int(wave_url.rsplit("/", 1)[1]), before


def answer(driver, low: bool, reason: str) -> None:
    """Overall 1 (the condition holds: the reason is asked) or 5 (it does not); a grid item and a question
    answered "not applicable"."""
    pick(driver, "q_overall", "1" if low else "5")
    assert shown(driver, "why_low") is low
    if low:
        box = driver.find_element(_by().ID, "q_why_low")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        box.send_keys(reason)
    pick(driver, "q_services.counter", "4")
    pick(driver, "q_services.app", "na")
    pick(driver, "q_parking", "na")
    pick(driver, "q_recommend", "3" if low else "9")


@pytest.mark.slow
def test_a_conditional_questionnaire_from_editor_to_answers(served_demo, browser):  # noqa: F811
    By = _by()
    app, base, passwords = served_demo

    sign_in(browser, base, "quality", passwords["quality"])
    build_conditional_questionnaire(browser, base)

    sign_in(browser, base, "supervisor", passwords["supervisor"])
    wave_id, outbox_before = new_wave_with(browser, app, base, "visit_2027 v1 · Branch visit survey")
    with app.app_context(), session_scope(app) as s:
        from survey.models import Wave
        qn = s.get(Wave, wave_id).questionnaire
        assert (qn.code, qn.version) == ("visit_2027", 1) and qn.published_at is not None

    # two clients answer from their e-mailed links: the condition true, then false
    browser.delete_all_cookies()
    links = outbox_links(app, outbox_before)
    assert len(links) >= 2, "opening fieldwork with 'e-mail now' leaves the web links in the outbox"
    for link, low in ((links[0], True), (links[1], False)):
        browser.get(link + "?lang=en")
        assert browser.find_elements(By.ID, "survey-form"), (link, browser.find_element(By.TAG_NAME, "main").text)
        answer(browser, low, "排队太久 the queue was long")
        click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "main form#survey-form button[type=submit]:not([hidden])"))
        assert "/s/thanks" in browser.current_url, browser.find_element(By.TAG_NAME, "main").text[:1500]
    first, second = stored_answers(app, "2027-Q1")
    assert first["overall"][0] == 1 and first["why_low"][1] == "排队太久 the queue was long"
    assert first["services.counter"][0] == 4 and first["services.app"][1] == "na" and first["parking"][1] == "na"
    assert first["recommend"][0] == 3
    assert second["overall"][0] == 5 and "why_low" not in second and second["recommend"][0] == 9
    assert second["services.app"][1] == "na" and second["parking"][1] == "na"

    # interviewer mode: a phone case, the condition true
    sign_in(browser, base, "interviewer1", passwords["interviewer1"])
    click_and_load(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Next case']"))
    click_and_load(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "interview"))
    answer(browser, True, "电话里说：等太久")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "main button[name=action][value=finish]"))
    third = stored_answers(app, "2027-Q1")[2]
    assert third["mode"] == "phone" and third["why_low"][1] == "电话里说：等太久" and third["overall"][0] == 1
    assert third["services.app"][1] == "na" and third["parking"][1] == "na"
