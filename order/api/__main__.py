"""`python -m order.api`: serves paystream.order.v1.OrderService over gRPC."""

from __future__ import annotations

import uvloop

from order.api.bootstrap import build
from order.api.settings import ApiSettings
from runtime.logs import configure, get_logger, register_secret
from runtime.metrics import serve_metrics
from runtime.settings import load

log = get_logger("order.api")


async def _serve(settings: ApiSettings) -> None:
    app = build(settings)
    await app.serve_until_signalled(settings.shutdown_grace_seconds)


def main() -> int:
    settings = load(ApiSettings, "order.api")
    configure("order.api", settings.log_level)
    password = settings.database_url.hosts()[0].get("password")
    if password:
        register_secret(str(password))
    serve_metrics(settings.order_metrics_host, settings.order_metrics_port)
    uvloop.run(_serve(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
