"""Conversations: server-made ids, bound per browser (and per signed-in user), bounded, expired by age."""

from __future__ import annotations

from ui.sessions import ConversationStore, reporter_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _store(clock: Clock, max_sessions: int = 100) -> ConversationStore:
    return ConversationStore(max_age_s=3600, max_messages=4, max_sessions=max_sessions, clock=clock)


def test_only_ids_the_server_made_open_a_conversation() -> None:
    store = _store(Clock())
    sid, conv = store.open(None)
    conv.add({"role": "user", "content": "q"}, {"role": "assistant", "content": "a"})
    assert len(sid) >= 40
    assert store.open(sid) == (sid, conv)  # the browser's cookie: a reload keeps the chat
    other, fresh = store.open("0123456789abcdef")  # a made-up or guessed id gets a new, empty one
    assert other not in (sid, "0123456789abcdef") and fresh.messages == []


def test_a_signed_in_users_conversation_is_not_opened_for_another_user() -> None:
    store = _store(Clock())
    sid, conv = store.open(None, owner="dr.wang")
    assert store.open(sid, owner="dr.wang")[1] is conv
    sid2, other = store.open(sid, owner="dr.li")
    assert other is not conv and sid2 != sid


def test_history_is_bounded_by_dropping_the_oldest_pairs() -> None:
    conv = _store(Clock()).open(None)[1]
    for i in range(5):
        conv.add({"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"})
    assert [m["content"] for m in conv.messages] == ["q3", "a3", "q4", "a4"]
    assert [m["n"] for m in conv.messages] == [6, 7, 8, 9]  # stable widget keys


def test_eviction_is_by_age_never_by_other_peoples_requests() -> None:
    clock = Clock()
    store = _store(clock, max_sessions=3)
    mine, conv = store.open(None)
    for _ in range(200):  # someone opens many sessions: nobody else's conversation is pushed out
        store.open(None)
    assert len(store) == 3 and store.open(mine) == (mine, conv)
    clock.now += 1800
    store.touch(mine, conv)  # in use: kept
    clock.now += 3000
    assert store.open(mine)[1] is conv
    clock.now += 3601
    assert store.open(mine)[1] is not conv  # unused past max_age_s: forgotten
    assert len(store) == 1


def test_the_feedback_reporter_is_a_hash_not_the_id() -> None:
    sid = "abc" * 15
    assert reporter_of(sid) == reporter_of(sid) and sid not in reporter_of(sid)
