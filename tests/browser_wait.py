"""Waiting for a browser to replace the page after a click or a key press.

Selenium's ``staleness_of`` only expects ``StaleElementReferenceException``; Chromium's driver sometimes answers
"Node with given id does not belong to the document" (a plain ``WebDriverException``) for a node of the page that
just went away, and the wait then fails instead of succeeding. Any driver error on the old page's root means it is
gone; the new page counts once its document has loaded.
"""
from __future__ import annotations


def wait_until_replaced(driver, page, timeout: float = 30) -> None:
    """Wait until ``page`` (the old ``<html>`` element) is gone and the new document has loaded."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def replaced(_driver) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:
            try:
                return driver.execute_script("return document.readyState") == "complete"
            except WebDriverException:  # the new document is still being attached
                return False
        return False

    WebDriverWait(driver, timeout).until(replaced)


def click_and_load(driver, element, timeout: float = 30) -> None:
    """Click a submit button or link and wait until the next page has replaced this one."""
    from selenium.webdriver.common.by import By

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait_until_replaced(driver, page, timeout)
