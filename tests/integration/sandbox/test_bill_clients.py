"""Both clients download, verify and read the running sandbox's bills (bills reference §2-§4):
the same day's bill reads the same over v2 and v3, gzip or not, in either layout."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from payment.wechatpay import WeChatPayV2Client
from payment.wechatpay.bills import BillType, TradeBill
from payment.wechatpay.errors import BillNotReadyError, NoBillError
from payment.wechatpay_v3 import WeChatPayV3Client
from tests.fixtures.sandbox import SandboxControl, SandboxHandle
from tests.integration.sandbox.test_bills import DAY, beijing, paid_orders

CLIENT_DAY = DAY + timedelta(days=20)


async def both(sandbox: SandboxHandle, bill_type: BillType, gzip: bool) -> list[TradeBill]:
    async with WeChatPayV2Client.open(sandbox.wechatpay_config()) as v2:
        over_v2 = await v2.download_bill(CLIENT_DAY, bill_type, gzip=gzip)
    async with WeChatPayV3Client.open(sandbox.wechatpay_v3_config()) as v3:
        over_v3 = await v3.download_bill(CLIENT_DAY, bill_type, gzip=gzip)
    return [over_v2, over_v3]


@pytest.mark.parametrize("layout", ["current", "legacy"])
async def test_both_clients_read_the_same_bill(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, layout: str
) -> None:
    numbers = await paid_orders(sandbox, sandbox_control, CLIENT_DAY, [1999, 29])
    stranger = "sc" + uuid.uuid4().hex[:20]
    await sandbox_control.http.post(
        "/sandbox/bills/stranger", json={"out_trade_no": stranger, "total_fee": 5}
    )
    await sandbox_control.set_bills(layout=layout)
    await sandbox_control.set_clock(beijing(CLIENT_DAY + timedelta(days=1), 10, 1))
    for gzip in (True, False):
        v2_bill, v3_bill = await both(sandbox, BillType.ALL, gzip)
        assert v2_bill.lines == v3_bill.lines
        assert v2_bill.sha1 == v3_bill.sha1
        ours = {line.out_trade_no: line for line in v2_bill.lines}
        assert {*numbers, stranger} <= set(ours)
        assert ours[numbers[0]].order_total_fen == 1999
        assert ours[numbers[1]].settlement_total_fen == 29
        assert ours[stranger].order_total_fen == 5


async def test_not_yet_and_no_bill_are_typed_errors_on_both(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    await paid_orders(sandbox, sandbox_control, CLIENT_DAY + timedelta(days=1), [100])
    await sandbox_control.set_clock(beijing(CLIENT_DAY + timedelta(days=2), 9, 59))
    day = CLIENT_DAY + timedelta(days=1)
    async with (
        WeChatPayV2Client.open(sandbox.wechatpay_config()) as v2,
        WeChatPayV3Client.open(sandbox.wechatpay_v3_config()) as v3,
    ):
        with pytest.raises(BillNotReadyError):
            await v2.download_bill(day)
        with pytest.raises(BillNotReadyError):
            await v3.download_bill(day)
        with pytest.raises(NoBillError):
            await v2.download_bill(day - timedelta(days=5))
        with pytest.raises(NoBillError):
            await v3.download_bill(day - timedelta(days=5), BillType.REFUND)
