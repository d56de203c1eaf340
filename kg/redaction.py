"""Credentials out of every text that may reach a log, /health or an error body.

One function for every layer: the Neo4j store's errors (kg), the OpenAI-compatible client's
errors (models) and the service's logs and responses (app) all pass through `redact`, so kg — the
layer every other imports — is its home.
"""

from __future__ import annotations

import re

#: scheme://userinfo@ — userinfo up to the LAST "@" before the host, so a password containing "@"
#: (http://user:p@ss@host) and an empty user (http://:pw@host) are covered.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#@]*(?:@[^/\s?#@]*)*@(?=[^/\s?#@]*(?:[/\s?#:]|$))")
#: ?api_key=…&token=… and the like in a query string or form body.
_QUERY = re.compile(r"(?i)([?&;](?:api[_-]?key|apikey|key|token|access[_-]?token|auth|password|passwd|pwd|secret|"
                    r"client[_-]?secret|sig|signature)=)[^&;\s#\"']+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{4,}")


def redact(text: str) -> str:
    """`text` with URL credentials, query-string tokens and bearer tokens replaced by ***:
    http://user:p@ss@host/v1?api_key=k → http://***@host/v1?api_key=***."""
    text = _USERINFO.sub(r"\1***@", text)
    text = _QUERY.sub(r"\1***", text)
    return _BEARER.sub(r"\1***", text)


def has_credentials(url: str) -> bool:
    """True when a URL carries a user or password (`scheme://user:pw@host`, `scheme://:pw@host`)."""
    return _USERINFO.search(url) is not None
