"""``/metrics``: the host's Prometheus metrics, in the text exposition format."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from stephost_host.observe.metrics import Metrics


def router(metrics: Metrics) -> APIRouter:
    api = APIRouter()

    @api.get("/metrics")
    async def exposition() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return api
