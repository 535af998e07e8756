"""`python -m callback_gateway`: receives WeChat Pay's notifies over HTTP (composition root)."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette

from callback_gateway.app import EndpointSpec, Limits, build_app
from callback_gateway.settings import GatewaySettings
from callback_gateway.wechat_v2 import V2PaymentNotify, V2RefundNotify, merchant_from
from runtime import logs
from runtime.kafka import AckingProducer, producer_config
from runtime.settings import load

# librdkafka gives up on a record after this long; the gateway answers FAIL before that anyway.
MESSAGE_TIMEOUT_MS = 4_000


def bootstrap(
    settings: GatewaySettings, make_producer: Callable[[], AckingProducer] | None = None
) -> Starlette:
    """Builds the gateway from its settings; tests may pass their own producer factory."""
    merchant = merchant_from(settings)
    cap = settings.gateway_max_body_bytes
    endpoints = [
        EndpointSpec("/wechatpay/v2/notify", V2PaymentNotify(merchant, cap)),
        EndpointSpec("/wechatpay/v2/refund-notify", V2RefundNotify(merchant, cap)),
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

    return build_app(endpoints, limits, make_producer or make_kafka_producer)


def main() -> None:
    settings = load(GatewaySettings, "callback_gateway")
    logs.configure("callback_gateway", settings.log_level)
    logs.register_secret(settings.wechatpay_api_key.get_secret_value())
    uvicorn.run(
        bootstrap(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        lifespan="on",
    )


if __name__ == "__main__":
    main()
