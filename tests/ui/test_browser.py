"""The clinician UI in a real browser: Debian's chromium driven by Playwright (never its own download).

Starts the API (uvicorn) and Streamlit on free loopback ports over a small real graph and drives each
behaviour a clinician relies on: a marker opens its evidence, a list item opens its card without a page
load, the card's layout, a too-long question, a suggestion button, feedback into the audit log, the
Markdown export, and the in-process first page. Screenshots go to artifacts/; figures are printed.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.app.api_graph import ALLOPURINOL, DRUG, build_graph, case_summary_text
from tests.servers import free_port
from tests.ui.conftest import forbidden_in

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
QUESTION = "非布司他片的适应症是什么？"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (.ci/install_browser.sh)"),
]
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


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


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "QIZHEN_HOME": str(home), "QIZHEN_GRAPH": "embedded", "QIZHEN_DENSE": "false",
           "QIZHEN_GENERATOR": "extractive", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    for name in ("QIZHEN_API_KEY", "QIZHEN_API_URL", "QIZHEN_UI_API_KEY", "QIZHEN_UI_ADVANCED"):
        env.pop(name, None)
    return env


def _streamlit(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "ui" / "streamlit_app.py"),
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false",
                             "--global.developmentMode", "false", "--server.fileWatcherType", "none",
                             "--client.toolbarMode", "minimal"],
                            cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The real API + UI in API mode; the API's audit log is home/audit.jsonl."""
    home = tmp_path_factory.mktemp("browser-home")
    build_graph(home)
    env = _env(home)
    api_port, ui_port = free_port(), free_port()
    logs = tmp_path_factory.mktemp("browser-logs")
    api = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "app.api.main:create_app",
                            "--host", "127.0.0.1", "--port", str(api_port), "--log-level", "warning"],
                           cwd=REPO, env=env, stdout=(logs / "api.log").open("wb"), stderr=subprocess.STDOUT)
    ui = _streamlit(ui_port, {**env, "QIZHEN_API_URL": f"http://127.0.0.1:{api_port}"}, logs / "ui.log")
    try:
        _wait(f"http://127.0.0.1:{api_port}/health", api, 600)  # warm-up: slow on a busy 2-core box
        _wait(f"http://127.0.0.1:{ui_port}/_stcore/health", ui, 120)
        yield {"url": f"http://127.0.0.1:{ui_port}", "home": home}
    finally:
        _stop(ui)
        _stop(api)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, stack: dict[str, Any]) -> Iterator[Any]:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN", accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)
    pg.goto(stack["url"])
    try:
        yield pg
        _assert_plain(pg)  # whatever the test left on the page: no developer words either
    finally:
        context.close()


#: every text node of the page, inside the answers' and cards' shadow roots too (innerText stops at
#: them), hidden ones included: a closed popover or a folded list is one click from being read
PAGE_TEXT_JS = """() => {
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return; }
    if (node.nodeName === 'STYLE' || node.nodeName === 'SCRIPT' || node.nodeName === 'NOSCRIPT') return;
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(document.body);
  return out.join('\\n');
}"""


def _assert_plain(pg: Any) -> None:
    """No English or developer word anywhere on the page (tests/ui/conftest.py: FORBIDDEN)."""
    text = pg.evaluate(PAGE_TEXT_JS)
    found = forbidden_in(text)
    assert not found, [(w, text[max(0, text.find(w) - 60):text.find(w) + 60]) for w in found]


def _shown(pg: Any) -> None:
    """The page's script has run: messages are drawn before the input, so they are on the page now."""
    expect(pg.get_by_test_id("stChatInputTextArea")).to_be_visible()
    expect(pg.get_by_test_id("stSidebar")).to_contain_text("新对话")


def _ask(page: Any, question: str, nth: int) -> float:
    """Type, press Enter, wait for the nth rendered answer (its final form); seconds from Enter. The page
    is then checked for developer words."""
    chat = page.get_by_test_id("stChatInputTextArea")
    chat.fill(question)
    started = time.perf_counter()
    chat.press("Enter")
    expect(page.locator(".qz-answer")).to_have_count(nth + 1)
    took = time.perf_counter() - started
    _assert_plain(page)
    return took


def _audit(home: Path) -> list[dict[str, Any]]:
    path = home / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_marker_evidence_and_card_without_page_load(page: Any) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("新对话")
    expect(sidebar).not_to_contain_text("API 地址")  # clinician mode: no developer settings
    timings = [_ask(page, QUESTION, 0)]
    answer = page.locator(".qz-answer").first
    expect(answer).to_contain_text("痛风")
    page.screenshot(path=str(ARTIFACTS / "ui_answer.png"), full_page=True)

    answer.locator(".qz-cite").first.click()
    pop = answer.locator(".qz-pop:visible")
    expect(pop).to_have_count(1)
    expect(pop).to_contain_text("适应症")
    expect(pop).not_to_contain_text("INDICATED_FOR")
    expect(pop.locator("a.qz-entity")).not_to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "ui_marker_evidence.png"), full_page=True)
    answer.locator(".qz-pop-close").first.click()
    expect(answer.locator(".qz-pop:visible")).to_have_count(0)

    evidence = answer.locator("details.qz-evidence")
    evidence.locator("summary").click()
    expect(evidence).to_contain_text("[1]")
    expect(evidence).not_to_contain_text("ADVERSE_REACTION")

    for q in ("有什么副作用", QUESTION, "有什么副作用", QUESTION):
        timings.append(_ask(page, q, len(timings)))
    # no English chrome for clinicians: Streamlit's status ("Running…", "Stop") and its ⋮ menu are hidden
    visible = page.inner_text("body")
    assert not re.search(r"\b(?:Running|Stop|Deploy|Rerun)\b", visible), visible
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden()
    expect(page.get_by_test_id("stMainMenu")).to_be_hidden()
    print(f"\nEnter → rendered answer (API mode, {len(timings)} questions): median "
          f"{statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms")

    page.evaluate("window.__qzNoReload = true")
    first = page.locator(".qz-answer").first
    first.scroll_into_view_if_needed()
    scroll = page.evaluate("document.querySelector('[data-testid=stMain]')?.scrollTop ?? window.scrollY")
    first.locator("a.qz-entity", has_text="高尿酸血症").first.click()  # a list item of the answer
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("高尿酸血症")
    expect(dialog.locator(".qz-type")).to_have_text("疾病")
    assert page.evaluate("window.__qzNoReload === true"), "opening a card reloaded the page"
    page.screenshot(path=str(ARTIFACTS / "ui_list_item_card.png"), full_page=True)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    after = page.evaluate("document.querySelector('[data-testid=stMain]')?.scrollTop ?? window.scrollY")
    assert abs(after - scroll) < 50, (scroll, after)
    expect(page.locator(".qz-answer")).to_have_count(len(timings))


#: counts, after every batch of DOM changes, the 了解更多 rows, the answers' 👍/👎 rows and the 导出对话
#: buttons on the page, stale ones of the previous run included (they show until the run replaces them)
WATCH_JS = """() => {
  const count = () => {
    const texts = [...document.querySelectorAll('[data-testid=stMarkdownContainer]')].map(e => e.textContent.trim());
    return {
      more: texts.filter(t => t.startsWith('了解更多')).length,
      feedback: [...document.querySelectorAll('[data-testid=stFeedback]')]
        .filter(e => e.closest('[data-testid=stChatMessage]')).length,
      export: [...document.querySelectorAll('[data-testid=stDownloadButton] button')]
        .filter(e => e.textContent.includes('导出对话')).length,
      exportEnabled: [...document.querySelectorAll('[data-testid=stDownloadButton] button')]
        .filter(e => e.textContent.includes('导出对话') && !e.disabled).length,
    };
  };
  const now = count();
  const w = window.__qzWatch = {max: {...now}, min: {...now}, batches: 0};
  if (window.__qzObserver) window.__qzObserver.disconnect();
  window.__qzObserver = new MutationObserver(() => {
    const c = count();
    w.batches += 1;
    for (const k in c) { w.max[k] = Math.max(w.max[k], c[k]); w.min[k] = Math.min(w.min[k], c[k]); }
  });
  window.__qzObserver.observe(document.body, {childList: true, subtree: true, characterData: true});
}"""
SCRIPT_DONE = "document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'"


def _ask_watched(page: Any, question: str, nth: int) -> dict[str, Any]:
    """Ask with the DOM watched from before Enter until the page's script run has ended."""
    page.wait_for_function(SCRIPT_DONE)
    page.evaluate(WATCH_JS)
    _ask(page, question, nth)
    page.wait_for_function(SCRIPT_DONE)
    return page.evaluate("window.__qzWatch")


def test_no_duplicate_rows_and_export_stays_while_answering(page: Any) -> None:
    """Each answer's 了解更多 and 👍/👎 rows exist once, also while the next answer is written (a rerun
    used to draw the previous answer at other positions and leave its old rows showing meanwhile);
    导出对话 never leaves the sidebar while an answer is written, and once there is a conversation it stays
    usable. Several answers: before the fix the duplicates showed in about half of the runs."""
    _shown(page)
    questions = (QUESTION, "有什么副作用", f"{ALLOPURINOL}的适应症是什么？", "有什么副作用", QUESTION, "有什么副作用")
    for n, q in enumerate(questions):
        seen = _ask_watched(page, q, n)
        assert seen["batches"] > 0, seen  # the observer saw the run
        assert seen["max"]["more"] <= n + 1 and seen["max"]["feedback"] <= n + 1, (n, seen)
        assert seen["min"]["more"] >= n and seen["min"]["feedback"] >= n, (n, seen)  # none vanished meanwhile
        assert seen["min"]["export"] >= 1, (n, seen)
        assert n == 0 or seen["min"]["exportEnabled"] >= 1, (n, seen)
        expect(page.get_by_text("了解更多：")).to_have_count(n + 1)
        expect(page.get_by_test_id("stFeedback")).to_have_count(n + 1)
        expect(page.get_by_test_id("stDownloadButton").locator("button")).to_be_enabled()


DRUG_SECTIONS = ["适应症", "用法用量", "禁忌", "警示/注意事项", "不良反应", "相互作用", "特殊人群"]
DISEASE_SECTIONS = ["概述", "症状", "检查", "治疗药物", "并发症", "科室"]


def _titles(card: Any) -> list[str]:
    return card.locator(".qz-sec h4 .qz-title").all_inner_texts()


def test_monograph_sections_always_present_with_missing_text_and_support(page: Any) -> None:
    _ask(page, QUESTION, 0)
    started = time.perf_counter()
    page.get_by_role("button", name=DRUG, exact=True).first.click()  # the 了解更多 row
    dialog = page.get_by_role("dialog")
    card = dialog.locator(".qz-card")
    expect(card.locator(".qz-name")).to_have_text(DRUG)
    drug_s = time.perf_counter() - started
    expect(card.locator(".qz-heading")).to_have_text("药品信息")
    labels = card.locator("table.qz-summary").first.locator("th").all_inner_texts()
    assert labels == ["通用名", "商品名", "分类", "简介"], labels
    expect(card.locator("table.qz-summary").first).to_contain_text("黄嘌呤氧化酶抑制剂")
    assert _titles(card)[:len(DRUG_SECTIONS)] == DRUG_SECTIONS, _titles(card)
    expect(card.locator(".qz-sec[data-key=contraindication]")).to_contain_text("知识库未收录，请以药品说明书为准")
    expect(card.locator(".qz-sec[data-key=population]")).to_contain_text("妊娠")
    # a list stated by one machine-extracted source carries that label once, on its section
    expect(card.locator(".qz-sec[data-key=adverse_reaction] h4")).to_contain_text("3 项")
    expect(card.locator(".qz-sec[data-key=adverse_reaction] h4")).to_contain_text("单一来源·机器抽取")
    _assert_plain(page)
    page.screenshot(path=str(ARTIFACTS / "ui_drug_card.png"), full_page=True)
    # an item of the card opens its own card in the same dialog
    started = time.perf_counter()
    card.locator(".qz-sec[data-key=indication] a.qz-entity", has_text="痛风").click()
    expect(dialog.locator(".qz-name")).to_have_text("痛风")
    disease_s = time.perf_counter() - started
    expect(dialog.locator(".qz-heading")).to_have_text("疾病信息")
    assert _titles(dialog)[:len(DISEASE_SECTIONS)] == DISEASE_SECTIONS, _titles(dialog)
    expect(dialog.locator(".qz-sec[data-key=department]")).to_contain_text("风湿免疫科")
    expect(dialog.locator(".qz-sec[data-key=complication]")).to_contain_text("知识库未收录")
    _assert_plain(page)
    page.screenshot(path=str(ARTIFACTS / "ui_disease_card.png"), full_page=True)
    print(f"\ndrug card shown {drug_s * 1000:.0f} ms after the click, disease card {disease_s * 1000:.0f} ms")


def test_a_field_from_one_consumer_site_shows_with_that_label(page: Any) -> None:
    """别嘌醇片's 处方药 was written by one health website alone: the card says so beside the value."""
    _ask(page, f"{ALLOPURINOL}的适应症是什么？", 0)
    page.get_by_role("button", name=ALLOPURINOL, exact=True).first.click()  # the 了解更多 row
    card = page.get_by_role("dialog").locator(".qz-card")
    expect(card.locator(".qz-name")).to_have_text(ALLOPURINOL)
    row = card.locator("table.qz-summary tr").filter(has=page.locator("th", has_text="OTC/处方"))
    expect(row.locator("td")).to_contain_text("处方药")
    expect(row.locator("td")).to_contain_text("单一来源·健康网站")
    expect(row.locator("td")).not_to_contain_text("多来源一致")
    _assert_plain(page)


@pytest.mark.parametrize("size", [(1400, 1000), (400, 800)])
def test_popover_never_over_the_chat_input(browser: Any, stack: dict[str, Any], size: tuple[int, int]) -> None:
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        pg.goto(stack["url"])
        for i, q in enumerate((QUESTION, "有什么副作用")):
            _ask(pg, q, i)
        answer = pg.locator(".qz-answer").last
        answer.locator(".qz-cite").last.scroll_into_view_if_needed()
        answer.locator(".qz-cite").last.click()
        pop = answer.locator(".qz-pop:visible")
        expect(pop).to_have_count(1)
        box = pop.bounding_box()
        chat = pg.get_by_test_id("stChatInput").bounding_box()
        assert box is not None and chat is not None
        assert box["y"] + box["height"] <= chat["y"] + 1, (box, chat)
        assert box["x"] >= -1 and box["x"] + box["width"] <= width + 1, (box, width)
        assert box["y"] >= 0 and box["height"] <= height * 0.6 + 1, (box, height)
        _assert_plain(pg)
        pg.screenshot(path=str(ARTIFACTS / f"ui_popover_{width}x{height}.png"))
    finally:
        context.close()


def test_comparison_and_interaction_answers(page: Any) -> None:
    timings = {}
    timings["comparison"] = _ask(page, f"{DRUG}和{ALLOPURINOL}有什么区别", 0)
    answer = page.locator(".qz-answer").last
    table = answer.locator("table.qz-compare")
    expect(table).to_contain_text(DRUG)
    expect(table).to_contain_text(ALLOPURINOL)
    assert not forbidden_in(answer.inner_text()), forbidden_in(answer.inner_text())
    page.screenshot(path=str(ARTIFACTS / "ui_comparison.png"), full_page=True)
    timings["interaction"] = _ask(page, f"{DRUG}和{ALLOPURINOL}能一起吃吗", 1)
    answer = page.locator(".qz-answer").last
    assert not forbidden_in(answer.inner_text()), forbidden_in(answer.inner_text())
    page.screenshot(path=str(ARTIFACTS / "ui_interaction.png"), full_page=True)
    body = page.inner_text("body")
    assert body.count("请结合临床判断") <= 2, "one closing line per answer, none added by the page"
    print("\n" + ", ".join(f"{k}: Enter → answer {v * 1000:.0f} ms" for k, v in timings.items()))


def test_comparison_by_ingredient_names_shows_both_drugs(page: Any) -> None:
    """非布司他 and 别嘌醇 are held only as their products (非布司他片, 别嘌醇片): the comparison still has
    both columns, each product named, and says which entries answered for the names asked."""
    _ask(page, "非布司他和别嘌醇有什么区别", 0)
    answer = page.locator(".qz-answer").last
    table = answer.locator("table.qz-compare")
    expect(table.locator("thead")).to_contain_text(DRUG)
    expect(table.locator("thead")).to_contain_text(ALLOPURINOL)
    expect(table).to_contain_text("主要适应症")
    expect(table.locator("tbody tr").first.locator("td")).to_have_count(2)
    expect(answer).to_contain_text("别名")  # the answer says the name asked was read as the product
    page.screenshot(path=str(ARTIFACTS / "ui_comparison_ingredient.png"), full_page=True)


def test_case_summary_lists_drugs_and_diseases_and_asks_the_pick(page: Any) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("病例摘要模式").click()
    text = case_summary_text(1500)
    sidebar.get_by_label("粘贴病例摘要").fill(text)
    sidebar.get_by_role("button", name="识别药品与疾病").click()
    expect(sidebar).to_contain_text(f"药品： {ALLOPURINOL}、{DRUG}")
    expect(sidebar).to_contain_text("高尿酸血症")
    page.screenshot(path=str(ARTIFACTS / "ui_case_summary.png"), full_page=True)
    started = time.perf_counter()
    sidebar.get_by_role("button", name=f"相互作用：{ALLOPURINOL} + {DRUG}").click()
    expect(page.locator(".qz-answer")).to_have_count(1)
    expect(page.get_by_test_id("stChatMessage").first).to_contain_text(f"{ALLOPURINOL}和{DRUG}能一起吃吗")
    print(f"\ncase summary (1,500 chars): picked question answered in {(time.perf_counter() - started) * 1000:.0f} ms")


def test_too_long_question_shows_chinese_error_and_keeps_text(page: Any) -> None:
    text = "痛风" * 300
    chat = page.get_by_test_id("stChatInputTextArea")
    expect(chat).to_have_attribute("placeholder", re.compile("最多 500 字"))  # the limit is shown in the input
    chat.fill(text)
    chat.press("Enter")
    alert = page.get_by_test_id("stAlert")
    expect(alert).to_contain_text("问题太长")
    expect(alert).not_to_contain_text("question_too_long")
    expect(chat).to_have_value(text)
    expect(page.get_by_text("正在检索知识图谱")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "ui_too_long.png"), full_page=True)


def test_suggestion_button_asks_again(page: Any) -> None:
    _ask(page, "非布他片的适应症是什么？", 0)  # not in the graph; the linker suggests 非布司他片
    expect(page.get_by_text("您是不是想问")).to_be_visible()
    expect(page.get_by_text("请谨慎参考")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "ui_suggestion.png"), full_page=True)
    page.get_by_role("button", name=DRUG).first.click()
    expect(page.locator(".qz-answer")).to_have_count(2)
    expect(page.locator(".qz-answer").nth(1)).to_contain_text("痛风")
    expect(page.get_by_test_id("stChatMessage").nth(2)).to_contain_text(f"{DRUG}的适应症")


def _feedback_records(home: Path, before: int, want: Any) -> list[dict[str, Any]]:
    """Poll the audit log until a feedback record satisfies `want` (the page writes asynchronously)."""
    deadline = time.monotonic() + 60
    while True:
        records = [r for r in _audit(home)[before:] if r.get("event") == "feedback"]
        if any(want(r) for r in records) or time.monotonic() > deadline:
            return records
        time.sleep(0.3)


def test_feedback_lands_in_audit_log(page: Any, stack: dict[str, Any]) -> None:
    home: Path = stack["home"]
    before = len(_audit(home))
    _ask(page, QUESTION, 0)
    page.get_by_role("radio", name="Thumbs up").click()  # 👍
    records = _feedback_records(home, before, lambda r: r["rating"] == "up")
    up = next(r for r in records if r["rating"] == "up")
    assert up["target"] == "answer" and up["snapshot"] and up["evidence_ids"] and up["question_sha256"]

    popover = page.get_by_role("dialog", name="报告错误事实")
    for _ in range(10):  # a rerun still drawing the page after 👍 closes a popover opened meanwhile
        page.get_by_role("button", name="报告错误事实").click()
        try:
            expect(popover.get_by_role("checkbox").first).to_be_visible(timeout=3_000)
            break
        except AssertionError:
            continue
    popover.get_by_text("[1]").first.click()  # the first evidence item's checkbox label
    expect(popover.get_by_role("checkbox").first).to_be_checked()
    popover.get_by_label("补充说明（可选）").fill("剂量与说明书不符")
    popover.get_by_role("button", name="提交").click()
    records = _feedback_records(home, before, lambda r: r["rating"] == "wrong_fact" and r["target"] == "answer")
    wrong = next((r for r in records if r["rating"] == "wrong_fact" and r["target"] == "answer"), None)
    assert wrong is not None and wrong["facts"] and wrong["evidence_ids"], records
    assert wrong["facts"][0]["key"] in wrong["evidence_ids"] and wrong["note"] == "剂量与说明书不符", wrong
    page.keyboard.press("Escape")

    page.get_by_role("button", name=DRUG, exact=True).first.click()
    card = page.get_by_role("dialog").locator(".qz-card")
    card.locator(".qz-sec[data-key=adverse_reaction] .qz-item", has_text="恶心").locator(".qz-fb").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("补充说明（可选）").fill("说明书未列此项")
    dialog.get_by_role("button", name="提交纠错").click()
    records = _feedback_records(home, before, lambda r: r["target"] == "card_item")
    page.screenshot(path=str(ARTIFACTS / "ui_feedback.png"), full_page=True)
    item = next((r for r in records if r["target"] == "card_item"), None)
    assert item is not None and item["rating"] == "wrong_fact" and item["facts"][0]["text"].endswith("恶心"), records
    assert item.get("note") == "说明书未列此项", item

    from app.cli import app

    res = CliRunner().invoke(app, ["feedback", "report", "--json", "--audit", str(home / "audit.jsonl")])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["up"] >= 1 and report["wrong_fact_reports"] >= 2
    assert any(f["text"].endswith("恶心") and f["count"] >= 1 and "说明书未列此项" in f["notes"] for f in report["facts"])
    assert any("剂量与说明书不符" in f["notes"] for f in report["facts"])


def test_export_downloads_markdown_with_resolved_citations(page: Any) -> None:
    _ask(page, QUESTION, 0)
    with page.expect_download() as info:
        page.get_by_test_id("stDownloadButton").locator("button").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    (ARTIFACTS / "ui_export.md").write_text(text, encoding="utf-8")
    assert f"## 问：{QUESTION}" in text
    assert "[1]" in text and f"[1] {DRUG} · 适应症" in text
    assert "INDICATED_FOR" not in text


def test_two_browsers_never_see_each_others_conversation(browser: Any, stack: dict[str, Any]) -> None:
    """The attack of issue 18: a second browser opening the first one's URL, or naming its id in ?sid=,
    saw the questions and answers. Now the id is the server's, bound to the browser by a cookie."""
    contexts = [browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN") for _ in range(2)]
    expect.set_options(timeout=60_000)
    try:
        a, b = (c.new_page() for c in contexts)
        for pg in (a, b):
            pg.set_default_timeout(60_000)
        a.goto(stack["url"])
        _ask(a, QUESTION, 0)
        assert "sid=" not in a.url
        sid = next(c["value"] for c in contexts[0].cookies() if c["name"] == "qz_session")
        assert len(sid) >= 40  # 32 random bytes
        a.reload()  # bound to this browser: a reload keeps the chat
        _shown(a)
        expect(a.locator(".qz-answer")).to_have_count(1)
        for url in (a.url, f"{stack['url']}/?sid={sid}", f"{stack['url']}/?sid=0123456789abcdef"):
            b.goto(url)
            _shown(b)
            expect(b.get_by_test_id("stChatMessage")).to_have_count(0)
            expect(b.get_by_text(QUESTION)).to_have_count(0)
        # a made-up cookie names no conversation: the server replaces it with an id of its own
        contexts[1].add_cookies([{"name": "qz_session", "value": "forged", "url": stack["url"]}])
        b.goto(stack["url"])
        _shown(b)
        expect(b.get_by_test_id("stChatMessage")).to_have_count(0)
        b.wait_for_function("!document.cookie.includes('qz_session=forged')")
        _ask(b, "别嘌醇片的适应症是什么？", 0)
        a.reload()
        _shown(a)
        expect(a.get_by_test_id("stChatMessage")).to_have_count(2)  # its own question and answer only
        expect(a.get_by_text("别嘌醇片的适应症是什么？")).to_have_count(0)
        for pg in (a, b):
            _assert_plain(pg)
    finally:
        for c in contexts:
            c.close()


def test_signed_in_users_conversation_stays_theirs_even_with_its_cookie(browser: Any, tmp_path: Path) -> None:
    """Behind a sign-in proxy (QIZHEN_UI_USER_HEADER) a conversation belongs to its user: another user
    presenting the same cookie (a shared workstation, a copied cookie) gets a new, empty one."""
    home = Path(os.environ.get("QIZHEN_TEST_UI_HOME") or tmp_path / "home")
    if not (home / "graph").exists():
        build_graph(home)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ui = _streamlit(port, {**_env(home), "QIZHEN_UI_USER_HEADER": "X-Forwarded-User"}, tmp_path / "ui.log")
    contexts = [browser.new_context(locale="zh-CN", extra_http_headers={"X-Forwarded-User": user})
                for user in ("dr.wang", "dr.li")]
    expect.set_options(timeout=300_000)  # the first answer waits for the in-process warm-up
    try:
        _wait(f"{url}/_stcore/health", ui, 120)
        a, b = (c.new_page() for c in contexts)
        for pg in (a, b):
            pg.set_default_timeout(300_000)
        a.goto(url)
        _ask(a, QUESTION, 0)
        cookie = next(c for c in contexts[0].cookies() if c["name"] == "qz_session")
        a.reload()
        _shown(a)
        expect(a.get_by_test_id("stChatMessage")).to_have_count(2)  # the same user: the chat is kept
        contexts[1].add_cookies([{"name": "qz_session", "value": cookie["value"], "url": url}])
        b.goto(url)
        _shown(b)
        expect(b.get_by_test_id("stChatMessage")).to_have_count(0)
        b.wait_for_function(f"!document.cookie.includes({json.dumps(cookie['value'])})")  # given its own id
        for pg in (a, b):
            _assert_plain(pg)
    finally:
        expect.set_options(timeout=60_000)
        for c in contexts:
            c.close()
        _stop(ui)


def test_in_process_first_page_is_fast(browser: Any, tmp_path: Path) -> None:
    """No API: the page and the input come at once while the service warms in the background."""
    home = Path(os.environ.get("QIZHEN_TEST_UI_HOME") or tmp_path / "home")
    if not (home / "graph").exists():
        build_graph(home)
    port = free_port()
    ui = _streamlit(port, _env(home), tmp_path / "ui.log")
    try:
        _wait(f"http://127.0.0.1:{port}/_stcore/health", ui, 120)
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(180_000)
        started = time.perf_counter()
        pg.goto(f"http://127.0.0.1:{port}")
        expect(pg.get_by_test_id("stChatInputTextArea")).to_be_enabled(timeout=180_000)
        first_page = time.perf_counter() - started
        chat = pg.get_by_test_id("stChatInputTextArea")
        chat.fill(QUESTION)
        pg.wait_for_function(SCRIPT_DONE)
        pg.evaluate(WATCH_JS)
        chat.press("Enter")
        # the question shows at once (queued while the service warms up), then its answer
        expect(pg.get_by_test_id("stChatMessage").first).to_contain_text(QUESTION)
        expect(pg.locator(".qz-answer")).to_have_count(1, timeout=300_000)
        first_answer = time.perf_counter() - started
        pg.wait_for_function(SCRIPT_DONE, timeout=120_000)
        seen = pg.evaluate("window.__qzWatch")  # queued note, then the answer, in one place; export stays
        assert seen["max"]["more"] <= 1 and seen["max"]["feedback"] <= 1 and seen["min"]["export"] >= 1, seen
        pg.screenshot(path=str(ARTIFACTS / "ui_in_process.png"), full_page=True)
        expect(pg.get_by_text("正在后台启动")).to_have_count(0)  # no stale status line
        _assert_plain(pg)
        print(f"\nin-process ({home}): input enabled after {first_page:.1f} s, first answer after "
              f"{first_answer:.1f} s from opening the page")
        context.close()
    finally:
        _stop(ui)
