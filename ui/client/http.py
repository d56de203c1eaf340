"""REST backend of the UI client (httpx), with a small Server-Sent Events reader."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import httpx

from app.cards import EntityCardOut
from app.case_summary import CaseSummaryOut
from app.feedback import FeedbackIn
from models.generators.base import Turn
from models.types import Answer, EntityRef
from ui.client.base import ClientError, QAClient, StreamItem


def parse_sse(lines: Iterator[str]) -> Iterator[StreamItem]:
    """`event:`/`data:` blocks separated by blank lines → StreamItem (data parsed as JSON)."""
    event, data = "message", []
    for line in lines:
        if not line:
            if data:
                yield StreamItem(event=event, data=json.loads("\n".join(data)))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        yield StreamItem(event=event, data=json.loads("\n".join(data)))


class HttpClient(QAClient):
    def __init__(self, base_url: str, api_key: str | None = None, timeout_s: float = 120.0,
                 http: httpx.Client | None = None) -> None:
        """`http`: an already configured client (e.g. one bound to an ASGI app) instead of a new one."""
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = http or httpx.Client(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout_s, connect=5.0))
        self._http.headers.update(headers)

    @staticmethod
    def _raise_for(resp: httpx.Response) -> None:
        if resp.status_code < 400:
            return
        try:
            body = resp.json()
            code, message = str(body.get("error", "http_error")), str(body.get("message", resp.reason_phrase))
        except (ValueError, AttributeError):
            code, message = "http_error", resp.reason_phrase
        raise ClientError(code, message, resp.status_code)

    def _request(self, method: str, url: str, **kw: object) -> httpx.Response:
        try:
            resp = self._http.request(method, url, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise ClientError("unreachable", str(exc)) from exc
        return resp

    @staticmethod
    def _body(question: str, history: Sequence[Turn], generator: str | None, top_k: int | None) -> dict[str, object]:
        return {"question": question, "history": [t.model_dump() for t in history],
                "generator": generator, "top_k": top_k}

    def ask(self, question: str, history: Sequence[Turn] = (), *, generator: str | None = None,
            top_k: int | None = None) -> Answer:
        resp = self._request("POST", "/ask", json=self._body(question, history, generator, top_k))
        self._raise_for(resp)
        return Answer.model_validate(resp.json())

    def ask_stream(self, question: str, history: Sequence[Turn] = (), *, generator: str | None = None,
                   top_k: int | None = None) -> Iterator[StreamItem]:
        body = self._body(question, history, generator, top_k)
        try:
            with self._http.stream("POST", "/ask/stream", json=body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    self._raise_for(resp)
                for item in parse_sse(resp.iter_lines()):
                    if item.event == "error":
                        raise ClientError(str(item.data.get("error")), str(item.data.get("message")), 200)
                    yield item
        except httpx.HTTPError as exc:
            raise ClientError("unreachable", str(exc)) from exc

    def entity_card(self, entity_id: str) -> EntityCardOut | None:
        resp = self._request("GET", f"/entities/{entity_id}")
        if resp.status_code == 404:
            return None
        self._raise_for(resp)
        return EntityCardOut.model_validate(resp.json())

    def entity_by_name(self, name: str) -> EntityCardOut | None:
        resp = self._request("GET", "/entities", params={"name": name})
        if resp.status_code == 404:
            return None
        self._raise_for(resp)
        return EntityCardOut.model_validate(resp.json())

    def resolve(self, names: Sequence[str]) -> list[EntityRef]:
        if not names:
            return []
        resp = self._request("POST", "/entities/resolve", json={"names": list(names)[:200]})
        self._raise_for(resp)
        return [EntityRef.model_validate(x) for x in resp.json()]

    def in_text(self, text: str) -> CaseSummaryOut:
        resp = self._request("POST", "/entities/in-text", json={"text": text})
        self._raise_for(resp)
        return CaseSummaryOut.model_validate(resp.json())

    def feedback(self, feedback: FeedbackIn, reporter: str = "") -> None:
        headers = {"X-QiZhen-Reporter": reporter[:64]} if reporter else None
        resp = self._request("POST", "/feedback", json=feedback.model_dump(), headers=headers)
        self._raise_for(resp)

    def health(self) -> dict[str, str]:
        resp = self._request("GET", "/health")
        self._raise_for(resp)
        return {k: str(v) for k, v in resp.json().items()}

    def close(self) -> None:
        self._http.close()
