"""Clinician chat page: grounded answers with entity links, [n] markers that open their evidence,
entity cards in a dialog, feedback and export.

Run with `qizhen ui` (or `streamlit run ui/streamlit_app.py`). Talks to the REST API at
$QIZHEN_API_URL (its key, $QIZHEN_UI_API_KEY, stays on this server and never reaches the browser);
with no URL it runs the QA service in this process, warmed in a background thread so the page shows
at once. QIZHEN_UI_ADVANCED=1 adds a collapsed 高级设置 (API address, key, generator, evidence count).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app.audit import question_hash
from app.cards import EntityCardOut
from app.feedback import FactRef, FeedbackIn
from app.settings import get_settings
from models.generators.base import Turn
from models.types import Answer, EntityRef
from ui.case_panel import case_panel
from ui.client.base import ClientError, QAClient
from ui.components import SESSION_COOKIE, bind_session, qz_html
from ui.render import (
    DEFAULT_GENERATOR,
    answer_html,
    card_html,
    card_item_fact,
    citation_title,
    error_text,
    export_markdown,
    generator_choices,
    learn_more,
    link_candidates,
    markers_html,
    suggestion_question,
)
from ui.sessions import Conversation, ConversationStore, reporter_of

#: the answers end with the generator's one closing line for clinicians; the page adds no second one
DISCLAIMER = "本系统根据医学知识图谱生成回答，供医务人员参考。"
ABOUT = "基于医学知识图谱（CMeKG、寻医问药、39健康、药品手册）回答药品与疾病问题，每条事实都标注出处。"
NOT_GROUNDED = "知识图谱中没有找到依据，本次未作回答。"
log = logging.getLogger("qizhen.ui")
ADVANCED = os.environ.get("QIZHEN_UI_ADVANCED", "") == "1"
#: Streamlit's own English chrome (the "Running… / Stop" status, the ⋮ menu with Rerun, Settings,
#: Print …) is hidden for clinicians; the page says in Chinese what it is doing
HIDE_CHROME = ('<style>[data-testid="stStatusWidget"], [data-testid="stToolbar"], [data-testid="stMainMenu"], '
               '.stDeployButton { display: none !important; }</style>')


class Warmup:
    """The in-process service, built in a background thread so the page does not wait for it."""

    def __init__(self) -> None:
        self.client: QAClient | None = None
        self.error: str = ""
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, name="qizhen-warmup", daemon=True)
        self._lock = threading.Lock()

    def start(self) -> None:
        """Idempotent; called once the page is drawn, so the warm-up does not compete with the first run."""
        with self._lock:
            if not self.thread.is_alive() and self.client is None and not self.error:
                self.started = time.monotonic()
                self.thread.start()

    def _run(self) -> None:
        """The linker first (enough to answer), then the rest (intent embedder) while the page is used."""
        try:
            from app.pipeline import QAService
            from ui.client.inprocess import InProcessClient

            service = QAService(get_settings())
            service.warm_up(full=False)
            self.client = InProcessClient(service)
        except Exception as exc:  # reported on the page; the thread must not die silently
            self.error = str(exc)
            return
        try:
            service.warm_up()
        except Exception as exc:  # the light service still answers; the fallback loads on demand
            log.warning("full warm-up failed: %s", exc)

    @property
    def ready(self) -> bool:
        return self.client is not None or bool(self.error)


@st.cache_resource(show_spinner=False)
def _warmup() -> Warmup:
    return Warmup()


@st.cache_resource(show_spinner=False)
def _http_client(api_url: str, api_key: str) -> QAClient:
    from ui.client.http import HttpClient

    return HttpClient(api_url, api_key=api_key or None)


@st.cache_resource
def _conversations() -> ConversationStore:
    """Conversations by a server-made id bound to the browser by a cookie (ui/sessions.py), so
    reloading the page keeps the chat; never selected by the URL."""
    s = get_settings()
    return ConversationStore(s.ui_session_max_age_s, s.ui_session_max_messages, s.ui_max_sessions)


def _conversation() -> Conversation:
    store = _conversations()
    conv: Conversation | None = st.session_state.get("conversation")
    if conv is None:
        header = get_settings().ui_user_header
        owner = (st.context.headers.get(header) or "") if header else ""
        sid, conv = store.open(st.context.cookies.get(SESSION_COOKIE), owner)
        st.session_state.sid = sid
        # feedback is counted per signed-in user when there is one (a user can open many sessions)
        st.session_state.reporter = reporter_of(f"user:{owner}" if owner else sid)
        st.session_state.conversation = conv
    else:
        store.touch(st.session_state.sid, conv)
    return conv


def _api_url() -> str:
    typed = (st.session_state.get("adv_url") or "").strip() if ADVANCED else ""
    return typed or os.environ.get("QIZHEN_API_URL", "").strip()


def _client() -> QAClient | None:
    """The REST client (URL and key from the server's environment, or 高级设置), else the warmed
    in-process one (None while it is still starting)."""
    env_url = os.environ.get("QIZHEN_API_URL", "").strip()
    url = _api_url()
    if url:
        # the server-side key only goes to the configured API, never to an address typed in the page
        key = os.environ.get("QIZHEN_UI_API_KEY", "") if url == env_url else ""
        typed = (st.session_state.get("adv_key") or "").strip() if ADVANCED else ""
        return _http_client(url, typed or key)
    warm = _warmup()
    if warm.error:
        raise ClientError("unavailable", f"问答服务启动失败：{warm.error}")
    return warm.client


def _wait_for_client(note: DeltaGenerator | None = None) -> QAClient:
    """The client, waiting for the in-process warm-up with a visible note (in `note` when given)."""
    client = _client()
    if client is not None:
        return client
    warm = _warmup()
    warm.start()
    note = st.empty() if note is None else note
    while not warm.ready:
        note.info(f"您的问题已排队：问答服务正在启动（已等待 {time.monotonic() - warm.started:.0f} 秒），"
                  "完成后立即回答…", icon=":material/hourglass_top:")
        time.sleep(0.3)
    note.empty()
    client = _client()
    assert client is not None
    return client


# -- feedback --------------------------------------------------------------------------------------

def _send_feedback(client: QAClient, fb: FeedbackIn) -> None:
    try:
        client.feedback(fb, reporter=st.session_state.get("reporter", ""))
        st.toast("已记录您的反馈，谢谢。")
    except ClientError as exc:
        st.toast(error_text(exc.code, exc.message))


def _answer_feedback(client: QAClient, msg: dict[str, Any], answer: Answer, rating: str,
                     facts: list[FactRef] | None = None, note: str = "") -> None:
    _send_feedback(client, FeedbackIn(
        rating=rating, target="answer", snapshot=answer.snapshot, question_sha256=msg.get("qhash", ""),  # type: ignore[arg-type]
        entity_ids=[e.id for e in answer.entities],
        evidence_ids=[f"{c.entity_id}:{c.field}:{c.index}" for c in answer.citations], facts=facts or [],
        note=note.strip()[:500]))


def _card_item_feedback(client: QAClient, card: EntityCardOut, raw: str, snapshot: str, note: str = "") -> None:
    found = card_item_fact(card, raw)
    if found is None:
        return
    rating, fact = found
    _send_feedback(client, FeedbackIn(rating=rating, target="card_item", snapshot=snapshot,  # type: ignore[arg-type]
                                      entity_ids=[fact.entity_id], evidence_ids=[fact.key],
                                      facts=[fact] if rating == "wrong_fact" else [], note=note.strip()[:500]))


# -- entity card -----------------------------------------------------------------------------------

@st.dialog("药品/疾病信息", width="large")
def show_card(client: QAClient, snapshot: str) -> None:
    entity_id = st.session_state.get("card_id", "")
    stack: list[str] = st.session_state.setdefault("card_stack", [])
    try:
        card = client.entity_card(entity_id)
    except ClientError as exc:
        st.error(f"无法读取药品/疾病信息：{error_text(exc.code, exc.message)}")
        return
    if card is None:
        st.warning("知识图谱中没有这个实体。")
        return
    if stack and st.button("← 返回上一张卡片", key=f"back-{entity_id}"):
        st.session_state.card_id = stack.pop()
        st.rerun(scope="fragment")
    clicks = qz_html(card_html(card), key=f"card-{entity_id}")
    if clicks.entity and clicks.entity != entity_id:
        stack.append(entity_id)
        st.session_state.card_id = clicks.entity
        st.rerun(scope="fragment")
    if clicks.feedback:  # one item reported: an optional note, then 提交
        st.session_state.card_fb = clicks.feedback
    pending = st.session_state.get("card_fb")
    found = card_item_fact(card, pending) if pending else None
    if pending and found:
        with st.container(border=True):
            st.markdown(f"**纠错：** {found[1].text}")
            note = st.text_input("补充说明（可选）", key=f"card-fb-note-{entity_id}", max_chars=500)
            if st.button("提交纠错", key=f"card-fb-send-{entity_id}"):
                _card_item_feedback(client, card, pending, snapshot, note)
                st.session_state.pop("card_fb", None)


def open_card(client: QAClient, entity_id: str, snapshot: str) -> None:
    st.session_state.card_id = entity_id
    st.session_state.card_stack = []
    show_card(client, snapshot)


# -- answers ---------------------------------------------------------------------------------------

def render_answer(client: QAClient | None, msg: dict[str, Any], key: str) -> None:
    answer = Answer.model_validate(msg["answer"])
    refs = [EntityRef.model_validate(r) for r in msg.get("refs", [])]
    clicks = qz_html(answer_html(answer, refs), key=f"ans-{key}")
    if client is None:
        return
    if clicks.entity:
        open_card(client, clicks.entity, answer.snapshot)
    if not answer.grounded:
        st.caption(("" if answer.suggestions else "ℹ️ ") + NOT_GROUNDED)
    if answer.suggestions:
        row = st.container(horizontal=True, vertical_alignment="center")
        row.markdown("**您是不是想问：**", width="content")
        for s in answer.suggestions:
            if row.button(s.name, key=f"sug-{key}-{s.id}", help=s.why or "用这个名称重新提问", icon=":material/replay:"):
                st.session_state.ask_next = suggestion_question(msg.get("question", ""), s.name, answer.intent)
                st.rerun()
    related = learn_more(answer, refs)
    if related:
        row = st.container(horizontal=True, vertical_alignment="center")
        row.markdown("**了解更多：**", width="content")
        for ref in related[:12]:
            if row.button(ref.name, key=f"more-{key}-{ref.id}", help="查看药品/疾病信息"):
                open_card(client, ref.id, answer.snapshot)
    if not answer.grounded:
        return
    row = st.container(horizontal=True, vertical_alignment="center")
    rating = row.feedback("thumbs", key=f"fb-{key}")
    if rating is not None and msg.get("rated") != rating:
        msg["rated"] = rating
        _answer_feedback(client, msg, answer, "up" if rating == 1 else "down")
    if answer.citations:
        with row.popover("报告错误事实", icon=":material/flag:"):
            st.caption("哪条证据有误？")
            chosen = [c for c in answer.citations
                      if st.checkbox(f"[{c.index}] {citation_title(c)}：{c.text[:60]}", key=f"wrong-{key}-{c.index}")]
            note = st.text_input("补充说明（可选）", key=f"wrong-note-{key}", max_chars=500)
            if st.button("提交", key=f"wrong-send-{key}", disabled=not chosen):
                facts = [FactRef(key=f"{c.entity_id}:{c.field}:{c.index}", entity_id=c.entity_id, entity=c.entity,
                                 field=c.field, text=c.text[:600], source=c.source) for c in chosen]
                _answer_feedback(client, msg, answer, "wrong_fact", facts, note)


def _history(messages: list[dict[str, Any]]) -> list[Turn]:
    turns = []
    for m in messages:
        content = m["answer"]["answer"] if m.get("answer") else m["content"]
        turns.append(Turn(role=m["role"], content=content))
    return turns[-12:]


def _stream_answer(client: QAClient, question: str, history: list[Turn], generator: str | None,
                   top_k: int | None, slot: DeltaGenerator) -> Answer | None:
    """Status, then the streamed text, in `slot` (the answer's one place; the caller draws the answer there)."""
    try:
        slot.caption("正在检索知识图谱…")
        text = ""
        answer: Answer | None = None
        for item in client.ask_stream(question, history, generator=generator, top_k=top_k):
            if item.event == "evidence":
                slot.caption(f"找到 {len(item.data.get('evidence', []))} 条证据，正在生成回答…")
            elif item.event == "token":
                text += str(item.data.get("text", ""))
                slot.markdown(f'<div class="qz-streaming">{markers_html(text)}</div>', unsafe_allow_html=True)
            elif item.event == "done":
                answer = Answer.model_validate(item.data)
    except BaseException:  # never leave a stale status line behind
        slot.empty()
        raise
    if answer is None:
        slot.empty()
    return answer


def _fail(question: str, message: str) -> None:
    """Show a Chinese error and put the question back into the input."""
    st.session_state.error = message
    st.session_state.restore = question
    st.rerun()


def _sidebar(conv: Conversation) -> tuple[str | None, int | None]:
    with st.sidebar:
        st.header("启真医学问答")
        st.caption(ABOUT)
        if st.button("新对话", icon=":material/add:", width="stretch"):
            conv.clear()
            st.session_state.pop("error", None)
            st.rerun()
        st.session_state.export_slot = st.empty()  # filled now (usable while answering), again after an answer
        _export_button(conv.messages)
        case_panel(_wait_for_client)
        if not ADVANCED:
            return None, None
        with st.expander("高级设置", expanded=False):
            st.text_input("API 地址", key="adv_url", placeholder=os.environ.get("QIZHEN_API_URL", "") or "留空：本进程内运行")
            st.text_input("API 密钥", key="adv_key", type="password", help="仅用于上面填写的地址")
            gen = st.selectbox("生成器", generator_choices(), index=0)
            top_k = st.slider("证据条数", min_value=1, max_value=30, value=12)
        return (None if gen == DEFAULT_GENERATOR else gen), top_k


def _export_button(messages: list[dict[str, Any]]) -> None:
    turns = [(m["content"], None) if m["role"] == "user" else ("", Answer.model_validate(m["answer"]))
             for m in messages if m["role"] == "user" or m.get("answer")]
    st.session_state.export_slot.download_button(
        "导出对话", export_markdown(turns).encode("utf-8"), file_name="qizhen-对话.md", mime="text/markdown",
        icon=":material/download:", width="stretch", disabled=not messages, on_click="ignore",
        key=f"export-{len(messages)}")  # a new id per length: the slot is redrawn after an answer
    st.session_state.export_n = len(messages)


def _ask(client: QAClient | None, conv: Conversation, question: str, generator: str | None,
         top_k: int | None) -> None:
    """The question shows at once; during warm-up it waits visibly (queued) in the answer's place.

    Everything of the answer — the queued note, the status, the streamed text, then the answer with its
    rows — takes one slot, the first element of its message, as `_chat` draws it on the next run:
    drawn at other positions, the previous run's rows stayed on the page (stale, but shown) beside the
    redrawn ones until the run ended, so 了解更多 and 👍/👎 rows showed twice while the next answer came."""
    history = _history(conv.messages)
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        slot = st.empty()
        try:
            client = client or _wait_for_client(slot)
            answer = _stream_answer(client, question, history, generator, top_k, slot)
        except ClientError as exc:
            _fail(question, error_text(exc.code, exc.message, limit=get_settings().max_question_chars, n=len(question)))
            return
        if answer is None:
            _fail(question, "服务没有返回完整的回答，请重试。")
            return
        try:
            refs = client.resolve(link_candidates(answer))
        except ClientError:
            refs = []  # links are a convenience: the answer still shows
        msg = {"role": "assistant", "content": answer.answer, "answer": answer.model_dump(mode="json"),
               "refs": [r.model_dump() for r in refs], "question": question, "qhash": question_hash(question)}
        conv.add({"role": "user", "content": question}, msg)
        with slot.container():
            render_answer(client, msg, key=str(msg["n"]))


def main() -> None:
    st.set_page_config(page_title="启真医学问答", page_icon="⚕️", layout="wide")
    if not ADVANCED:
        st.markdown(HIDE_CHROME, unsafe_allow_html=True)
    conv = _conversation()
    generator, top_k = _sidebar(conv)
    try:
        _chat(conv, generator, top_k)
    finally:
        if st.session_state.get("export_n") != len(conv.messages):
            _export_button(conv.messages)
        with st.sidebar:
            bind_session(st.session_state.sid, get_settings().ui_session_max_age_s)
        if not _api_url():
            _warmup().start()


def _chat(conv: Conversation, generator: str | None, top_k: int | None) -> None:
    st.title("启真医学问答")
    st.caption(DISCLAIMER)
    limit = get_settings().max_question_chars
    try:
        client = _client()
    except ClientError as exc:
        st.error(exc.message)
        client = None
    starting = st.empty()
    if client is None and not _warmup().error:
        starting.caption("问答服务正在后台启动。您现在就可以提问：问题会排队，启动完成后立即回答。")

    for i, m in enumerate(conv.messages):
        with st.chat_message(m["role"]):
            if m.get("answer"):
                with st.container():  # the shape `_ask` drew it in: one block as the message's first element
                    render_answer(client, m, key=str(m.get("n", i)))
            else:
                st.markdown(m["content"])

    error = st.session_state.pop("error", None)
    if error:
        st.error(error, icon="⚠️")
    if "restore" in st.session_state:
        st.session_state["chat"] = st.session_state.pop("restore")
    typed = st.chat_input(f"请输入医学问题（最多 {limit} 字），例如：非布司他片的适应症是什么？", key="chat")
    question = st.session_state.pop("ask_next", None) or typed
    if not question or not str(question).strip():
        return
    question = str(question)
    if len(question) > limit:
        _fail(question, error_text("question_too_long", "", limit=limit, n=len(question)))
        return
    starting.empty()
    _ask(client, conv, question, generator, top_k)


main()
