"""TLS to the sandbox: verified against its CA; mutual with the merchant certificate where
WeChat asks for one (/secapi/)."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from payment.wechatpay import (
    ConfigurationError,
    TlsVerificationError,
    TradeState,
    WeChatPayV2Client,
)
from sandbox.certificates import ensure_tls_files
from tests.fixtures.sandbox import SandboxControl, SandboxHandle
from tests.integration.wechatpay.conftest import new_out_trade_no


async def test_orders_work_over_mutual_tls(tls_client: WeChatPayV2Client) -> None:
    out_trade_no = new_out_trade_no()
    order = await tls_client.unified_order_native(out_trade_no=out_trade_no, total_fee=1, body="x")
    assert order.code_url
    assert (await tls_client.order_query(out_trade_no)).trade_state is TradeState.NOTPAY


async def test_only_secapi_paths_need_the_merchant_certificate(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    """WeChat asks for a client certificate on /secapi/ only (reference Corrections): without
    one, orders work over HTTPS and a refund is NOAUTH."""
    config = sandbox.wechatpay_config(tls=True, client_cert_path=None, client_key_path=None)
    async with WeChatPayV2Client.open(config) as client:
        out_trade_no = new_out_trade_no()
        await client.unified_order_native(out_trade_no=out_trade_no, total_fee=3, body="x")
        await sandbox_control.pay(out_trade_no, delivery="drop")
        assert (await client.order_query(out_trade_no)).trade_state is TradeState.SUCCESS
        with pytest.raises(ConfigurationError) as raised:
            await client.refund(
                out_trade_no=out_trade_no,
                out_refund_no="r-" + out_trade_no,
                total_fee=3,
                refund_fee=3,
            )
    assert raised.value.err_code == "NOAUTH"


async def test_a_certificate_from_another_ca_is_refused_in_the_handshake(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    foreign = ensure_tls_files(tmp_path, host="127.0.0.1", mch_id=sandbox.mch_id)
    context = ssl.create_default_context(cafile=sandbox.ca_cert)
    context.load_cert_chain(foreign.client_cert, foreign.client_key)
    async with httpx.AsyncClient(verify=context) as http:
        with pytest.raises(httpx.TransportError):
            await http.post(sandbox.tls_base_url + "/pay/orderquery", content=b"<xml/>")


async def test_a_client_that_does_not_trust_the_sandbox_ca_does_not_talk_to_it(
    sandbox: SandboxHandle,
) -> None:
    config = sandbox.wechatpay_config(tls=True, ca_bundle_path=None)
    async with WeChatPayV2Client.open(config) as client:
        with pytest.raises(TlsVerificationError):
            await client.order_query(new_out_trade_no())


async def test_the_certificate_files_are_where_the_readme_says_with_private_keys_private(
    sandbox: SandboxHandle,
) -> None:
    for key in (sandbox.client_key, sandbox.state_dir / "server.key"):
        assert key.stat().st_mode & 0o077 == 0
    assert sandbox.ca_cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
