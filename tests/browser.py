"""Headless Chromium (Debian's, installed by `make test`) for tests that look at a page."""

from __future__ import annotations

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

# No background traffic: the machine has no network beyond loopback.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium(*extra: str, console: bool = False) -> webdriver.Chrome:
    """A new browser; `console` keeps its console log (refused scripts show there)."""
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in (*FLAGS, *extra):
        options.add_argument(flag)
    if console:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
