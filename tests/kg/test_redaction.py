"""One redaction for every URL shape that reaches a log, /health or an error body."""

from __future__ import annotations

import pytest

from kg.redaction import has_credentials, redact


@pytest.mark.parametrize(("text", "expected"), [
    ("http://user:pw@host/v1", "http://***@host/v1"),
    ("http://:PASSWORD@host/v1", "http://***@host/v1"),                 # empty user
    ("http://user:p@ss@host/v1", "http://***@host/v1"),                 # "@" in the password
    ("https://u@h.example:8443/v1", "https://***@h.example:8443/v1"),   # user alone
    ("bolt://neo4j:s3cret@db:7687", "bolt://***@db:7687"),
    ("http://host/v1?api_key=k1&model=m", "http://host/v1?api_key=***&model=m"),
    ("http://host/v1?token=t&access_token=a", "http://host/v1?token=***&access_token=***"),
    ("GET http://host/x?key=abc failed", "GET http://host/x?key=*** failed"),
    ("Authorization: Bearer sk-123456", "Authorization: Bearer ***"),
    ("upstream http://:pw@a/v1 and http://b:c@d/v1", "upstream http://***@a/v1 and http://***@d/v1"),
    ("mail me at user@example.com", "mail me at user@example.com"),     # no URL: untouched
    ("http://host/path@v2", "http://host/path@v2"),                      # "@" in the path is no userinfo
])
def test_every_url_shape_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_credentials_are_detected_in_every_userinfo_shape() -> None:
    assert all(has_credentials(u) for u in ("http://u:p@h/v1", "http://:p@h/v1", "http://u:p@ss@h/v1", "http://u@h"))
    assert not any(has_credentials(u) for u in ("http://h/v1", "http://h/v1?api_key=k", "http://h/p@q"))
