"""GET /metrics — Prometheus text format (behind the API key when one is set, unless QIZHEN_PUBLIC_METRICS)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.api.deps import MetricsDep

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response,
            responses={200: {"description": "Prometheus exposition format",
                             "content": {"text/plain": {"schema": {"type": "string"}}}}},
            summary="request counts, latency histograms, grounded/abstained answers")
async def metrics(metrics: MetricsDep) -> Response:
    # a few small files at most (multiprocess mode): cheaper inline than a thread hop
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
