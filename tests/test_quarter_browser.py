"""A whole quarter in a real browser, as each role lives it (issue 10's journey).

The starting point is what ``survey demo`` makes (the product's own builder: clients, staff, past waves);
from there every step goes through the pages in headless Chromium, starting at the login page, with CSRF
on: the supervisor creates 2027-Q1 from the previous wave, edits its settings, plans, confirms, draws and
opens fieldwork; an interviewer takes the next case and completes an interview; a client answers a link
taken from the outbox; the supervisor releases reserve to target and closes fieldwork; the quality analyst
sees the wave as final; the admin creates an interviewer, who then signs in.  The database is only read,
to check what the pages did.  Runs on SQLite by default and on PostgreSQL when SURVEY_DATABASE_URL is set.
"""

from __future__ import annotations

import email
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey.db import session_scope
from survey.models import Invitation, Response, Wave
from survey.services.demo import data as demo_data
from tests.browser_wait import click_and_load
from tests.test_quality_browser import browser, pytestmark  # noqa: F401  (the Chromium fixture and skip rule)

N_CLIENTS = 1500


@pytest.fixture
def served_demo(csrf_app, live_server):
    """The demo (the product's own builder) on the emptied test database, served with CSRF on."""
    with csrf_app.app_context(), session_scope(csrf_app) as session:
        result = demo_data.build(session, n_clients=N_CLIENTS, seed=7)
    csrf_app.config["PUBLIC_BASE_URL"] = live_server
    return csrf_app, live_server, result.passwords


def _by():
    from selenium.webdriver.common.by import By

    return By


def sign_in(driver, base, username, password):
    By = _by()
    driver.delete_all_cookies()
    driver.get(f"{base}/login?lang=en")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert "/login" not in driver.current_url, driver.find_element(By.TAG_NAME, "main").text


def flash(driver) -> str:
    return " ".join(e.text for e in driver.find_elements(_by().CSS_SELECTOR, "p.flash"))


def answer_every_question(driver):
    """Pick a middle answer for every radio group and leave free text empty (as a hurried client would)."""
    By = _by()
    groups: dict[str, list] = {}
    for radio in driver.find_elements(By.CSS_SELECTOR, "form#survey-form input[type=radio]"):
        groups.setdefault(radio.get_attribute("name"), []).append(radio)
    assert len(groups) >= 5, "the questionnaire should show its rating questions"
    for radios in groups.values():
        choice = radios[len(radios) // 2]
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", choice)
        choice.click()


def wave_state(app, name):
    with app.app_context(), session_scope(app) as s:
        wave = s.scalar(select(Wave).where(Wave.name == name))
        if wave is None:
            return None, 0
        responses = s.scalar(select(func.count(Response.id)).where(Response.wave_id == wave.id))
        return wave.status, responses


def test_a_quarter_in_the_browser(served_demo, browser):  # noqa: F811
    from selenium.webdriver.support.ui import Select

    By = _by()
    app, base, passwords = served_demo

    # -- supervisor: a new wave from the previous one, its settings, plan, confirm, draw, open fieldwork
    sign_in(browser, base, "supervisor", passwords["supervisor"])
    # the previous quarter is closed before the next one opens (so the queue holds only the new wave's cases)
    browser.get(f"{base}/staff/?lang=en")
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "2026-Q4"))
    click_and_load(browser, browser.find_element(By.ID, "close-fieldwork"))
    browser.find_element(By.ID, "confirm-close-check").click()
    click_and_load(browser, browser.find_element(By.ID, "confirm-close"))
    assert wave_state(app, "2026-Q4")[0] == "closed"
    browser.get(f"{base}/staff/?lang=en")
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "New wave"))
    name = browser.find_element(By.ID, "name")
    name.clear()
    name.send_keys("2027-Q1")
    assert Select(browser.find_element(By.ID, "copy_from")).first_selected_option.text == "2026-Q4"
    click_and_load(browser, browser.find_element(By.ID, "create-wave"))
    wave_url = browser.current_url.split("?")[0]
    assert re.search(r"/staff/waves/\d+$", wave_url), wave_url
    assert wave_state(app, "2027-Q1") == ("draft", 0)

    click_and_load(browser, browser.find_element(By.ID, "wave-settings"))
    hours = browser.find_element(By.ID, "calling_hours")
    hours.clear()
    hours.send_keys("0-24")  # the journey must not depend on the hour the test runs at
    # the higher tiers by web link this quarter, Standard (the tier with a reserve) by visits
    for tier in ("private", "diamond", "platinum", "gold"):
        Select(browser.find_element(By.ID, f"modes-{tier}")).select_by_value("web")
    Select(browser.find_element(By.ID, "modes-standard")).select_by_value("in_person")
    rate = browser.find_element(By.ID, "expected_response_rate")  # an optimistic plan: a small first release
    rate.clear()
    rate.send_keys("0.9")
    click_and_load(browser, browser.find_element(By.ID, "save-settings"))
    assert not browser.find_elements(By.CSS_SELECTOR, ".error-summary"), browser.find_element(By.TAG_NAME, "main").text

    browser.get(wave_url + "?lang=en")
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "Sampling plan"))
    assert browser.find_element(By.ID, "plan-census")  # the plan beside a census
    checks = browser.find_elements(By.ID, "confirm-plan")
    if checks:  # the default plan takes more than half of a small tier: it must be confirmed explicitly
        assert "Private" in browser.find_element(By.ID, "plan-checks").text
        checks[0].click()
    click_and_load(browser, browser.find_element(By.ID, "confirm-plan-submit"))
    assert "Sampling plan confirmed" in flash(browser)

    browser.get(wave_url + "?lang=en")
    seed = browser.find_element(By.ID, "seed")
    seed.send_keys("7")
    click_and_load(browser, browser.find_element(By.ID, "draw"))
    if browser.find_elements(By.ID, "draw-checks"):  # refused without the box: tick it and draw again
        browser.find_element(By.ID, "seed").send_keys("7")
        browser.find_element(By.ID, "confirm-plan").click()
        click_and_load(browser, browser.find_element(By.ID, "draw"))
    assert "Sample drawn with seed 7" in flash(browser), browser.find_element(By.TAG_NAME, "main").text
    assert wave_state(app, "2027-Q1")[0] == "sampled"

    click_and_load(browser, browser.find_element(By.ID, "open-fieldwork"))
    assert wave_state(app, "2027-Q1")[0] == "in_field"
    outbox = Path(app.config["OUTBOX_DIR"])
    messages = sorted(outbox.glob("*.eml"))
    assert messages, "opening fieldwork with 'e-mail now' leaves the web links in the outbox"

    # the supervisor shares the calls and visits among the interviewers
    wave_id = int(wave_url.rsplit("/", 1)[1])
    browser.get(f"{base}/staff/fieldwork/waves/{wave_id}/cases?lang=en")
    click_and_load(
        browser, browser.find_element(By.CSS_SELECTOR, f"form[action$='/fieldwork/waves/{wave_id}/assign'] button")
    )

    # -- interviewer: refusals until one in Standard (the tier with a reserve), then a case interviewed to the end
    sign_in(browser, base, "interviewer1", passwords["interviewer1"])
    tiers_refused = []
    while "Standard" not in tiers_refused and len(tiers_refused) < 40:
        click_and_load(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Next case']"))
        assert re.search(r"/staff/fieldwork/cases/\d+", browser.current_url), browser.find_element(By.TAG_NAME, "main").text
        tiers_refused.append(browser.find_element(By.XPATH, "//dt[normalize-space()='Tier']/following-sibling::dd[1]").text)
        Select(browser.find_element(By.ID, "outcome")).select_by_value("2.11")
        click_and_load(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Record outcome']"))
    assert "Standard" in tiers_refused, tiers_refused
    click_and_load(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Next case']"))
    assert re.search(r"/staff/fieldwork/cases/\d+", browser.current_url), browser.find_element(By.TAG_NAME, "main").text
    click_and_load(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "interview"))
    answer_every_question(browser)
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "main button[name=action][value=finish]"))
    assert wave_state(app, "2027-Q1")[1] == 1, browser.find_element(By.TAG_NAME, "main").text[:1500]

    # -- a client: the link from the outbox, answered with no login
    browser.delete_all_cookies()
    body = email.message_from_bytes(messages[0].read_bytes())
    text = "".join(
        part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        for part in body.walk()
        if part.get_content_type() == "text/plain"
    )
    link = re.search(r"https?://\S+/s/[A-Za-z0-9_\-]+", text).group(0)
    browser.get(link + "?lang=en")
    answer_every_question(browser)
    click_and_load(
        browser, browser.find_element(By.CSS_SELECTOR, "main form#survey-form button[type=submit]:not([hidden])")
    )
    assert wave_state(app, "2027-Q1")[1] == 2
    browser.get(link + "?lang=en")  # the link is single-use
    assert browser.find_elements(By.CSS_SELECTOR, "form#survey-form input[type=radio]") == []

    # -- quality analyst, while in field: provisional
    sign_in(browser, base, "quality", passwords["quality"])
    browser.get(f"{base}/quality/?wave={wave_id}&lang=en")
    assert browser.find_elements(By.CSS_SELECTOR, f"p.provisional[data-wave='{wave_id}']")

    # -- supervisor: reserve released to target, then fieldwork closed
    sign_in(browser, base, "supervisor", passwords["supervisor"])
    browser.get(wave_url + "?lang=en")
    with app.app_context(), session_scope(app) as s:
        released_before = s.scalar(
            select(func.count(Invitation.id)).where(Invitation.wave_id == wave_id, Invitation.kind == "sample")
        )
    release = browser.find_elements(By.ID, "release-to-target")
    assert release, browser.find_element(By.ID, "sampling").text
    click_and_load(browser, release[0])
    with app.app_context(), session_scope(app) as s:
        released_after = s.scalar(
            select(func.count(Invitation.id)).where(Invitation.wave_id == wave_id, Invitation.kind == "sample")
        )
    assert released_after > released_before, flash(browser)
    browser.get(wave_url + "?lang=en")
    click_and_load(browser, browser.find_element(By.ID, "close-fieldwork"))
    browser.find_element(By.ID, "confirm-close-check").click()
    click_and_load(browser, browser.find_element(By.ID, "confirm-close"))
    assert wave_state(app, "2027-Q1") == ("closed", 2)

    # -- quality analyst: the wave is final
    sign_in(browser, base, "quality", passwords["quality"])
    browser.get(f"{base}/quality/?wave={wave_id}&lang=en")
    assert "2027-Q1" in browser.find_element(By.TAG_NAME, "main").text
    assert not browser.find_elements(By.CSS_SELECTOR, "p.provisional")

    # -- admin: a new interviewer, who signs in
    sign_in(browser, base, "admin", passwords["admin"])
    browser.get(f"{base}/admin/users?lang=en")
    form = browser.find_element(By.ID, "new-user")
    for field, value in (
        ("username", "newcomer"),
        ("display_name", "新访员 Newcomer"),
        ("password", "a-long-new-pass-7"),
        ("employee_code", "INT09"),
    ):
        form.find_element(By.NAME, field).send_keys(value)
    Select(form.find_element(By.NAME, "role")).select_by_value("interviewer")
    click_and_load(browser, browser.find_element(By.ID, "create-user"))
    assert "Account newcomer created." in flash(browser)
    sign_in(browser, base, "newcomer", "a-long-new-pass-7")
    assert browser.find_elements(By.XPATH, "//button[normalize-space()='Next case']")
