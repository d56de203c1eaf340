"""Per-client token buckets for POST /feedback: 429 with Retry-After past the rate, JSON like every error.

A client is its API key when the service has one (plus the UI's `X-QiZhen-Reporter` session
pseudonym, which only a caller holding the key can set, so one clinician cannot use up the UI's
budget for everyone), else its address (`request.client`, which uvicorn takes from X-Forwarded-For
only for the proxies in its --forwarded-allow-ips). The buckets live in each worker process: with
N workers a client gets up to N times the rate. At most `max_clients` buckets are kept (least
recently used dropped), so a flood from many addresses cannot grow memory without bound.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import Request

from app.api.guards import offered_key
from app.settings import Settings

REPORTER_HEADER = "x-qizhen-reporter"


class TokenBucketLimiter:
    def __init__(self, rate_per_s: float, burst: int, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_s
        self.burst = float(max(1, burst))
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token: 0.0 when allowed, else the seconds until the next token."""
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)


def client_identity(request: Request, settings: Settings) -> str:
    """Who is posting: the (checked) API key and the UI's session pseudonym, else the address."""
    if settings.api_key is not None and settings.api_key.get_secret_value():
        key = offered_key(request.scope) or ""
        who = "key:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        session = request.headers.get(REPORTER_HEADER, "")[:64]
        return f"{who}/{session}" if session else who
    return "addr:" + (request.client.host if request.client else "unknown")


def retry_after(wait_s: float) -> str:
    return str(max(1, math.ceil(wait_s)))
