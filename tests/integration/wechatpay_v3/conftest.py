"""v3 clients of the running sandbox, in each key mode (reference §2.4)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import structlog

from payment.wechatpay import RetryPolicy
from payment.wechatpay_v3 import WeChatPayV3Client
from tests.fixtures.sandbox import NotifyReceiver, SandboxControl, SandboxHandle


@pytest.fixture(autouse=True)
def _structlog_defaults() -> None:
    """Another test may have pointed structlog at a capture stream that is closed by now."""
    structlog.reset_defaults()


def new_out_trade_no() -> str:
    return "v3" + uuid.uuid4().hex[:24]


@pytest.fixture
async def client(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> AsyncIterator[WeChatPayV3Client]:
    """Public-key mode (the sandbox's default): notifies go to ``notify_receiver``."""
    config = sandbox.wechatpay_v3_config(
        notify_url=notify_receiver.url, refund_notify_url=notify_receiver.url
    )
    async with WeChatPayV3Client.open(config, retry=RetryPolicy(base_delay=0.01)) as opened:
        yield opened


@pytest.fixture
async def certificate_client(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> AsyncIterator[WeChatPayV3Client]:
    """Platform-certificate mode: the sandbox signs with its certificate; the client downloads
    it."""
    await sandbox_control.set_v3(key_mode="certificate")
    config = sandbox.wechatpay_v3_config(
        public_key=False, certificates=True, notify_url=notify_receiver.url
    )
    async with WeChatPayV3Client.open(config, retry=RetryPolicy(base_delay=0.01)) as opened:
        yield opened
