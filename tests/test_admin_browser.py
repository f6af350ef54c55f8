"""In a real browser, without JavaScript tricks: the admin creates an interviewer, who then signs in.

The admin account itself comes from the command line, as on a fresh server; the rest goes through the pages
by the stable names the journeys use (/admin/users; username, display_name, password, role, branch,
employee_code, capacity; #create-user)."""

from __future__ import annotations

from tests.browser_wait import click_and_load
from tests.test_quality_browser import browser, pytestmark  # noqa: F401  (the Chromium fixture and skip rule)


def _sign_in(driver, base: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login?lang=en")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    # wait for the signed-in page: a next get() racing the login POST would find no session yet
    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))


def test_admin_creates_an_interviewer_who_signs_in(live_server, browser, runner):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    made = runner.invoke(args=["create-user", "boss", "--role", "admin"], input="chief-passphrase-1\n")
    assert made.exit_code == 0, made.output
    _sign_in(browser, live_server, "boss", "chief-passphrase-1")
    browser.get(f"{live_server}/admin/users?lang=en")
    form = browser.find_element(By.ID, "new-user")
    for name, value in (("username", "iv_web"), ("display_name", "网页访员"), ("password", "web-passphrase-12"),
                        ("employee_code", "INT77")):
        form.find_element(By.NAME, name).send_keys(value)
    Select(form.find_element(By.NAME, "role")).select_by_value("interviewer")
    capacity = form.find_element(By.NAME, "capacity")
    capacity.clear()
    capacity.send_keys("15")
    click_and_load(browser, browser.find_element(By.ID, "create-user"))
    assert "Account iv_web created." in browser.find_element(By.CSS_SELECTOR, "p.flash").text
    row = browser.find_element(By.XPATH, "//tr[th/a[text()='iv_web']]")
    assert "INT77" in row.text and "15" in row.text

    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form[action$='/logout'] button"))
    _sign_in(browser, live_server, "iv_web", "web-passphrase-12")
    assert browser.find_element(By.CSS_SELECTOR, ".who").text == "网页访员"
    assert browser.find_element(By.LINK_TEXT, "My cases")
