"""The case-summary panel of the chat page: paste a summary (up to 2,000 characters), see the drugs
and diseases it names, pick what to ask. The pick becomes the next question (st.session_state.ask_next);
the summary itself is never sent as a question."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app.case_summary import MAX_SUMMARY_CHARS, CaseSummaryOut
from ui.client.base import ClientError, QAClient
from ui.render import error_text


def case_panel(get_client: Callable[[], QAClient]) -> None:
    """Drawn in the sidebar; `get_client` may wait for the warm-up (called only on 识别)."""
    with st.expander("病例摘要模式", expanded=bool(st.session_state.get("case_found"))):
        text = st.text_area("粘贴病例摘要", key="case_text", height=160, max_chars=MAX_SUMMARY_CHARS,
                            placeholder="粘贴病例摘要（最多 2000 字），识别其中的药品与疾病，再选择要问的问题")
        if st.button("识别药品与疾病", key="case_find", width="stretch"):  # the typed text commits on click
            try:
                if not (text or "").strip():
                    raise ClientError("invalid_request", "请先粘贴病例摘要。")
                st.session_state.case_found = get_client().in_text(text).model_dump()
            except ClientError as exc:
                st.error(error_text(exc.code, exc.message))
        raw = st.session_state.get("case_found")
        if not raw:
            return
        found = CaseSummaryOut.model_validate(raw)
        st.markdown("**药品：** " + ("、".join(d.name for d in found.drugs) or "未识别到"))
        st.markdown("**疾病/症状：** " + ("、".join(d.name for d in found.diseases) or "未识别到"))
        if found.questions:
            st.caption("选择要问的问题：")
        for i, q in enumerate(found.questions):
            if st.button(q.label, key=f"case-q-{i}", width="stretch"):
                st.session_state.ask_next = q.question
                st.rerun()
