"""Clinician mode by default; the API key never reaches the browser (Streamlit's AppTest, no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

APP = str(Path(__file__).resolve().parents[2] / "ui" / "streamlit_app.py")
SECRET = "s3cret-key-never-in-the-page"


def _run(monkeypatch: pytest.MonkeyPatch, advanced: bool):  # type: ignore[no-untyped-def]
    testing = pytest.importorskip("streamlit.testing.v1")
    monkeypatch.setenv("QIZHEN_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("QIZHEN_UI_API_KEY", SECRET)
    if advanced:
        monkeypatch.setenv("QIZHEN_UI_ADVANCED", "1")
    else:
        monkeypatch.delenv("QIZHEN_UI_ADVANCED", raising=False)
    import importlib
    import sys

    sys.modules.pop("ui.streamlit_app", None)
    importlib.invalidate_caches()
    at = testing.AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def _page_text(at) -> str:  # type: ignore[no-untyped-def]
    parts = [str(x.value) for x in at.text_input] + [str(getattr(x, "placeholder", "")) for x in at.text_input]
    parts += [str(x.value) for x in at.markdown] + [str(x.value) for x in at.caption]
    return "\n".join(parts)


def test_clinician_mode_has_no_developer_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run(monkeypatch, advanced=False)
    assert [b.label for b in at.sidebar.button] == ["新对话", "识别药品与疾病"]  # + the case-summary mode
    assert not at.text_input and not at.selectbox and not at.slider
    assert SECRET not in _page_text(at)


def test_advanced_settings_never_prefill_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run(monkeypatch, advanced=True)
    labels = [t.label for t in at.text_input]
    assert labels == ["API 地址", "API 密钥"]
    assert all(not t.value for t in at.text_input)  # the server-side key is not a default value
    assert SECRET not in _page_text(at)
