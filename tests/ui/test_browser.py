"""The clinician UI in a real browser: Debian's chromium driven by Playwright (never its own download).

Starts the API (uvicorn) and Streamlit on free loopback ports over a small real graph, asks a question,
checks the citation marker, opens the entity card, asks a follow-up; screenshots go to artifacts/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.app.api_graph import DRUG, build_graph, free_port

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (.ci/install_browser.sh)"),
]


def _wait(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up within {timeout_s} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def ui_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("browser-home")
    build_graph(home)
    env = {**os.environ, "QIZHEN_HOME": str(home), "QIZHEN_GRAPH": "embedded", "QIZHEN_DENSE": "false",
           "QIZHEN_GENERATOR": "extractive", "HF_HUB_OFFLINE": "1"}
    env.pop("QIZHEN_API_KEY", None)
    api_port, ui_port = free_port(), free_port()
    logs = tmp_path_factory.mktemp("browser-logs")
    api = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "app.api.main:create_app",
                            "--host", "127.0.0.1", "--port", str(api_port), "--log-level", "warning"],
                           cwd=REPO, env=env, stdout=(logs / "api.log").open("wb"), stderr=subprocess.STDOUT)
    ui = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "ui" / "streamlit_app.py"),
                           "--server.address", "127.0.0.1", "--server.port", str(ui_port),
                           "--server.headless", "true", "--browser.gatherUsageStats", "false",
                           "--global.developmentMode", "false", "--server.fileWatcherType", "none",
                           "--client.toolbarMode", "minimal"],
                          cwd=REPO, env={**env, "QIZHEN_API_URL": f"http://127.0.0.1:{api_port}"},
                          stdout=(logs / "ui.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{api_port}/health", api, 180)
        _wait(f"http://127.0.0.1:{ui_port}/_stcore/health", ui, 120)
        yield f"http://127.0.0.1:{ui_port}"
    finally:
        _stop(ui)
        _stop(api)


def test_ask_cite_open_card_and_follow_up(ui_url: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
            page.set_default_timeout(60_000)
            page.goto(ui_url)
            expect = sync_api.expect

            chat = page.get_by_test_id("stChatInputTextArea")
            chat.fill("非布司他片的适应症是什么？")
            chat.press("Enter")
            first = page.locator(".qz-answer").first
            expect(first.locator("sup.qz-cite").first).to_be_visible()
            expect(first).to_contain_text("痛风")
            expect(first.locator("a.qz-entity", has_text=DRUG)).to_be_visible()
            expect(page.get_by_text("了解更多")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "ui_answer.png"), full_page=True)

            page.get_by_role("button", name=DRUG).first.click()
            dialog = page.get_by_role("dialog")
            expect(dialog).to_contain_text("别名")
            expect(dialog).to_contain_text("适应症")
            expect(dialog).to_contain_text("高尿酸血症")
            page.screenshot(path=str(ARTIFACTS / "ui_entity_card.png"), full_page=True)
            page.keyboard.press("Escape")
            expect(dialog).to_have_count(0)

            chat.fill("有什么副作用")
            chat.press("Enter")
            second = page.locator(".qz-answer").nth(1)
            expect(second).to_contain_text("肝功能异常")
            expect(second.locator("sup.qz-cite").first).to_be_visible()
            expect(second).to_contain_text(DRUG)
            expect(page.get_by_text("了解更多")).to_have_count(2)  # the final render, not the stream
            page.screenshot(path=str(ARTIFACTS / "ui_follow_up.png"), full_page=True)

            # an entity link in the answer text opens the card too, and the conversation survives it
            second.locator("a.qz-entity", has_text=DRUG).click()
            expect(page.get_by_role("dialog")).to_contain_text("不良反应")
            expect(page.locator(".qz-answer")).to_have_count(2)
            page.screenshot(path=str(ARTIFACTS / "ui_link_card.png"), full_page=True)
        finally:
            browser.close()
