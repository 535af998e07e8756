"""The client's retries against the sandbox's injected SYSTEMERROR answers, 5xx and latency."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from payment.wechatpay import (
    AttemptRecord,
    DeadlineExceededError,
    RetryableError,
    RetryPolicy,
    TradeState,
    WeChatPayV2Client,
)
from tests.fixtures.sandbox import SandboxControl, SandboxHandle
from tests.integration.wechatpay.conftest import new_out_trade_no


async def place_orders(
    sandbox: SandboxHandle, count: int, policy: RetryPolicy
) -> tuple[Counter[str], list[str]]:
    records: list[AttemptRecord] = []
    config = sandbox.wechatpay_config()
    numbers = [new_out_trade_no() for _ in range(count)]
    async with WeChatPayV2Client.open(config, retry=policy, observer=records.append) as client:
        for out_trade_no in numbers:
            await client.unified_order_native(out_trade_no=out_trade_no, total_fee=2, body="x")
    return Counter(r.outcome for r in records), numbers


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [({"systemerror_rate": 0.5}, "SYSTEMERROR"), ({"http_5xx_rate": 0.5}, "HTTP_5")],
)
async def test_orders_get_through_transient_faults_by_retrying(
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    fault: dict[str, float],
    outcome: str,
) -> None:
    await sandbox_control.set_faults(**fault, seed=3)
    outcomes, numbers = await place_orders(
        sandbox, 20, RetryPolicy(max_attempts=12, base_delay=0.001, max_delay=0.005)
    )
    assert outcomes["SUCCESS"] == 20
    assert sum(n for o, n in outcomes.items() if o.startswith(outcome)) > 0
    await sandbox_control.reset_faults()
    async with WeChatPayV2Client.open(sandbox.wechatpay_config()) as client:
        for out_trade_no in numbers:
            assert (await client.order_query(out_trade_no)).trade_state is TradeState.NOTPAY


async def test_a_faulted_call_changes_nothing(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    await sandbox_control.set_faults(systemerror_rate=1.0)
    out_trade_no = new_out_trade_no()
    policy = RetryPolicy(max_attempts=2, base_delay=0.001)
    async with WeChatPayV2Client.open(sandbox.wechatpay_config(), retry=policy) as client:
        with pytest.raises(RetryableError) as raised:
            await client.unified_order_native(out_trade_no=out_trade_no, total_fee=2, body="x")
    assert raised.value.err_code == "SYSTEMERROR"
    missing = await sandbox_control.http.get(f"/sandbox/orders/{out_trade_no}")
    assert missing.status_code == 404


async def test_added_latency_past_the_deadline_is_deadline_exceeded(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    await sandbox_control.set_faults(latency_ms=600)
    async with WeChatPayV2Client.open(sandbox.wechatpay_config()) as client:
        with pytest.raises(DeadlineExceededError):
            await client.order_query(new_out_trade_no(), deadline=time.monotonic() + 0.2)
