"""The sandbox's trade bill from its own ledger, byte by byte (bills reference §1, §4, §6)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from payment.wechatpay.http import HttpxPoster
from payment.wechatpay.types import RefundStatus
from sandbox.bills import BillRefusal, BillRefusalError, BillType, Layout, oldest_day
from sandbox.clock import SandboxClock
from sandbox.notifier import Notifier
from sandbox.service import DeliveryOptions, Sandbox
from sandbox.store import Order
from sandbox.v2_sign import SignType
from sandbox.wire import Merchant

DAY = date(2026, 11, 27)
PAID_AT = datetime(2026, 11, 27, 3, 4, 5, tzinfo=UTC)  # 11:04:05 in Beijing
READY = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 the next day in Beijing
ALL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
    "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
LEGACY_HEADER = (
    "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,"
    "代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率"
)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    transport = httpx.MockTransport(lambda _: httpx.Response(200))
    clock = SandboxClock()
    clock.set(PAID_AT)
    async with httpx.AsyncClient(transport=transport) as http:
        notifier = Notifier(HttpxPoster(http), clock=clock)
        yield Sandbox(
            Merchant("wx1", "19", "k" * 32),
            notifier,
            clock,
            refund_delay_seconds=3600,
            refund_notify_url=None,
        )
        await notifier.cancel_all()


def paid(sandbox: Sandbox, out_trade_no: str, total_fee: int, attach: str = "") -> Order:
    request = {
        "body": "咖啡",
        "attach": attach,
        "out_trade_no": out_trade_no,
        "total_fee": str(total_fee),
        "spbill_create_ip": "127.0.0.1",
        "notify_url": "http://127.0.0.1:9/n",
        "trade_type": "NATIVE",
        "product_id": "p",
    }
    sandbox.trades.unified_order(request, SignType.MD5, sandbox.clock())
    order = sandbox.store.orders[out_trade_no]
    sandbox.pay(order, DeliveryOptions(drop=True))
    return order


def lines(bill: bytes) -> list[list[str]]:
    assert bill.startswith(b"\xef\xbb\xbf")
    text = bill[3:].decode()
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    return [line.split(",") for line in text.removesuffix("\r\n").split("\r\n")]


async def test_the_all_bill_has_payment_and_refund_lines_as_wechat_writes_them(
    sandbox: Sandbox,
) -> None:
    order = paid(sandbox, "bill-1", 1999, attach='{"k":"v"}')
    paid(sandbox, "bill-2", 50)
    refund = sandbox.refund({"out_trade_no": "bill-1", "out_refund_no": "r-1",
                             "total_fee": "1999", "refund_fee": "999"})  # fmt: skip
    bill = sandbox.bills.bill(DAY, BillType.ALL, READY)
    header, pay1, pay2, refund_line, summary_header, summary = lines(bill)
    assert ",".join(header) == ALL_HEADER
    row = dict(zip(header, pay1, strict=True))
    assert all(value.startswith("`") for value in pay1)
    assert row["交易时间"] == "`2026-11-27 11:04:05"
    assert row["微信订单号"] == f"`{order.transaction_id}"
    assert (row["交易状态"], row["应结订单金额"], row["订单金额"]) == (
        "`SUCCESS",
        "`19.99",
        "`19.99",
    )
    assert (row["微信退款单号"], row["退款金额"], row["退款状态"]) == ("`0", "`0.00", "`")
    assert (row["手续费"], row["费率"], row["费率备注"]) == ("`0.12000", "`0.60%", "`")
    assert row["商户数据包"] == '`{\\"k\\":\\"v\\"}'
    assert dict(zip(header, pay2, strict=True))["手续费"] == "`0.00000"  # 0.30 fen rounds down
    back = dict(zip(header, refund_line, strict=True))
    assert back["商户订单号"] == "`bill-1"
    assert back["微信订单号"] == f"`{order.transaction_id}"
    assert (back["微信退款单号"], back["商户退款单号"]) == (f"`{refund.refund_id}", "`r-1")
    assert (back["交易状态"], back["应结订单金额"], back["订单金额"]) == (
        "`REFUND",
        "`0.00",
        "`0.00",
    )
    assert (back["退款金额"], back["申请退款金额"], back["手续费"]) == (
        "`9.99",
        "`9.99",
        "`-0.06000",
    )
    assert back["退款状态"] == "`PROCESSING"  # not settled when the bill was made
    assert ",".join(summary_header) == (
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
    )
    assert summary == ["`3", "`20.49", "`9.99", "`0.00", "`0.06000", "`20.49", "`9.99"]


async def test_the_refund_status_is_frozen_when_the_bill_is_made(sandbox: Sandbox) -> None:
    paid(sandbox, "bill-3", 100)
    early = sandbox.refund({"out_trade_no": "bill-3", "out_refund_no": "r-early",
                            "total_fee": "100", "refund_fee": "10"})  # fmt: skip
    late = sandbox.refund({"out_trade_no": "bill-3", "out_refund_no": "r-late",
                           "total_fee": "100", "refund_fee": "20"})  # fmt: skip
    sandbox.refunds.settle(early, READY - timedelta(hours=2))  # 08:00 next day: before 09:00
    sandbox.refunds.settle(late, READY)  # 10:00: after the bill was made
    header, *refund_lines, _, _ = lines(sandbox.bills.bill(DAY, BillType.REFUND, READY))
    assert len(header) == 29
    by_no = {dict(zip(header, r, strict=True))["商户退款单号"]: dict(zip(header, r, strict=True))
             for r in refund_lines}  # fmt: skip
    assert by_no["`r-early"]["退款状态"] == "`SUCCESS"
    assert by_no["`r-early"]["退款成功时间"] == "`2026-11-28 08:00:00"
    assert by_no["`r-late"]["退款状态"] == "`PROCESSING"
    assert late.status is RefundStatus.SUCCESS


async def test_success_and_refund_bills_carry_only_their_lines(sandbox: Sandbox) -> None:
    paid(sandbox, "bill-4", 300)
    success = lines(sandbox.bills.bill(DAY, BillType.SUCCESS, READY))
    assert len(success[0]) == 20
    assert success[-2] == ["总交易单数", "应结订单总金额", "手续费总金额", "订单总金额"]
    assert success[-1] == ["`1", "`3.00", "`0.02000", "`3.00"]
    with pytest.raises(BillRefusalError) as refused:
        sandbox.bills.bill(DAY, BillType.REFUND, READY)
    assert refused.value.refusal is BillRefusal.NONE


async def test_the_legacy_layout_has_24_columns_and_a_five_field_summary(sandbox: Sandbox) -> None:
    paid(sandbox, "bill-5", 1234)
    sandbox.bills.layout = Layout.LEGACY
    header, line, summary_header, summary = lines(sandbox.bills.bill(DAY, BillType.ALL, READY))
    assert ",".join(header) == LEGACY_HEADER
    assert dict(zip(header, line, strict=True))["总金额"] == "`12.34"
    assert summary_header == [
        "总交易单数",
        "总交易额",
        "总退款金额",
        "总代金券或立减优惠退款金额",
        "手续费总金额",
    ]
    assert summary == ["`1", "`12.34", "`0.00", "`0.00", "`0.07000"]


async def test_a_planted_amount_is_billed_instead_of_the_paid_one(sandbox: Sandbox) -> None:
    paid(sandbox, "bill-6", 100)
    sandbox.bills.billed_amounts["bill-6"] = 101
    header, line, *_ = lines(sandbox.bills.bill(DAY, BillType.ALL, READY))
    assert dict(zip(header, line, strict=True))["订单金额"] == "`1.01"


@pytest.mark.parametrize(
    ("now", "refusal"),
    [
        (READY - timedelta(seconds=1), BillRefusal.NOT_YET),
        (PAID_AT, BillRefusal.NOT_YET),
        (datetime(2027, 2, 28, 2, tzinfo=UTC), BillRefusal.TOO_OLD),
    ],
)
async def test_a_bill_is_not_served_before_10_or_after_three_months(
    sandbox: Sandbox, now: datetime, refusal: BillRefusal
) -> None:
    paid(sandbox, "bill-7", 100)
    with pytest.raises(BillRefusalError) as refused:
        sandbox.bills.bill(DAY, BillType.ALL, now)
    assert refused.value.refusal is refusal
    assert sandbox.bills.bill(DAY, BillType.ALL, datetime(2027, 2, 27, 2, tzinfo=UTC))


async def test_a_day_without_trades_has_no_bill_and_days_are_beijing_days(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 11, 27, 16, 0, 1, tzinfo=UTC))  # type: ignore[attr-defined]
    paid(sandbox, "bill-8", 100)  # 00:00:01 on the 28th in Beijing
    with pytest.raises(BillRefusalError) as refused:
        sandbox.bills.bill(DAY, BillType.ALL, READY + timedelta(days=1))
    assert refused.value.refusal is BillRefusal.NONE
    assert sandbox.bills.bill(DAY + timedelta(days=1), BillType.ALL, READY + timedelta(days=1))


@pytest.mark.parametrize(
    ("today", "oldest"),
    [(date(2026, 5, 31), date(2026, 2, 28)), (date(2026, 2, 10), date(2025, 11, 10))],
)
def test_three_months_back_is_calendar_months(today: date, oldest: date) -> None:
    assert oldest_day(today) == oldest
