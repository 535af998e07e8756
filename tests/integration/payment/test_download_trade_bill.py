"""PaymentService.DownloadTradeBill against the running sandbox, over v2 and over v3: the
verified bill streamed as typed lines (summary first), and the not-yet, no-bill and
too-old days as distinct statuses with their ErrorInfo reasons."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import grpc
import pytest

from payment.bootstrap import build
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc, types_pb2
from tests.fixtures.payment import error_reason, payment_settings, v3_payment_settings
from tests.fixtures.sandbox import SandboxControl, SandboxHandle
from tests.integration.sandbox.test_bills import DAY, beijing, paid_orders

if TYPE_CHECKING:
    Stub = payment_pb2_grpc.PaymentServiceAsyncStub

RPC_DAY = DAY + timedelta(days=40)
SETTINGS: dict[str, Callable[..., Any]] = {"v2": payment_settings, "v3": v3_payment_settings}


@pytest.fixture(params=["v2", "v3"])
async def payments(
    request: pytest.FixtureRequest, sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> AsyncIterator[Stub]:
    async with build(SETTINGS[request.param](sandbox)) as server:
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
                yield payment_pb2_grpc.PaymentServiceStub(channel)
        finally:
            await server.stop(0)


async def download(stub: Stub, day: str, **fields: Any) -> list[Any]:
    request = payment_pb2.DownloadTradeBillRequest(bill_date=day, **fields)
    return [message async for message in stub.DownloadTradeBill(request)]


async def refused(stub: Stub, day: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await download(stub, day)
    return failed.value


async def test_the_bill_streams_as_typed_lines_after_its_summary(
    payments: Stub, sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    day = RPC_DAY
    numbers = await paid_orders(sandbox, sandbox_control, day, [1999, 1])
    await sandbox_control.set_clock(beijing(day + timedelta(days=1), 10, 5))
    messages = await download(payments, day.isoformat(), bill_type=payment_pb2.BILL_TYPE_ALL)
    summary = messages[0].summary
    lines = [line for message in messages for line in message.lines]
    assert all(not message.HasField("summary") for message in messages[1:])
    assert summary.line_count == len(lines)
    assert summary.order_total_fee == sum(line.order_total_fee for line in lines)
    assert len(summary.sha1) == 40
    ours = {line.out_trade_no: line for line in lines}
    first = ours[numbers[0]]
    assert (first.line_type, first.order_total_fee, first.fee) == (
        payment_pb2.BILL_LINE_TYPE_PAYMENT,
        1999,
        12,
    )
    assert first.refund_status == types_pb2.REFUND_STATUS_UNSPECIFIED
    assert first.trade_time.ToDatetime().date() == day  # noon in Beijing is 04:00 UTC


async def test_not_yet_no_bill_and_too_old_are_distinct_statuses(
    payments: Stub, sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    day = RPC_DAY + timedelta(days=11)
    await paid_orders(sandbox, sandbox_control, day, [100])
    await sandbox_control.set_clock(beijing(day + timedelta(days=1), 9, 0))
    not_yet = await refused(payments, day.isoformat())
    assert (not_yet.code(), error_reason(not_yet)) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "STATEMENT_CREATING",
    )
    none = await refused(payments, (day - timedelta(days=1)).isoformat())
    assert (none.code(), error_reason(none)) == (grpc.StatusCode.NOT_FOUND, "NO_STATEMENT_EXIST")
    old = await refused(payments, (day - timedelta(days=200)).isoformat())
    assert (old.code(), error_reason(old)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_BILL_DATE",
    )
    malformed = await refused(payments, "2031-02-30")
    assert malformed.code() is grpc.StatusCode.INVALID_ARGUMENT
