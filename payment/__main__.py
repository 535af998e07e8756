"""`python -m payment`: serves paystream.payment.v1.PaymentService over gRPC."""

from __future__ import annotations

import sys

import uvloop

from payment.bootstrap import build
from payment.settings import PaymentSettings
from payment.wechatpay.errors import ConfigurationError
from runtime import logs
from runtime.metrics import serve_metrics
from runtime.settings import EXIT_CONFIG, load


async def serve(settings: PaymentSettings) -> None:
    async with build(settings) as server:
        serve_metrics(settings.payment_grpc_host, settings.payment_metrics_port)
        await server.serve_until_signalled(settings.shutdown_grace_seconds)


def main() -> None:
    settings = load(PaymentSettings, "payment")
    logs.configure("payment", settings.log_level)
    for secret in settings.secrets():
        logs.register_secret(secret)
    try:
        uvloop.run(serve(settings))
    except ConfigurationError as error:
        print(f"payment: configuration error: {error}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


if __name__ == "__main__":
    main()
