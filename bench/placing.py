"""Setting up orders for a benchmark: rows in PostgreSQL and NATIVE orders at the sandbox
(placed with the v2 client directly: set-up, not what is measured)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pydantic import SecretStr

from bench import common
from devstack.apps import System
from payment.wechatpay import WeChatPayConfig, WeChatPayV2Client
from sandbox import credentials


def sandbox_config(system: System) -> WeChatPayConfig:
    state = system.sandbox_state
    return WeChatPayConfig(
        appid=credentials.APPID,
        mch_id=credentials.MCH_ID,
        api_key=SecretStr(credentials.API_KEY),
        notify_url=f"http://127.0.0.1:{system.ports.gateway}/wechatpay/v2/notify",
        base_url=f"http://127.0.0.1:{system.ports.sandbox}",
        ca_bundle_path=state / "ca.pem",
    )


async def place_at_sandbox(
    system: System, ids: Sequence[str], total_fee: int, concurrency: int = 32
) -> None:
    queue = list(ids)
    async with WeChatPayV2Client.open(sandbox_config(system)) as client:

        async def worker() -> None:
            while queue:
                order_id = queue.pop()
                await client.unified_order_native(
                    out_trade_no=order_id, total_fee=total_fee, body="benchmark"
                )

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def place(system: System, ids: Sequence[str], total_fee: int) -> None:
    common.insert_pending_orders(system.database_url, ids, total_fee)
    asyncio.run(place_at_sandbox(system, ids, total_fee))
