"""In a real browser: a quality analyst signs in, opens the trends and finds one series per tier, same figures as the table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from tests.browser_wait import click_and_load
from tests.factories import make_user
from tests.factories_quality import add_cases, make_clients, quality_wave, record_draw

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
TIERS = ("private", "diamond", "gold", "standard")

pytestmark = pytest.mark.skipif(
    not CHROMEDRIVER.exists() or not CHROMIUM.exists(),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)


@pytest.fixture
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--window-size=1280,1600", "--lang=en"):
        options.add_argument(arg)
    options.binary_location = str(CHROMIUM)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def three_waves(db):
    rng = np.random.default_rng(11)
    sizes = {"private": 60, "diamond": 240, "gold": 2500, "standard": 8000}
    for k, start in enumerate((dt.date(2026, 1, 1), dt.date(2026, 4, 1), dt.date(2026, 7, 1))):
        wave = quality_wave(db, f"2026-Q{k + 1}", start)
        record_draw(db, wave, sizes)
        for tier in TIERS:
            overall = rng.integers(2, 6, size=15)
            answers = [{"overall": int(v), "recommend": int(min(10, 2 * v))} for v in overall]
            add_cases(db, wave, make_clients(db, tier, 17), tier, answers=answers, dispositions=["2.11", "3.13"])
    make_user(db, "quality", username="analyst", password="browser-pass-1")
    db.commit()


def test_trend_page_in_a_browser(live_server, browser, three_waves):
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server}/login?lang=en")
    browser.find_element(By.ID, "username").send_keys("analyst")
    browser.find_element(By.ID, "password").send_keys("browser-pass-1")
    click_and_load(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    browser.find_element(By.CSS_SELECTOR, "nav[aria-label='Quality pages']")  # landed on the quality pages
    click_and_load(browser, browser.find_element(By.LINK_TEXT, "Trends"))

    series = browser.find_elements(By.CSS_SELECTOR, "svg g[id^='series-']")
    by_id = {g.get_attribute("id"): g.get_attribute("data-values").split(";") for g in series}
    assert set(by_id) == {"series-all"} | {f"series-{t}" for t in TIERS}

    table = {}
    for row in browser.find_elements(By.CSS_SELECTOR, "table#trend-mean tbody tr"):
        head = row.find_element(By.CSS_SELECTOR, "th").text
        values = [span.text for span in row.find_elements(By.CSS_SELECTOR, "td span.value")]
        table[head] = values[:3]
    labels = {"series-all": "Bank (all tiers)", "series-private": "Private banking", "series-diamond": "Diamond",
              "series-gold": "Gold", "series-standard": "Standard"}
    for gid, label in labels.items():
        assert by_id[gid] == table[label], gid
    assert all(v.replace(".", "").isdigit() for v in table["Gold"])
