"""In-process backend of the UI client: the QA service runs inside the Streamlit server."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from app.api.errors import message_for
from app.api.ratelimit import TokenBucketLimiter, retry_after
from app.audit import AuditLog
from app.cards import EntityCardOut, build_card, load_card, resolve_names
from app.case_summary import CaseSummaryOut, find_in_summary
from app.feedback import FeedbackIn, record_feedback
from app.pipeline import QAService
from app.settings import Settings, get_settings
from kg.stores.base import StoreUnavailable
from models.generators.base import Turn
from models.types import Answer, EntityRef
from ui.client.base import ClientError, QAClient, StreamItem


class InProcessClient(QAClient):
    """Answers are audited like the API's (route "ui")."""

    def __init__(self, service: QAService, audit: AuditLog | None = None) -> None:
        self.service = service
        self.audit = audit or AuditLog.from_settings(service.settings)
        s = service.settings
        self._feedback_limiter = TokenBucketLimiter(s.feedback_rate_per_min / 60, s.feedback_burst)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> InProcessClient:
        service = QAService(settings or get_settings())
        service.warm_up()
        return cls(service)

    def _audit(self, answer: Answer, question: str, started: float) -> None:
        self.audit.log_answer(answer, question, (time.perf_counter() - started) * 1000, "ui")

    def ask(self, question: str, history: Sequence[Turn] = (), *, generator: str | None = None,
            top_k: int | None = None) -> Answer:
        started = time.perf_counter()
        try:
            answer = self.service.ask(question, list(history), generator=generator, top_k=top_k)
        except StoreUnavailable as exc:
            raise ClientError("graph_unavailable", str(exc), 503) from exc
        self._audit(answer, question, started)
        return answer

    def ask_stream(self, question: str, history: Sequence[Turn] = (), *, generator: str | None = None,
                   top_k: int | None = None) -> Iterator[StreamItem]:
        started = time.perf_counter()
        try:
            for ev in self.service.ask_stream(question, list(history), generator=generator, top_k=top_k):
                if ev.event == "done":
                    self._audit(Answer.model_validate(ev.data), question, started)
                yield StreamItem(event=ev.event, data=ev.data)
        except StoreUnavailable as exc:
            raise ClientError("graph_unavailable", str(exc), 503) from exc

    def entity_card(self, entity_id: str) -> EntityCardOut | None:
        card = load_card(self.service.store, entity_id)
        return build_card(card, self.service.retriever.prevalence) if card else None

    def entity_by_name(self, name: str) -> EntityCardOut | None:
        found = self.service.find_entities(name)
        return self.entity_card(found[0].id) if found else None

    def resolve(self, names: Sequence[str]) -> list[EntityRef]:
        return resolve_names(self.service.store, list(names)[:200])

    def in_text(self, text: str) -> CaseSummaryOut:
        return find_in_summary(self.service, text)

    def feedback(self, feedback: FeedbackIn, reporter: str = "") -> None:
        """Written directly to the audit log (route "ui"), under the API's per-reporter rate limit."""
        wait = self._feedback_limiter.take(reporter)
        if wait > 0:
            seconds = retry_after(wait)
            raise ClientError("rate_limited", message_for("rate_limited", seconds=seconds), 429)
        record_feedback(self.audit, feedback, "ui", reporter=f"ui:{reporter}")

    def health(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.service.health().model_dump().items()}
