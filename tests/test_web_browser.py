"""A department's whole check in a real headless Chromium: upload, read the findings, fix, upload again, download the Annex.

The server is the real command (`python -m perfeval_xl serve`) on a free
127.0.0.1 port, in a subprocess; the browser is Debian's chromium driven by
selenium through /usr/bin/chromedriver. Screenshots of each step are saved
in the test's folder (and into $PERFEVAL_SCREENSHOTS when set) to be looked at.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openpyxl
import pytest

from helpers import clean_data

from perfeval_xl.writers.intake_form import write_intake

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
                       reason="Chromium or ChromeDriver is not installed (Debian packages chromium, chromium-driver)"),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server_process(tmp_path):
    """The real `perfeval serve`, started; its private folder goes under tmp_path/tmp (TMPDIR).

    Stopped last (after the browser has quit): no traceback in its log, nothing left in its folder.
    """
    port = free_port()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    process = subprocess.Popen(
        [sys.executable, "-m", "perfeval_xl", "serve", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    yield process, f"http://127.0.0.1:{port}/", tmp
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log = process.stdout.read().decode("utf-8", "replace")
    assert "Traceback" not in log, log
    assert sorted(tmp.rglob("*")) == [], "the server left files behind"


@pytest.fixture
def server(server_process, browser):
    """(url, its folder) once the server answers; Chromium starts (`browser`) while the server starts."""
    process, url, tmp = server_process
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                assert answer.status == 200
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the server did not start:\n" + process.stdout.read().decode("utf-8", "replace"))
            time.sleep(0.05)
    return url, tmp


@pytest.fixture
def browser(tmp_path, server_process):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900",
                 "--lang=zh-CN"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "download.directory_upgrade": True, "safebrowsing.enabled": False,
    })
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    yield driver, downloads
    driver.quit()


def screenshot(driver, path: Path) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(int(height) + 150, 600), 4000))   # + room for the window frame
    driver.save_screenshot(str(path))
    extra = os.environ.get("PERFEVAL_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)


def upload(driver, url: str, path: Path) -> str:
    driver.get(url)
    driver.find_element(By.ID, "file").send_keys(str(path))
    driver.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]").click()
    WebDriverWait(driver, 60).until(expected_conditions.presence_of_element_located((By.ID, "verdict")))
    return driver.find_element(By.ID, "verdict").text


def test_a_department_checks_fixes_and_downloads_its_annex(server, browser, tmp_path):
    url, _ = server
    driver, downloads = browser
    wrong, right = tmp_path / "wrong", tmp_path / "right"
    wrong.mkdir()
    right.mkdir()
    data = clean_data()
    data["indicators"][1]["实际完成值"] = "126米"          # the target is in 公里
    write_intake(wrong / "2023_农村饮水安全巩固提升工程.xlsx", data)
    write_intake(right / "2023_农村饮水安全巩固提升工程.xlsx", clean_data())

    driver.get(url)
    assert "上传填报表，检查后再提交" in driver.find_element(By.TAG_NAME, "h1").text
    screenshot(driver, tmp_path / "1_start.png")

    assert upload(driver, url, wrong / "2023_农村饮水安全巩固提升工程.xlsx") == "需要修改"
    rows = driver.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
    first = [cell.text for cell in rows[0].find_elements(By.TAG_NAME, "td")]
    assert first[0] == "错误" and first[1] == "绩效指标!F3"
    assert "单位" in first[2] and first[3]
    screenshot(driver, tmp_path / "2_findings.png")

    assert upload(driver, url, right / "2023_农村饮水安全巩固提升工程.xlsx") == "可以提交"
    assert driver.find_element(By.ID, "total").text == "99.50"
    screenshot(driver, tmp_path / "3_fixed.png")
    driver.find_element(By.ID, "annex-link").click()
    deadline = time.monotonic() + 30
    while True:
        done = [path for path in downloads.iterdir() if path.suffix == ".xlsx"]
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(done) == 1, sorted(downloads.iterdir())
    assert done[0].name == "2023_某县水利局_农村饮水安全巩固提升工程_绩效自评表.xlsx"
    sheet = openpyxl.load_workbook(done[0])["项目支出绩效自评表"]
    assert any(cell.value == "农村饮水安全巩固提升工程" for row in sheet.iter_rows() for cell in row)
