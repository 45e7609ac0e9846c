"""The dashboard in a real browser (Debian's headless Chromium) against a real `humasbot run`:
an admin made by the CLI logs in, finds the group and the waiting broadcast, and pauses a
campaign by clicking its button."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import clean_environment, humasbot, humasbot_run

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("HUMASBOT_REQUIRE_BROWSER"):
        pytest.fail("Chromium and ChromeDriver are required (apt-get install chromium-driver)")
    pytest.skip("needs Debian's chromium and chromium-driver", allow_module_level=True)

from selenium import webdriver  # noqa: E402  (only once the browser is known to be there)
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ADMIN, PASSWORD = "admin-jatim", "kata-sandi-rahasia"
COORDINATOR = "081200000001"


SECRET = clean_environment(SECRET_KEY="browser-test-secret")


def cli(directory: Path, *args: str, stdin: str | None = None) -> str:
    done = humasbot(directory, *args, stdin=stdin, env=SECRET)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    with humasbot_run(tmp_path, env=SECRET, output=subprocess.DEVNULL) as (port, _):
        yield tmp_path, f"http://127.0.0.1:{port}"


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(10)
    driver.set_page_load_timeout(60)  # a shared CI machine can be slow; never a wrong page
    try:
        yield driver
    finally:
        driver.quit()


def test_an_admin_logs_in_sees_the_queue_and_pauses_a_campaign(
    server: tuple[Path, str], browser: webdriver.Chrome
) -> None:
    directory, base = server
    cli(directory, "admin", "create", ADMIN, "--password-stdin", stdin=PASSWORD + "\n")
    cli(directory, "group", "create", "JATIM", "--name", "Bakohumas Jawa Timur")
    cli(directory, "member", "add", COORDINATOR, "--group", "JATIM", "--role", "coordinator")
    cli(directory, "campaign", "create", "literasi-jatim", "--title", "Literasi Jatim")
    reply = cli(directory, "chat", "--from", COORDINATOR, "--message", "SIARKAN JATIM Cek TPS Anda")
    assert "#1" in reply

    browser.get(f"{base}/admin/")  # not logged in: the login page, then back here
    assert "/admin/login" in browser.current_url
    log_in(browser, "salah-sekali")
    assert "salah" in shown(browser, "salah")
    log_in(browser, PASSWORD)
    page = shown(browser, "Menunggu persetujuan")
    assert "Menunggu persetujuan (1)" in page
    assert "Cek TPS Anda" in page and "Bakohumas Jawa Timur" in page

    browser.find_element(By.LINK_TEXT, "Seri siaran").click()
    shown(browser, "literasi-jatim")
    browser.find_element(By.CSS_SELECTOR, "button[value=pause]").click()
    assert "dijeda" in shown(browser, "dijeda")  # the state in words, not "paused"
    assert browser.find_elements(By.CSS_SELECTOR, "button[value=resume]")


def log_in(browser: webdriver.Chrome, password: str) -> None:
    browser.find_element(By.NAME, "username").send_keys(ADMIN)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form[action$='/login'] button[type=submit]").click()


def shown(browser: webdriver.Chrome, words: str) -> str:
    """The page's text once it shows `words`: a click returns before the next page loads."""
    # While the next page loads, the body found may belong to the page going away.
    waiting = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    waiting.until(lambda driver: words in driver.find_element(By.TAG_NAME, "body").text)
    return str(browser.find_element(By.TAG_NAME, "body").text)
