"""`python -m sandbox.shop`: the demo shop's cashier page on 127.0.0.1:8070 (composition root)."""

from __future__ import annotations

import uvicorn

from runtime import logs
from runtime.settings import load
from sandbox.shop.app import bootstrap
from sandbox.shop.settings import ShopSettings


def main() -> int:
    settings = load(ShopSettings, "sandbox.shop")
    logs.configure("sandbox.shop", settings.log_level)
    uvicorn.run(
        bootstrap(settings),
        host=settings.shop_host,
        port=settings.shop_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
