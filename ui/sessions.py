"""Conversations of the clinician UI, kept on the UI server and bound to one browser.

A conversation's id is made here (`secrets.token_urlsafe(32)`) and handed to the browser as a
cookie (ui/components.py: `qz_session`, SameSite=Strict); the URL never selects one — a `?sid=`
shared by mistake, or guessed, shows nothing. A cookie that names no live conversation (unknown,
expired or made up) gets a new conversation with a new id, so a browser only ever reaches an id the
server gave it. With sign-in at a reverse proxy (QIZHEN_UI_USER_HEADER) a conversation also belongs
to its user: the same cookie presented by another user opens a new conversation.

Memory is bounded without letting anyone evict others: a conversation keeps its last
`max_messages`; one unused for `max_age_s` is forgotten; past `max_sessions` a new browser's
conversation lives in its page only (not kept for reloads) instead of pushing out someone else's.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Conversation:
    """One browser's chat: `messages` as the page renders them (each with a stable `n` for widget keys)."""

    max_messages: int
    owner: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    touched: float = 0.0
    _next: int = 0

    def add(self, *msgs: dict[str, Any]) -> None:
        """Append (a question and its answer); drop the oldest pairs past the bound."""
        for msg in msgs:
            msg["n"] = self._next
            self._next += 1
            self.messages.append(msg)
        while len(self.messages) > self.max_messages:
            del self.messages[:2 if len(self.messages) > 1 else 1]

    def clear(self) -> None:
        self.messages.clear()


def reporter_of(sid: str) -> str:
    """What the UI tells the API about a session for feedback: a hash, never the id itself."""
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()[:32]


class ConversationStore:
    def __init__(self, max_age_s: float, max_messages: int, max_sessions: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age_s = max_age_s
        self.max_messages = max_messages
        self.max_sessions = max_sessions
        self._clock = clock
        self._items: OrderedDict[str, Conversation] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def open(self, sid: str | None, owner: str = "") -> tuple[str, Conversation]:
        """The live conversation named by the cookie `sid` (and belonging to `owner`), else a new one
        with a new id."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            conv = self._items.get(sid) if sid else None
            if sid and conv is not None and secrets.compare_digest(conv.owner, owner):
                conv.touched = now
                self._items.move_to_end(sid)
                return sid, conv
            new_sid = secrets.token_urlsafe(32)
            conv = Conversation(max_messages=self.max_messages, owner=owner, touched=now)
            if len(self._items) < self.max_sessions:
                self._items[new_sid] = conv
            return new_sid, conv

    def touch(self, sid: str, conv: Conversation) -> None:
        """A page used its conversation: it stays (and comes back if it had expired, when there is room)."""
        with self._lock:
            now = self._clock()
            conv.touched = now
            if sid in self._items:
                self._items.move_to_end(sid)
            else:
                self._expire(now)
                if len(self._items) < self.max_sessions:
                    self._items[sid] = conv

    def _expire(self, now: float) -> None:
        while self._items:
            sid, oldest = next(iter(self._items.items()))
            if now - oldest.touched <= self.max_age_s:
                return
            del self._items[sid]

    def __len__(self) -> int:
        return len(self._items)
