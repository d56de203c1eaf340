"""How the UI reaches the QA service: over REST (`http`) or in the same process (`inprocess`)."""

from __future__ import annotations

from ui.client.base import ClientError, QAClient, StreamItem


def make_client(api_url: str | None, api_key: str | None = None, timeout_s: float = 120.0) -> QAClient:
    """REST client when a URL is given, otherwise the in-process service (built from the settings)."""
    if api_url:
        from ui.client.http import HttpClient

        return HttpClient(api_url, api_key=api_key, timeout_s=timeout_s)
    from ui.client.inprocess import InProcessClient

    return InProcessClient.from_settings()


__all__ = ["ClientError", "QAClient", "StreamItem", "make_client"]
