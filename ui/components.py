"""One small Streamlit (components v2) element that shows our HTML and reports clicks to Python.

Clicks on `[data-entity]` (entity links) and `[data-feedback]` (card-item feedback) become trigger
values, so a card opens in a dialog without a page load and the chat keeps its scroll position;
`[data-cite]` markers open their evidence in place, in the browser alone. The HTML is built by
ui/render.py, which escapes everything that came from a generator or the graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

CSS = """
:host, .qz-root { font-family: "Source Sans Pro", "Noto Sans CJK SC", sans-serif; line-height: 1.8;
  color: var(--st-text-color, #262730); }
.qz-root { position: relative; }
a.qz-entity { color: #0b6bcb; text-decoration: none; border-bottom: 1px dashed #0b6bcb; cursor: pointer; }
a.qz-entity:hover { background: #eef5fc; }
.qz-cite { color: #8a5a00; font-size: 0.75em; vertical-align: super; cursor: pointer; padding: 0 1px; }
.qz-cite:hover, .qz-cite.qz-open { background: #fff3d6; border-radius: 3px; }
.qz-pop { position: absolute; z-index: 10; max-width: min(440px, calc(100vw - 32px)); min-width: 200px;
  max-height: 45vh; overflow-y: auto; box-sizing: border-box; background: #fff;
  border: 1px solid #e0c48a; border-radius: 8px; box-shadow: 0 4px 16px rgba(0,0,0,.15);
  padding: 8px 12px; font-size: 0.9em; }
.qz-pop-close { float: right; cursor: pointer; color: #888; margin-left: 8px; }
.qz-ev-head { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
.qz-ev-text { color: #333; }
.qz-pop-link { margin-top: 4px; font-size: 0.9em; }
.qz-badge { display: inline-block; font-size: 0.72em; line-height: 1.5; padding: 0 6px; margin-left: 4px;
  border-radius: 9px; background: #eef0f4; color: #555; white-space: nowrap; vertical-align: middle; }
.qz-badge.qz-type { background: #0b6bcb; color: #fff; }
details > summary { cursor: pointer; color: #0b6bcb; font-size: 0.9em; }
.qz-evidence { margin-top: 6px; }
.qz-evidence ol { padding-left: 1.2em; margin: 4px 0; }
.qz-ev { margin-bottom: 4px; font-size: 0.92em; }
.qz-compare { border-collapse: collapse; margin: 8px 0; font-size: 0.92em; }
.qz-compare th, .qz-compare td { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; text-align: left; }
.qz-compare thead th { background: #f4f6fa; }
.qz-card .qz-head { display: flex; align-items: center; gap: 4px; flex-wrap: wrap; margin-bottom: 8px; }
.qz-card .qz-name { font-size: 1.4em; font-weight: 600; margin-right: 6px; }
.qz-summary { border-collapse: collapse; width: 100%; margin-bottom: 10px; font-size: 0.93em; }
.qz-summary th { width: 8em; text-align: left; background: #f4f6fa; padding: 4px 8px; border: 1px solid #e4e7ee;
  font-weight: 600; vertical-align: top; }
.qz-summary td { padding: 4px 8px; border: 1px solid #e4e7ee; }
.qz-variant { margin-bottom: 2px; }
.qz-none { color: #999; }
.qz-sec h4 { margin: 12px 0 4px; font-size: 1.05em; border-left: 3px solid #0b6bcb; padding-left: 6px; }
.qz-count { font-weight: normal; color: #888; font-size: 0.85em; }
ul.qz-items { list-style: none; padding: 0; margin: 2px 0; display: flex; flex-wrap: wrap; gap: 4px 10px; }
.qz-item { background: #f7f8fa; border-radius: 6px; padding: 0 6px; }
.qz-fbs { margin-left: 4px; opacity: 0.35; font-size: 0.8em; }
.qz-item:hover .qz-fbs { opacity: 1; }
.qz-fb { cursor: pointer; margin-left: 2px; }
.qz-fb.qz-done { color: #0a8a3a; opacity: 1; }
.qz-flag { color: #a33; font-size: 0.75em; margin-left: 4px; }
.qz-prose { margin: 4px 0; font-size: 0.95em; }
.qz-low summary { color: #a33; }
.qz-missing { color: #8a5a00; background: #fff8e6; border-radius: 4px; padding: 0 6px; font-size: 0.92em; }
.qz-badge.qz-conflict { background: #fde8e8; color: #a33; }
.qz-heading { color: #666; font-size: 0.9em; margin-right: 6px; }
.qz-srcname { color: #888; font-size: 0.8em; margin-left: 4px; }
.qz-more > summary { display: inline; }
"""

JS = """
export default function(component) {
  const { data, setTriggerValue, parentElement } = component;
  let root = parentElement.querySelector('.qz-root');
  if (!root) {
    root = document.createElement('div');
    root.className = 'qz-root';
    parentElement.appendChild(root);
  }
  if (root._html !== data) { root.innerHTML = data; root._html = data; }
  const closePops = () => {
    root.querySelectorAll('.qz-pop').forEach(p => { p.hidden = true; });
    root.querySelectorAll('.qz-cite.qz-open').forEach(c => c.classList.remove('qz-open'));
  };
  root.onclick = (e) => {
    const ent = e.target.closest('[data-entity]');
    if (ent) { e.preventDefault(); setTriggerValue('entity', ent.dataset.entity + '|' + Date.now()); return; }
    const fb = e.target.closest('[data-feedback]');
    if (fb) { fb.classList.add('qz-done'); setTriggerValue('feedback', fb.dataset.feedback); return; }
    if (e.target.closest('.qz-pop-close')) { closePops(); return; }
    const cite = e.target.closest('[data-cite]');
    if (!cite) return;
    const pop = root.querySelector('.qz-pop[data-pop="' + cite.dataset.cite + '"]');
    const wasOpen = pop && !pop.hidden;
    closePops();
    if (!pop || wasOpen) return;
    cite.classList.add('qz-open');
    pop.hidden = false;
    const box = root.getBoundingClientRect(), at = cite.getBoundingClientRect();
    // sized to the viewport and never over the chat input: below the marker when it fits, else above
    const input = document.querySelector('[data-testid="stChatInput"]');
    const floor = Math.min(window.innerHeight, input ? input.getBoundingClientRect().top : window.innerHeight) - 8;
    const below = floor - at.bottom - 4, above = at.top - 8;
    const room = Math.max(below, above, 80);
    pop.style.maxHeight = Math.min(room, window.innerHeight * 0.6) + 'px';
    const h = pop.offsetHeight;
    pop.style.top = (h <= below || below >= above ? at.bottom - box.top + 4 : at.top - box.top - h - 4) + 'px';
    pop.style.left = Math.max(0, Math.min(at.left - box.left, box.width - pop.offsetWidth)) + 'px';
  };
  root.onkeydown = (e) => { if (e.key === 'Enter' && e.target.closest('[data-cite]')) root.onclick(e); };
}
"""


@dataclass(frozen=True, slots=True)
class Clicks:
    entity: str | None = None  # an entity id whose card was asked for
    feedback: str | None = None  # a card item's feedback (JSON from ui/render.py)


@st.cache_resource
def _renderer():  # type: ignore[no-untyped-def]
    return st.components.v2.component("qizhen_html", css=CSS, js=JS)


#: sets the conversation cookie (ui/sessions.py); the id comes from the server, never from the URL
COOKIE_JS = """
export default function(component) {
  const cookie = component.data;
  if (!cookie) return;
  const secure = window.location.protocol === 'https:' ? '; Secure' : '';
  if (!document.cookie.split('; ').includes(cookie.split(';')[0])) document.cookie = cookie + secure;
}
"""
SESSION_COOKIE = "qz_session"


@st.cache_resource
def _cookie_setter():  # type: ignore[no-untyped-def]
    return st.components.v2.component("qizhen_session", js=COOKIE_JS)


def bind_session(sid: str, max_age_s: float) -> None:
    """Give this browser the cookie of its conversation (path /, SameSite=Strict, for max_age_s)."""
    _cookie_setter()(data=f"{SESSION_COOKIE}={sid}; Path=/; Max-Age={int(max_age_s)}; SameSite=Strict",
                     key="qz-session")


def _noop() -> None:
    """Trigger callbacks must exist for the trigger values to be reported."""


def qz_html(body: str, key: str) -> Clicks:
    """Show `body` (trusted, escaped HTML from ui/render.py); return what was clicked in this run."""
    result = _renderer()(data=body, key=key, on_entity_change=_noop, on_feedback_change=_noop)
    entity = getattr(result, "entity", None)
    feedback = getattr(result, "feedback", None)
    return Clicks(entity=str(entity).split("|")[0] if entity else None, feedback=str(feedback) if feedback else None)
