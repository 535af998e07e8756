"""Retries: only retryable failures, the same request each time, bounded, inside the deadline."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from payment.wechatpay import (
    DeadlineExceededError,
    OrderPaidError,
    RateLimitedError,
    RetryableError,
    TransportError,
)
from payment.wechatpay.retry import RetryPolicy
from tests.unit.wechatpay.fake_wechat import (
    NATIVE_OK,
    Answer,
    FakeClock,
    FakeWeChat,
    business_fail,
    client_for,
    raises,
    raw,
)


@pytest.fixture
async def opened() -> AsyncIterator[list[httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []
    yield clients
    for http in clients:
        await http.aclose()


TRANSIENT = [
    pytest.param(business_fail("SYSTEMERROR"), id="SYSTEMERROR"),
    pytest.param(business_fail("BIZERR_NEED_RETRY"), id="BIZERR_NEED_RETRY"),
    pytest.param(raw(httpx.Response(503, text="<html>busy</html>")), id="http-503"),
    pytest.param(raw(httpx.Response(500)), id="http-500"),
    pytest.param(raw(httpx.Response(200, text="<html><body>gateway")), id="unparsable"),
    pytest.param(raises(httpx.ReadTimeout("slow")), id="read-timeout"),
    pytest.param(raises(httpx.ConnectTimeout("slow")), id="connect-timeout"),
    pytest.param(raises(httpx.ConnectError("refused")), id="connection-refused"),
    pytest.param(raises(httpx.RemoteProtocolError("reset")), id="connection-reset"),
]


@pytest.mark.parametrize("transient", TRANSIENT)
async def test_a_transient_failure_is_retried_with_the_same_parameters(
    opened: list[httpx.AsyncClient], transient: Answer
) -> None:
    wechat = FakeWeChat([transient, transient, NATIVE_OK])
    client, http = client_for(wechat)
    opened.append(http)
    order = await client.unified_order_native(out_trade_no="order-r1", total_fee=5, body="x")
    assert order.code_url
    assert len(wechat.requests) == 3
    business = [
        {k: v for k, v in sent.items() if k not in {"nonce_str", "sign"}}
        for _, sent in wechat.requests
    ]
    assert business[0] == business[1] == business[2]
    assert len({sent["nonce_str"] for _, sent in wechat.requests}) == 3


async def test_retries_are_bounded(opened: list[httpx.AsyncClient]) -> None:
    wechat = FakeWeChat([business_fail("SYSTEMERROR")])
    client, http = client_for(wechat, retry=RetryPolicy(max_attempts=3))
    opened.append(http)
    with pytest.raises(RetryableError) as raised:
        await client.order_query("order-r2")
    assert raised.value.err_code == "SYSTEMERROR"
    assert len(wechat.requests) == 3


async def test_waits_grow_and_stay_within_the_policy(opened: list[httpx.AsyncClient]) -> None:
    clock = FakeClock()
    wechat = FakeWeChat([raw(httpx.Response(502))])
    policy = RetryPolicy(max_attempts=5, base_delay=0.1, max_delay=0.5)
    client, http = client_for(wechat, clock, retry=policy)
    opened.append(http)
    with pytest.raises(TransportError):
        await client.order_query("order-r3")
    ceilings = [0.1, 0.2, 0.4, 0.5]
    assert len(clock.sleeps) == len(ceilings)
    assert all(c / 2 <= s <= c for s, c in zip(clock.sleeps, ceilings, strict=True))


async def test_no_retry_would_outlive_the_deadline(opened: list[httpx.AsyncClient]) -> None:
    clock = FakeClock()
    wechat = FakeWeChat([business_fail("SYSTEMERROR")])
    client, http = client_for(wechat, clock, retry=RetryPolicy(max_attempts=10, base_delay=1.0))
    opened.append(http)
    with pytest.raises(RetryableError):
        await client.order_query("order-r4", deadline=clock.now + 2.0)
    assert clock.now < 1000.0 + 2.0
    assert 1 <= len(wechat.requests) < 10


async def test_a_deadline_already_past_sends_nothing(opened: list[httpx.AsyncClient]) -> None:
    clock = FakeClock()
    wechat = FakeWeChat([NATIVE_OK])
    client, http = client_for(wechat, clock)
    opened.append(http)
    with pytest.raises(DeadlineExceededError):
        await client.order_query("order-r5", deadline=clock.now - 0.001)
    assert wechat.requests == []


async def test_a_final_answer_is_never_retried(opened: list[httpx.AsyncClient]) -> None:
    wechat = FakeWeChat([business_fail("ORDERPAID")])
    client, http = client_for(wechat)
    opened.append(http)
    with pytest.raises(OrderPaidError):
        await client.close_order("order-r6")
    assert len(wechat.requests) == 1


async def test_rate_limits_back_off_at_least_a_second(opened: list[httpx.AsyncClient]) -> None:
    clock = FakeClock()
    wechat = FakeWeChat([business_fail("FREQUENCY_LIMITED"), business_fail("SYSTEMERROR")])
    client, http = client_for(wechat, clock, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
    opened.append(http)
    with pytest.raises(RetryableError):
        await client.close_order("order-r7")
    assert clock.sleeps[0] >= 1.0
    assert RateLimitedError("INVALID_REQ_TOO_MUCH").min_backoff == 60.0


@given(st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=2**32))
def test_backoff_is_never_above_its_cap_or_below_half_of_it(retry: int, seed: int) -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=2.0)
    wait = policy.backoff(retry, random.Random(seed))
    ceiling = min(2.0, 0.1 * 2**retry)
    assert ceiling / 2 <= wait <= ceiling
