"""TLS to the sandbox: verified against its CA, mutual with the merchant certificate."""

from __future__ import annotations

import ssl

import httpx
import pytest

from payment.wechatpay import TlsVerificationError, TradeState, WeChatPayV2Client
from tests.fixtures.sandbox import SandboxHandle
from tests.integration.wechatpay.conftest import new_out_trade_no


async def test_orders_work_over_mutual_tls(tls_client: WeChatPayV2Client) -> None:
    out_trade_no = new_out_trade_no()
    order = await tls_client.unified_order_native(out_trade_no=out_trade_no, total_fee=1, body="x")
    assert order.code_url
    assert (await tls_client.order_query(out_trade_no)).trade_state is TradeState.NOTPAY


async def test_a_client_without_the_merchant_certificate_is_refused(
    sandbox: SandboxHandle,
) -> None:
    context = ssl.create_default_context(cafile=sandbox.ca_cert)
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
