"""`python -m callback_gateway`: receives WeChat Pay's notifies over HTTP (composition root)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette

from callback_gateway.app import EndpointSpec, Limits, build_app
from callback_gateway.http_protocol import with_header_deadline
from callback_gateway.settings import GatewaySettings
from callback_gateway.wechat_v2 import v2_protocols
from callback_gateway.wechat_v3 import V3Setup, v3_setup
from payment.wechatpay.errors import ConfigurationError
from runtime import logs
from runtime.kafka import AckingProducer, producer_config
from runtime.settings import EXIT_CONFIG, load

# librdkafka gives up on a record after this long; the gateway answers FAIL before that anyway.
MESSAGE_TIMEOUT_MS = 4_000


def bootstrap(
    settings: GatewaySettings, make_producer: Callable[[], AckingProducer] | None = None
) -> Starlette:
    """Builds the gateway from its settings; tests may pass their own producer factory."""
    v2 = v2_protocols(settings)
    v3 = v3_setup(settings)
    endpoints = [
        EndpointSpec("/wechatpay/v2/notify", v2.payment),
        EndpointSpec("/wechatpay/v2/refund-notify", v2.refund),
        EndpointSpec("/wechatpay/v3/notify", v3.protocol),
    ]
    limits = Limits(
        topic=settings.kafka_topic_observations,
        max_body_bytes=settings.gateway_max_body_bytes,
        body_timeout=settings.gateway_body_timeout_seconds,
        ack_timeout=settings.gateway_ack_timeout_seconds,
    )

    def make_kafka_producer() -> AckingProducer:
        return AckingProducer(
            producer_config(
                settings.kafka_bootstrap_servers,
                **{
                    "linger.ms": settings.gateway_kafka_linger_ms,
                    "message.timeout.ms": MESSAGE_TIMEOUT_MS,
                },
            )
        )

    app = build_app(endpoints, limits, make_producer or make_kafka_producer)
    _run_beside(app, v3)
    return app


def _run_beside(app: Starlette, v3: V3Setup) -> None:
    """Runs v3's background work (platform certificate refreshes) inside the app's lifespan."""
    background = v3.background
    if background is None:
        return
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(started: Starlette) -> AsyncIterator[None]:
        async with inner(started), background():
            yield

    app.router.lifespan_context = lifespan


def main() -> None:
    settings = load(GatewaySettings, "callback_gateway")
    logs.configure("callback_gateway", settings.log_level)
    for secret in settings.secrets():
        logs.register_secret(secret)
    try:
        app = bootstrap(settings)
    except ConfigurationError as error:
        print(f"callback_gateway: configuration error: {error}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    uvicorn.run(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_config=None,
        access_log=False,
        # A slow-loris guard on the headers too (the body has its own deadline).
        http=with_header_deadline(settings.gateway_body_timeout_seconds),
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        lifespan="on",
        loop="uvloop",
        # Nothing here reads the client address; the ingress keeps its own access log.
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
