"""Clients of the running sandbox, over plain HTTP and over mutual TLS."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import structlog

from payment.wechatpay import RetryPolicy, SignType, WeChatPayV2Client
from tests.fixtures.sandbox import NotifyReceiver, SandboxHandle


@pytest.fixture(autouse=True)
def _structlog_defaults() -> None:
    """Another test may have pointed structlog at a capture stream that is closed by now."""
    structlog.reset_defaults()


def new_out_trade_no() -> str:
    return "it" + uuid.uuid4().hex[:24]


@pytest.fixture
async def client(
    sandbox: SandboxHandle, notify_receiver: NotifyReceiver
) -> AsyncIterator[WeChatPayV2Client]:
    """HMAC-SHA256 over plain HTTP; notifies go to ``notify_receiver``."""
    config = sandbox.wechatpay_config(notify_url=notify_receiver.url)
    async with WeChatPayV2Client.open(config, retry=RetryPolicy(base_delay=0.01)) as opened:
        yield opened


@pytest.fixture
async def md5_client(
    sandbox: SandboxHandle, notify_receiver: NotifyReceiver
) -> AsyncIterator[WeChatPayV2Client]:
    config = sandbox.wechatpay_config(notify_url=notify_receiver.url, sign_type=SignType.MD5)
    async with WeChatPayV2Client.open(config, retry=RetryPolicy(base_delay=0.01)) as opened:
        yield opened


@pytest.fixture
async def tls_client(
    sandbox: SandboxHandle, notify_receiver: NotifyReceiver
) -> AsyncIterator[WeChatPayV2Client]:
    """HTTPS with the sandbox CA bundle and the merchant's client certificate (refunds)."""
    config = sandbox.wechatpay_config(tls=True, notify_url=notify_receiver.url)
    async with WeChatPayV2Client.open(config, retry=RetryPolicy(base_delay=0.01)) as opened:
        yield opened
