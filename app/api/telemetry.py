"""Prometheus metrics of one app instance.

Multiprocess-safe: when `PROMETHEUS_MULTIPROC_DIR` is set before the worker processes start
(`qizhen serve --workers N` does this), every worker writes its samples to that directory and
`/metrics` aggregates them with `MultiProcessCollector`; otherwise the figures are per process.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Request counts, latency histograms, grounded/abstained answers."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "qizhen_http_requests_total", "HTTP requests by route, method and status",
            ["route", "method", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "qizhen_http_request_duration_seconds", "HTTP request latency by route",
            ["route", "method"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.answers = Counter(
            "qizhen_answers_total", "answers by outcome (grounded | abstained) and generator",
            ["outcome", "generator"], registry=self.registry,
        )
        self.answer_latency = Histogram(
            "qizhen_answer_duration_seconds", "time to produce an answer (retrieval + generation)",
            ["generator"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def observe_answer(self, grounded: bool, generator: str, seconds: float) -> None:
        self.answers.labels("grounded" if grounded else "abstained", generator or "unknown").inc()
        self.answer_latency.labels(generator or "unknown").observe(seconds)

    def exposition(self) -> bytes:
        multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if multiproc_dir:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=multiproc_dir)
            return generate_latest(registry)
        return generate_latest(self.registry)
