"""Accessibility in a real browser: axe-core (the npm package pinned in package.json) run by Selenium in
Debian's headless chromium at phone (375 px) and desk (1280 px) width, on the demo.

Pages: every page reachable from each demo role's navigation (the walk of tests/test_demo_pages.py: the nav
pages and their first-level links, one URL per endpoint), plus the client form, its error page and the
closed-link pages (used, expired, unknown), at both widths in both languages; staff pages at both widths
in English and at 375 px in Chinese.  Allowed: 0 serious and 0 critical violations; no page wider than
the phone screen.  The test prints its page list (with the id of any minor violation).

Also here, in the same browser: the client form completed with the keyboard alone, answers kept by the
language switch, and the focus ring's contrast (>= 3:1) measured on the form and on a staff page.

axe-core is installed by ``npm ci`` in the repository root (.ci/run does it); without it the axe test is
skipped with that reason.  Set ``SURVEY_SCREENSHOTS=<folder>`` to also save the 375 px screenshots that
docs/screenshots/ holds.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.browser_wait import click_and_load, wait_until_replaced
from tests.test_demo_pages import walk
from tests.test_demo_support import build_demo

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
WIDTHS = (375, 1280)
LANGS = ("en", "zh_CN")
ROLES = ("admin", "supervisor", "quality", "interviewer1", "branchhead")
BLOCKING = {"serious", "critical"}
# staff pages: both widths in English, the phone width in Chinese (longer words, other wrapping); client pages: all four
STAFF_VIEWS = (("en", 375), ("en", 1280), ("zh_CN", 375))

pytestmark = pytest.mark.skipif(
    not CHROMEDRIVER.exists() or not CHROMIUM.exists(),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)
needs_axe = pytest.mark.skipif(not AXE.is_file(), reason=f"axe-core is not installed ({AXE} is missing): "
                               "run `npm ci` in the repository root, as .ci/run does")


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    yield from build_demo(database_url, tmp_path_factory, n_clients=600)


@pytest.fixture(scope="module")
def site(demo):
    quiet = logging.getLogger("werkzeug")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, demo.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    quiet.setLevel(level)


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en", "--hide-scrollbars"):
        options.add_argument(arg)
    options.binary_location = str(CHROMIUM)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(30)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()


def set_width(driver, width: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 800 if width < 600 else 900, "deviceScaleFactor": 1,
                            "mobile": width < 600})


def sign_in(driver, site: str, demo, username: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(f"{site}/login?lang=en")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(demo.result.passwords[username])
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert "/login" not in urlsplit(driver.current_url).path, f"{username} could not sign in"


def click_and_wait(driver, element) -> None:
    """Click ``element`` and wait for the next page to replace this one."""
    click_and_load(driver, element, timeout=10)


def with_lang(url: str, lang: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def axe_violations(driver) -> list[dict]:
    """Run axe-core on the loaded page; the violations as {id, impact, nodes (targets), help}."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 4).map(n => n.target.join(' '))}))));
    """)


def page_width(driver) -> int:
    return driver.execute_script("return document.documentElement.scrollWidth")


def staff_pages(demo) -> dict[str, list[str]]:
    """For each role, one URL per endpoint among the pages reachable from its navigation (the demo walk);
    a page another role already brought is not repeated."""
    urls = demo.app.url_map.bind("localhost")
    taken: set[str] = set()
    out: dict[str, list[str]] = {}
    for role in ROLES:
        seen, problems = walk(demo, role, "en")
        assert not problems, problems
        mine = []
        for url in seen:
            endpoint = urls.match(urlsplit(url).path, method="GET")[0]
            if endpoint not in taken:
                taken.add(endpoint)
                mine.append(url)
        out[role] = mine
    return out


@pytest.fixture(scope="module")
def links(demo):
    """The demo's client links that are still open (the demo answers some of the links it issues)."""
    from survey.services import invitations

    session = demo.session()
    try:
        return [t for t in demo.result.links if invitations.lookup(session, t).status == "ok"]
    finally:
        session.close()


def expired_link(demo) -> str:
    """A link issued 30 days ago for one day, by the invitation service (as a reminder re-issues one)."""
    import datetime as dt

    from sqlalchemy import select

    from survey.models import Invitation
    from survey.services import invitations

    session = demo.session()
    try:
        inv = session.scalars(select(Invitation).where(Invitation.used_at.is_(None)).order_by(Invitation.id.desc())).first()
        token = invitations.issue_token(inv, 1, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
        session.commit()
        return token
    finally:
        session.close()


def answer_with_keyboard(driver, url: str) -> list[str]:
    """Fill the survey form with the Tab, Space and Enter keys only; returns the questions answered."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(url)
    answered: list[str] = []
    for _ in range(250):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        el = driver.switch_to.active_element
        in_form = driver.execute_script("return arguments[0].form ? arguments[0].form.id : null", el) == "survey-form"
        kind, name = el.get_attribute("type"), el.get_attribute("name") or ""
        if not in_form or name == "switch_lang":
            continue
        if kind in ("radio", "checkbox") and name not in answered:
            ActionChains(driver).send_keys(Keys.SPACE).perform()
            answered.append(name)
        elif el.tag_name == "textarea" and name not in answered:
            ActionChains(driver).send_keys("Typed with the keyboard only").perform()
            answered.append(name)
        elif kind == "submit":
            page = driver.find_element(By.TAG_NAME, "html")
            ActionChains(driver).send_keys(Keys.ENTER).perform()
            wait_until_replaced(driver, page, timeout=10)
            return answered
    raise AssertionError("the submit button was never reached with Tab")


def check_page(driver, label: str, results: list[str], failures: list[str]) -> None:
    width = driver.execute_script("return window.innerWidth")
    found = axe_violations(driver)
    bad = [v for v in found if v["impact"] in BLOCKING]
    wide = page_width(driver)
    others = " ".join(f"{v['id']}({v['impact']})" for v in found if v["impact"] not in BLOCKING)
    results.append(f"{label:62} {len(bad)} serious/critical, page {wide:4} px  {others}".rstrip())
    for v in bad:
        failures.append(f"{label}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}")
    if wide > width:
        failures.append(f"{label}: the page is {wide} px wide on a {width} px screen")


@needs_axe
def test_axe_finds_no_serious_violation_on_any_page(demo, site, browser, links, capsys):
    from selenium.webdriver.common.by import By

    results: list[str] = []
    failures: list[str] = []
    for role, urls in staff_pages(demo).items():
        sign_in(browser, site, demo, role)
        for lang, width in STAFF_VIEWS:
            set_width(browser, width)
            for url in urls:
                browser.get(site + with_lang(url, lang))
                check_page(browser, f"{role:12} {lang:5} {width:4} {url}", results, failures)
    browser.delete_all_cookies()
    client_link, used_link, expired = links[-1], links[0], expired_link(demo)
    answer_with_keyboard(browser, f"{site}/s/{used_link}?lang=en")
    for lang in LANGS:
        for width in WIDTHS:
            set_width(browser, width)
            browser.get(f"{site}/s/{client_link}?lang={lang}")
            check_page(browser, f"{'client':12} {lang:5} {width:4} form", results, failures)
            click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.survey button[type=submit]:not([name])"))
            assert browser.find_elements(By.ID, "problems"), "the empty form was not refused"
            check_page(browser, f"{'client':12} {lang:5} {width:4} form with errors", results, failures)
            for status, token in (("unknown", "no-such-link"), ("used", used_link), ("expired", expired)):
                browser.get(f"{site}/s/{token}?lang={lang}")
                check_page(browser, f"{'client':12} {lang:5} {width:4} closed: {status} link", results, failures)
    with capsys.disabled():
        version = json.loads((AXE.parent / "package.json").read_text())["version"]
        print(f"\naxe-core {version}: {len(results)} page x width x language combinations")
        print("\n".join(results))
    assert len(results) >= 40
    assert not failures, "\n".join(failures)


def test_the_client_form_can_be_completed_with_the_keyboard_alone(demo, site, browser, links):
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    set_width(browser, 375)
    answered = answer_with_keyboard(browser, f"{site}/s/{links[1]}?lang=en")
    assert len(answered) >= 5, answered
    assert urlsplit(browser.current_url).path == "/s/thanks", browser.find_element(By.TAG_NAME, "main").text[:300]


def test_enter_in_a_radio_submits_the_form_not_the_language_switch(demo, site, browser, links):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.delete_all_cookies()
    browser.get(f"{site}/s/{links[2]}?lang=en")
    radio = browser.find_element(By.CSS_SELECTOR, "fieldset.question input[type=radio]")
    radio.click()
    page = browser.find_element(By.TAG_NAME, "html")
    radio.send_keys(Keys.ENTER)
    wait_until_replaced(browser, page, timeout=10)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.find_elements(By.ID, "problems"), "Enter submitted the form: the missing answers are listed"


def test_the_language_switch_keeps_the_answers(demo, site, browser, links):
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    set_width(browser, 375)
    browser.get(f"{site}/s/{links[2]}?lang=en")
    groups = browser.find_elements(By.CSS_SELECTOR, "fieldset.question")
    picked = []
    for group in groups:
        choices = group.find_elements(By.CSS_SELECTOR, "input[type=radio]")
        if choices and len(picked) < 3:
            choices[-1].click()
            picked.append((choices[-1].get_attribute("name"), choices[-1].get_attribute("value")))
    assert len(picked) == 3
    button = browser.find_element(By.CSS_SELECTOR, ".lang button[lang='zh-CN']")
    assert button.size["height"] >= 44 and button.size["width"] >= 44, button.size
    click_and_wait(browser, button)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    assert not browser.find_elements(By.ID, "problems"), "a language switch is not a submit: no errors shown"
    for name, value in picked:
        radio = browser.find_element(By.CSS_SELECTOR, f"input[name='{name}'][value='{value}']")
        assert radio.is_selected(), (name, value)
    # and back to English: still there
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".lang button[lang='en']"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert all(browser.find_element(By.CSS_SELECTOR, f"input[name='{n}'][value='{v}']").is_selected() for n, v in picked)


def test_the_error_page_marks_inputs_names_questions_and_takes_focus(demo, site, browser, links):
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(f"{site}/s/{links[2]}?lang=en")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.survey button[type=submit]:not([name])"))
    summary = browser.find_element(By.ID, "problems")
    n = len(summary.find_elements(By.CSS_SELECTOR, "li a"))
    assert n >= 1 and browser.title.startswith(f"{n} answer(s) to check")
    assert browser.switch_to.active_element == summary
    for link in summary.find_elements(By.CSS_SELECTOR, "li a"):
        target = browser.find_element(By.ID, link.get_attribute("href").split("#")[1])
        group = target.find_element(By.XPATH, "ancestor::fieldset")
        question = group.find_element(By.TAG_NAME, "legend").text.split("\n")[0]
        assert question.split(". ", 1)[1].rstrip("*").strip()[:20] in link.text
        for el in group.find_elements(By.CSS_SELECTOR, "input, textarea"):
            assert el.get_attribute("aria-invalid") == "true"
            described = browser.find_element(By.ID, el.get_attribute("aria-describedby"))
            assert described.text and described.get_attribute("class") == "error"


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours."""
    def lum(css: str) -> float:
        r, g, b = (int(float(v)) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3])
        lin = [(c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


RING = """
const el = arguments[0]; el.focus();
const st = getComputedStyle(el);
let p = el.parentElement, bg = 'rgb(255, 255, 255)';
while (p) { const c = getComputedStyle(p).backgroundColor;
  if (c && c !== 'transparent' && !c.startsWith('rgba(0, 0, 0, 0)')) { bg = c; break; } p = p.parentElement; }
return [document.activeElement === el, st.outlineStyle, parseFloat(st.outlineWidth), st.outlineColor, bg];
"""


def ring_contrasts(driver, selectors: list[str]) -> dict[str, float]:
    from selenium.webdriver.common.by import By

    out = {}
    for css in selectors:
        focused, style, width, colour, behind = driver.execute_script(RING, driver.find_element(By.CSS_SELECTOR, css))
        assert focused and style == "solid" and width >= 2, (css, style, width)
        out[css] = round(contrast(colour, behind), 2)
    return out


def test_the_focus_ring_has_3_to_1_contrast_on_the_form_and_a_staff_page(demo, site, browser, links, capsys):
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    set_width(browser, 1280)
    browser.get(f"{site}/s/{links[2]}?lang=en")
    form = ring_contrasts(browser, [".lang button", "input[type=radio]", "textarea", "form.survey button[type=submit]:not([name])"])
    sign_in(browser, site, demo, "supervisor")
    browser.get(f"{site}/staff/fieldwork/?lang=en")
    staff = ring_contrasts(browser, [".top nav a", ".lang a", ".top button.link", "main a"])
    dashboard = browser.find_element(By.CSS_SELECTOR, "main a[href*='/fieldwork/waves/']").get_attribute("href")
    set_width(browser, 375)  # the progress table scrolls inside its region on a phone
    browser.get(with_lang(dashboard, "en"))
    staff.update(ring_contrasts(browser, [".table-wrap[tabindex]"]))
    with capsys.disabled():
        print(f"\nfocus ring contrast, form: {form}\nfocus ring contrast, staff page: {staff}")
    assert min(form.values()) >= 3 and min(staff.values()) >= 3, (form, staff)


def test_screenshots_at_375_px(demo, site, browser, links):
    """Saved only when SURVEY_SCREENSHOTS names a folder (docs/screenshots/ holds the committed ones)."""
    folder = os.environ.get("SURVEY_SCREENSHOTS")
    if not folder:
        pytest.skip("set SURVEY_SCREENSHOTS=<folder> to save the 375 px screenshots")
    from selenium.webdriver.common.by import By

    def shoot(url: str, name: str) -> None:
        set_width(browser, 375)
        browser.get(site + url)
        height = min(4000, browser.execute_script("return document.documentElement.scrollHeight"))
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 375, "height": height, "deviceScaleFactor": 1, "mobile": True})
        browser.save_screenshot(str(Path(folder) / name))

    browser.delete_all_cookies()
    shoot(f"/s/{links[3]}?lang=en", "client-form-375.png")
    sign_in(browser, site, demo, "quality")
    shoot("/quality/?lang=en", "quality-overview-375.png")
    shoot("/quality/trends?lang=en", "quality-trends-375.png")
    sign_in(browser, site, demo, "interviewer1")
    set_width(browser, 375)
    browser.get(f"{site}/staff/fieldwork/my?lang=en")
    case = browser.find_element(By.CSS_SELECTOR, "main table a[href*='/staff/fieldwork/cases/']").get_attribute("href")
    shoot(urlsplit(case).path + "?lang=en", "interviewer-case-375.png")


def test_the_0_to_10_scale_is_one_row_with_its_end_labels_under_0_and_10(demo, site, browser, links, capsys):
    browser.delete_all_cookies()
    sizes = {}
    for width in (360, 375):
        set_width(browser, width)
        browser.get(f"{site}/s/{links[2]}?lang=en")
        boxes = browser.execute_script("""
            const labels = [...document.querySelectorAll('.scale.eleven label')].slice(0, 11);
            const ends = [...document.querySelector('.scale-ends').children];
            const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
            return {labels: labels.map(r), ends: ends.map(r), page: document.documentElement.scrollWidth};""")
        tops = {round(b[1]) for b in boxes["labels"]}
        assert len(tops) == 1, f"the 0-10 scale wraps at {width} px: rows at {sorted(tops)}"
        first, last = boxes["labels"][0], boxes["labels"][-1]
        start, end = boxes["ends"]
        assert start[1] >= first[3] and abs(start[0] - first[0]) < 2  # "0 = ..." under the 0
        assert end[1] >= last[3] and abs(end[2] - last[2]) < 2  # "10 = ..." under the 10, right-aligned
        assert boxes["page"] <= width
        sizes[width] = (round(first[2] - first[0], 1), round(first[3] - first[1], 1))
    with capsys.disabled():
        print(f"\n0-10 scale target (width, height) in px by screen width: {sizes}")
    assert all(w >= 24 and h >= 44 for w, h in sizes.values()), sizes  # WCAG 2.5.8 (24 px); 44 px tall
