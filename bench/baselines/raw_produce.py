"""Baseline (b): an endpoint that produces the raw body to the same topic and awaits the ack,
with no parsing or verification — the gateway's Kafka cost and nothing else.

`python -m bench.baselines.raw_produce PORT BOOTSTRAP TOPIC`
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.baselines.bare_endpoint import SUCCESS
from runtime.kafka import AckingProducer, producer_config


def build(bootstrap: str, topic: str) -> Starlette:
    producer: list[AckingProducer] = []

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        producer.append(
            AckingProducer(
                producer_config(bootstrap, **{"linger.ms": 1, "message.timeout.ms": 4000})
            )
        )
        yield
        producer[0].close()

    async def notify(request: Request) -> Response:
        body = await request.body()
        await producer[0].send(topic, value=body, key=b"k", timeout=3.0)
        return Response(SUCCESS, media_type="text/xml; charset=utf-8")

    return Starlette(
        routes=[Route("/wechatpay/v2/notify", notify, methods=["POST"])], lifespan=lifespan
    )


if __name__ == "__main__":
    port, bootstrap, topic = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    uvicorn.run(
        build(bootstrap, topic), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
