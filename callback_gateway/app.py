"""The gateway's Starlette application: notify endpoints, probes and metrics.

The Kafka producer lives for the process: created when the app starts (lifespan), flushed and
closed when it stops, never per request and never at import.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from callback_gateway.endpoint import NotifyEndpoint
from callback_gateway.protocol import NotifyProtocol
from runtime.kafka import AckingProducer
from runtime.logs import get_logger

log = get_logger("callback_gateway")


@dataclass(frozen=True)
class EndpointSpec:
    path: str
    protocol: NotifyProtocol


@dataclass(frozen=True)
class Limits:
    topic: str
    max_body_bytes: int
    body_timeout: float
    ack_timeout: float
    flush_timeout: float = 5.0


class _ProducerHolder:
    """Set by the lifespan; read by the endpoints and the readiness probe."""

    producer: AckingProducer | None = None

    def get(self) -> AckingProducer:
        if self.producer is None:
            raise RuntimeError("the producer is not running")
        return self.producer


def build_app(
    endpoints: Sequence[EndpointSpec],
    limits: Limits,
    make_producer: Callable[[], AckingProducer],
) -> Starlette:
    holder = _ProducerHolder()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    async def readyz(_: Request) -> Response:
        producer = holder.producer
        ready = producer is not None and await asyncio.to_thread(producer.reachable, 1.0)
        return JSONResponse(
            {"kafka": "reachable" if ready else "unreachable"}, status_code=200 if ready else 503
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        holder.producer = make_producer()
        log.info("gateway started", endpoints=[e.path for e in endpoints])
        try:
            yield
        finally:
            left = await asyncio.to_thread(holder.producer.close, limits.flush_timeout)
            log.info("gateway stopped", unflushed=left)
            holder.producer = None

    notify = {
        spec.path: NotifyEndpoint(
            spec.protocol,
            holder.get,
            limits.topic,
            limits.max_body_bytes,
            limits.body_timeout,
            limits.ack_timeout,
        )
        for spec in endpoints
    }
    routes: list[BaseRoute] = [Route(path, endpoint) for path, endpoint in notify.items()]
    routes += [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    return GatewayApp(notify, routes=routes, lifespan=lifespan)


class GatewayApp(Starlette):
    """Starlette, except that a notify goes straight to its endpoint: the endpoints answer
    every outcome themselves, so routing and the exception middlewares would only add cost to
    the hot path (about a fifth of the gateway's own CPU per notify)."""

    def __init__(self, notify: dict[str, NotifyEndpoint], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._notify = notify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            endpoint = self._notify.get(scope["path"])
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
