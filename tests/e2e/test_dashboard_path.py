"""The editorial workflow in a real browser (Debian's headless Chromium) against a real
`humasbot run` that sends to a fake Twilio over HTTP: an editor writes content, a second editor
approves it and schedules it for a group, the first approves the broadcast, both see it in the
calendar, it goes out at its time and its funnel shows every member reached once; an admin then
imports members from a CSV with bad rows. Every page is saved as a screenshot in
`tests/artifacts/screens/` (desktop and phone width) to be looked at."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.fake_twilio import FakeTwilio
from tests.processes import clean_environment, free_port, humasbot, humasbot_run

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("HUMASBOT_REQUIRE_BROWSER"):
        pytest.fail("Chromium and ChromeDriver are required (apt-get install chromium-driver)")
    pytest.skip("needs Debian's chromium and chromium-driver", allow_module_level=True)

from selenium import webdriver  # noqa: E402  (only once the browser is known to be there)
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

SCREENS = Path(__file__).parents[1] / "artifacts" / "screens"
PASSWORD = "kata-sandi-rahasia"
MEMBERS = ("081200000001", "081200000002", "081200000003")
JAKARTA = ZoneInfo("Asia/Jakarta")
BODY = "Cek nama Anda di DPT lewat cekdptonline.kpu.go.id sebelum hari pemungutan suara."
CSV = (
    "nomor;nama;peran\n"
    "081311112222;Sari;anggota\n"
    "0813 3333 4444;Dimas;koordinator\n"
    "12345;Salah Nomor;anggota\n"  # not a phone number
    "081311112222;Sari lagi;anggota\n"  # the same person twice
    "081355556666;Rudi;kepala\n"  # no such role
)


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[tuple[Path, str, FakeTwilio]]:
    with FakeTwilio(callbacks=True) as fake:
        port = free_port()
        env = clean_environment(
            SECRET_KEY="browser-test-secret",
            PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
            **fake.environment(),
        )
        for args in (
            ("admin", "create", "rina", "--role", "editor"),
            ("admin", "create", "budi", "--role", "editor"),
            ("admin", "create", "admin-jatim", "--role", "admin"),
        ):
            run(tmp_path, env, *args, "--password-stdin", stdin=PASSWORD + "\n")
        run(tmp_path, env, "group", "create", "JATIM", "--name", "Bakohumas Jawa Timur")
        run(tmp_path, env, "group", "quiet-hours", "JATIM", "--off")  # whatever the hour of CI
        for phone in MEMBERS:
            run(tmp_path, env, "member", "add", phone, "--group", "JATIM")
            # Each wrote today, so a free-form message may reach them (WhatsApp's 24 hours).
            run(tmp_path, env, "chat", "--from", phone, "--message", "halo")
        with humasbot_run(tmp_path, env=env, output=subprocess.DEVNULL, port=port) as (_, _p):
            yield tmp_path, f"http://127.0.0.1:{port}", fake


def run(directory: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = humasbot(directory, *args, stdin=stdin, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,1000")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(10)
    driver.set_page_load_timeout(60)  # a shared CI machine can be slow; never a wrong page
    SCREENS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def test_content_written_approved_scheduled_sent_and_members_imported(
    bot: tuple[Path, str, FakeTwilio], browser: webdriver.Chrome
) -> None:
    _, base, fake = bot
    # An editor writes the content and submits it; the preview is a WhatsApp bubble.
    log_in(browser, base, "rina")
    browser.get(f"{base}/admin/content/new")
    browser.find_element(By.NAME, "title").send_keys("Cek DPT")
    browser.find_element(By.NAME, "body").send_keys(BODY)
    screen(browser, "content-new")
    browser.find_element(By.CSS_SELECTOR, "button[name=action][value=submit]").click()
    page = shown(browser, "Cek DPT")
    content_url = browser.current_url
    assert "/admin/content/" in content_url
    screen(browser, "content-submitted")
    log_out(browser)

    # A second editor approves it and sends it to the group at a time on the group's clock.
    log_in(browser, base, "budi")
    browser.get(content_url)
    click(browser, "form[action$='/approve'] button")
    shown(browser, "Kirim")
    screen(browser, "content-approved")
    browser.find_element(By.CSS_SELECTOR, "a[href*='/admin/broadcasts/new?content=']").click()
    Select(browser.find_element(By.NAME, "group")).select_by_value("JATIM")
    click(browser, "form.filters button[type=submit]")
    page = shown(browser, "3")  # the audience: three members
    at = send_time()
    fill(browser, "date", at.strftime("%Y-%m-%d"))
    fill(browser, "time", at.strftime("%H:%M"))
    screen(browser, "broadcast-compose")
    click(browser, "form.compose button[type=submit]")
    page = shown(browser, "menunggu persetujuan")
    assert f"pukul {at:%H.%M} WIB" in page, page
    broadcast_url = browser.current_url
    screen(browser, "broadcast-proposed")
    log_out(browser)

    # The first editor approves the broadcast (not their own) and finds it in the calendar.
    log_in(browser, base, "rina")
    browser.get(broadcast_url)
    click(browser, "form[action$='/approve'] button")
    shown(browser, "disetujui")
    browser.get(f"{base}/admin/calendar?view=week&group=JATIM&date={at:%Y-%m-%d}")
    page = shown(browser, f"{at:%H.%M}")
    assert "Cek nama Anda" in page or "Cek DPT" in page, page
    screen(browser, "calendar-week")

    # At its time it goes out: each member once; the funnel shows them all.
    browser.get(broadcast_url)
    deadline = time.monotonic() + 200
    while "selesai dikirim" not in body_text(browser) and time.monotonic() < deadline:
        time.sleep(2)
        browser.refresh()
    page = body_text(browser)
    screen(browser, "broadcast-funnel")
    assert "selesai dikirim" in page, page
    assert len(fake.messages) == len(MEMBERS), [(m.to, m.body[:40]) for m in fake.messages]
    for phone in MEMBERS:
        sent = fake.sent_to(f"whatsapp:+62{phone[1:]}")
        assert len(sent) == 1 and "Cek nama Anda di DPT" in sent[0].body, phone
    tour(browser, base, "editor")
    log_out(browser)

    # An admin imports members: good rows in, each refused row with its reason.
    log_in(browser, base, "admin-jatim")
    browser.get(f"{base}/admin/groups/JATIM/import")
    members = Path(browser_download_dir(browser)) / "anggota.csv"
    members.write_text(CSV, encoding="utf-8")
    browser.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(str(members))
    click(browser, "form[action$='/import'] button[type=submit]")
    report = shown(browser, "12345")
    assert "Rudi" in report or "kepala" in report, report
    screen(browser, "import-report")
    click(browser, "form.import-confirm button[type=submit]")
    shown(browser, "Dimas")
    screen(browser, "group-after-import")
    tour(browser, base, "admin")


def send_time() -> datetime:
    """The next whole minute on Jakarta's clock at least 40 s away: the form takes minutes."""
    now = datetime.now(JAKARTA)
    at = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return at if (at - now).total_seconds() >= 40 else at + timedelta(minutes=1)


def tour(browser: webdriver.Chrome, base: str, who: str) -> None:
    """A screenshot of every page in the menu, at desktop and phone width."""
    links = [a.get_attribute("href") or "" for a in browser.find_elements(By.CSS_SELECTOR, "nav a")]
    assert len(links) >= 7, links
    for href in links:
        browser.get(href)
        assert "Terjadi galat" not in body_text(browser), href
        name = f"{who}-{href.rstrip('/').rsplit('/', 1)[-1] or 'overview'}"
        screen(browser, name)
        browser.set_window_size(390, 844)
        screen(browser, f"{name}-phone")
        browser.set_window_size(1280, 1000)
    assert all(href.startswith(base) for href in links)


def browser_download_dir(browser: webdriver.Chrome) -> str:
    SCREENS.mkdir(parents=True, exist_ok=True)
    return str(SCREENS)


def log_in(browser: webdriver.Chrome, base: str, username: str) -> None:
    browser.get(f"{base}/admin/login")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    click(browser, "form[action$='/login'] button[type=submit]")
    shown(browser, username)


def log_out(browser: webdriver.Chrome) -> None:
    click(browser, "form[action$='/logout'] button[type=submit]")
    shown(browser, "Masuk")


def click(browser: webdriver.Chrome, selector: str) -> None:
    browser.find_element(By.CSS_SELECTOR, selector).click()


def fill(browser: webdriver.Chrome, name: str, value: str) -> None:
    """Date and time inputs take what the browser's locale types; set their value instead."""
    field: WebElement = browser.find_element(By.NAME, name)
    browser.execute_script("arguments[0].value = arguments[1]", field, value)


def body_text(browser: webdriver.Chrome) -> str:
    return str(browser.find_element(By.TAG_NAME, "body").text)


def shown(browser: webdriver.Chrome, words: str) -> str:
    """The page's text once it shows `words`: a click returns before the next page loads."""
    waiting = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    waiting.until(lambda driver: words in driver.find_element(By.TAG_NAME, "body").text)
    return body_text(browser)


def screen(browser: webdriver.Chrome, name: str) -> None:
    browser.save_screenshot(str(SCREENS / f"{name}.png"))
