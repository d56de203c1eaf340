"""Clinician chat page: grounded answers with entity links, [n] citation markers and entity cards.

Run with `qizhen ui` (or `streamlit run ui/streamlit_app.py`). Talks to the REST API given in the
sidebar (default $QIZHEN_API_URL); with no URL it runs the QA service in this process.
"""

from __future__ import annotations

import os
import uuid
from collections import OrderedDict
from typing import Any

import streamlit as st

from models.generators.base import Turn
from models.types import Answer
from ui.client import ClientError, QAClient, make_client
from ui.render import CSS, answer_html, card_markdown, citations_markdown, learn_more, markers_html

DISCLAIMER = ("本系统根据医学知识图谱生成回答，仅供医务人员参考，不能替代医生的诊断与处方。"
              "用药请遵医嘱并以药品说明书为准。")
NOT_GROUNDED = "⚠️ 未能在知识图谱中找到足够依据，此回答未经证据支持，请谨慎参考。"
GENERATORS = ["（服务默认）", "extractive", "hf", "openai"]
MAX_SESSIONS = 200


@st.cache_resource
def _conversations() -> OrderedDict[str, list[dict[str, Any]]]:
    """Conversations by session id, so a full page load (an entity link) keeps the chat."""
    return OrderedDict()


@st.cache_resource(show_spinner="正在加载问答服务…")
def _client(api_url: str, api_key: str) -> QAClient:
    return make_client(api_url or None, api_key or None)


def _session_messages() -> list[dict[str, Any]]:
    sid = st.query_params.get("sid")
    if not sid:
        sid = uuid.uuid4().hex[:16]
        st.query_params["sid"] = sid
    store = _conversations()
    if sid not in store:
        store[sid] = []
        while len(store) > MAX_SESSIONS:
            store.popitem(last=False)
    st.session_state.sid = sid
    return store[sid]


@st.dialog("实体卡片", width="large")
def show_card(client: QAClient, entity_id: str) -> None:
    try:
        card = client.entity_card(entity_id)
    except ClientError as exc:
        st.error(f"无法读取实体卡片：{exc.message}")
        return
    if card is None:
        st.warning("知识图谱中没有这个实体。")
        return
    st.markdown(card_markdown(card), unsafe_allow_html=True)


def render_answer(client: QAClient, answer: Answer, key: str) -> None:
    st.markdown(answer_html(answer, st.session_state.get("sid")), unsafe_allow_html=True)
    if not answer.grounded:
        st.warning(NOT_GROUNDED)
    if answer.citations:
        with st.expander(f"证据（{len(answer.citations)} 条）"):
            st.markdown(citations_markdown(answer), unsafe_allow_html=True)
    related = learn_more(answer)[:8]
    if related:
        row = st.container(horizontal=True, vertical_alignment="center")
        row.markdown("**了解更多：**", width="content")
        for ref in related:
            if row.button(ref.name, key=f"more-{key}-{ref.id}", help="查看实体卡片"):
                show_card(client, ref.id)


def _history(messages: list[dict[str, Any]]) -> list[Turn]:
    turns = []
    for m in messages:
        content = m["answer"]["answer"] if m.get("answer") else m["content"]
        turns.append(Turn(role=m["role"], content=content))
    return turns[-12:]


def _stream_answer(client: QAClient, question: str, history: list[Turn], generator: str | None,
                   top_k: int) -> Answer | None:
    status = st.empty()
    placeholder = st.empty()
    status.caption("正在检索知识图谱…")
    text = ""
    answer: Answer | None = None
    for item in client.ask_stream(question, history, generator=generator, top_k=top_k):
        if item.event == "evidence":
            status.caption(f"找到 {len(item.data.get('evidence', []))} 条证据，正在生成回答…")
        elif item.event == "token":
            text += str(item.data.get("text", ""))
            placeholder.markdown(f'<div class="qz-answer">{markers_html(text)}</div>', unsafe_allow_html=True)
        elif item.event == "done":
            answer = Answer.model_validate(item.data)
    status.empty()
    placeholder.empty()
    return answer


def main() -> None:
    st.set_page_config(page_title="启真医学问答", page_icon="⚕️", layout="wide")
    st.markdown(CSS, unsafe_allow_html=True)
    with st.sidebar:
        st.header("设置")
        api_url = st.text_input("API 地址", value=os.environ.get("QIZHEN_API_URL", ""),
                                help="留空则在本进程内运行问答服务")
        api_key = st.text_input("API 密钥", value=os.environ.get("QIZHEN_UI_API_KEY", ""), type="password")
        gen_choice = st.selectbox("生成器", GENERATORS, index=0)
        top_k = st.slider("证据条数", min_value=1, max_value=30, value=12)
        stream = st.toggle("流式输出", value=True)
        if st.button("新对话"):
            _session_messages().clear()
            st.rerun()
    generator = None if gen_choice == GENERATORS[0] else gen_choice

    st.title("启真医学问答")
    st.caption(DISCLAIMER)
    messages = _session_messages()
    try:
        client = _client(api_url.strip(), api_key.strip())
    except Exception as exc:  # the in-process service could not start
        st.error(f"问答服务不可用：{exc}")
        return

    entity = st.query_params.get("entity")
    if entity:
        del st.query_params["entity"]
        show_card(client, entity)

    for i, m in enumerate(messages):
        with st.chat_message(m["role"]):
            if m.get("answer"):
                render_answer(client, Answer.model_validate(m["answer"]), key=str(i))
            else:
                st.markdown(m["content"])

    question = st.chat_input("请输入医学问题，例如：非布司他片的适应症是什么？")
    if not question:
        return
    history = _history(messages)
    messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        try:
            if stream:
                answer = _stream_answer(client, question, history, generator, top_k)
            else:
                with st.spinner("正在回答…"):
                    answer = client.ask(question, history, generator=generator, top_k=top_k)
        except ClientError as exc:
            messages.pop()
            st.error(f"出错了（{exc.code}）：{exc.message}")
            return
        if answer is None:
            messages.pop()
            st.error("服务没有返回完整的回答，请重试。")
            return
        messages.append({"role": "assistant", "content": answer.answer, "answer": answer.model_dump(mode="json")})
        render_answer(client, answer, key=str(len(messages) - 1))


main()
