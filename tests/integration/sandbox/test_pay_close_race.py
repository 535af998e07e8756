"""A customer paying while the merchant closes: exactly one of them wins, never both."""

from __future__ import annotations

import asyncio
import uuid

from payment.wechatpay import OrderClosedError, OrderPaidError, WeChatPayV2Client
from tests.fixtures.sandbox import SandboxControl, SandboxHandle


async def test_pay_and_close_racing_on_one_order_have_a_single_winner(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    async with WeChatPayV2Client.open(sandbox.wechatpay_config()) as client:
        for _ in range(5):
            out_trade_no = "race" + uuid.uuid4().hex[:20]
            await client.unified_order_native(out_trade_no=out_trade_no, total_fee=1, body="x")

            async def pay(number: str = out_trade_no) -> bool:
                response = await sandbox_control.http.post(
                    "/sandbox/pay", json={"out_trade_no": number, "delivery": "drop"}
                )
                return response.status_code == 200

            async def close(number: str = out_trade_no) -> bool:
                try:
                    await client.close_order(number)
                except (OrderPaidError, OrderClosedError):
                    return False
                return True

            results = await asyncio.gather(
                *[pay() for _ in range(10)], *[close() for _ in range(10)]
            )
            paid, closed = sum(results[:10]), sum(results[10:])
            assert paid + closed == 1
            state = (await sandbox_control.order(out_trade_no))["trade_state"]
            assert state == ("SUCCESS" if paid else "CLOSED")
