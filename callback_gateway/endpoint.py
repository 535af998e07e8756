"""The short pipe (STYLE.md §5): read the raw body → verify and map → publish and await the ack
→ answer. SUCCESS is answered only for what Kafka acknowledged; everything else answers FAIL and
produces nothing, so WeChat retries."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from callback_gateway import metrics
from callback_gateway.body import BodyTimeoutError, BodyTooLargeError, read_body
from callback_gateway.protocol import NotifyProtocol, Rejection, Reply
from paystream.events.v1 import events_pb2
from runtime.kafka import AckingProducer, DeliveryTimeoutError, ProduceError, QueueFullError
from runtime.logs import get_logger
from runtime.observations import publish

log = get_logger("callback_gateway.notify")


class NotifyEndpoint:
    """An ASGI app for one notify endpoint (raw ASGI: the hot path skips Request objects)."""

    def __init__(
        self,
        protocol: NotifyProtocol,
        producer: Callable[[], AckingProducer],
        topic: str,
        max_body_bytes: int,
        body_timeout: float,
        ack_timeout: float,
    ) -> None:
        self._protocol = protocol
        self._producer = producer
        self._topic = topic
        self._max_body = max_body_bytes
        self._body_timeout = body_timeout
        self._ack_timeout = ack_timeout
        endpoint = protocol.endpoint
        # Metric children resolved once: a labels() lookup per notify is measurable here.
        self._counted = {o: metrics.NOTIFIES.labels(endpoint, o) for o in ("accepted", "rejected")}
        self._latency = metrics.REQUEST_SECONDS.labels(endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        endpoint = self._protocol.endpoint
        metrics.IN_FLIGHT.inc()
        out_trade_no = ""
        try:
            if scope["method"] != "POST":
                reply, outcome = self._reject(Rejection("method", 405, "POST only")), "rejected"
            else:
                try:
                    observed = await self._accept(scope, receive)
                    out_trade_no = observed.out_trade_no
                    await self._publish(observed)
                    reply, outcome = self._protocol.success(), "accepted"
                except Rejection as rejection:
                    reply, outcome = self._reject(rejection), "rejected"
        finally:
            metrics.IN_FLIGHT.dec()
        await _send(send, reply)
        elapsed = time.perf_counter() - started
        self._counted[outcome].inc()
        self._latency.observe(elapsed)
        log.info(
            "notify",
            endpoint=endpoint,
            outcome=outcome,
            status=reply.status,
            out_trade_no=out_trade_no,
            latency_ms=round(elapsed * 1000, 2),
        )

    async def _accept(self, scope: Scope, receive: Receive) -> events_pb2.PaymentObserved:
        headers = Headers(scope=scope)
        try:
            body = await read_body(
                receive, headers.get("content-length"), self._max_body, self._body_timeout
            )
        except BodyTooLargeError as error:
            raise Rejection("too_large", 413, "body too large") from error
        except BodyTimeoutError as error:
            raise Rejection("body_timeout", 408, "body not received in time") from error
        return self._protocol.accept(body, headers)

    async def _publish(self, observed: events_pb2.PaymentObserved) -> None:
        started = time.perf_counter()
        try:
            await publish(self._producer(), self._topic, observed, self._ack_timeout)
        except QueueFullError as error:
            raise Rejection("kafka_queue_full", 503, "busy, retry later") from error
        except DeliveryTimeoutError as error:
            raise Rejection("kafka_timeout", 503, "not durable in time, retry later") from error
        except ProduceError as error:
            raise Rejection("kafka_error", 503, "not durable, retry later") from error
        metrics.PRODUCE_SECONDS.observe(time.perf_counter() - started)

    def _reject(self, rejection: Rejection) -> Reply:
        metrics.REJECTED.labels(self._protocol.endpoint, rejection.reason).inc()
        return self._protocol.failure(rejection.status, rejection.message)


async def _send(send: Send, reply: Reply) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [
                (b"content-type", reply.content_type.encode()),
                (b"content-length", str(len(reply.body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": reply.body})
