"""Both key modes of reference §2.4 against the sandbox — platform certificates (downloaded,
decrypted with the APIv3 key, refreshed in the background) and the WeChat Pay public key — and
the switch between them, when answers come signed either way."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from payment.wechatpay import RetryPolicy
from payment.wechatpay import errors as wx
from payment.wechatpay_v3 import WeChatPayV3Client
from tests.fixtures.sandbox import SandboxControl, SandboxHandle
from tests.integration.wechatpay_v3.conftest import new_out_trade_no

ONCE = RetryPolicy(max_attempts=1)


async def _calls_until_refused(client: WeChatPayV3Client, calls: int = 4) -> list[str]:
    """The err_code of each of ``calls`` queries of an unknown order ("" when it verified and
    said ORDERNOTEXIST, as it should)."""
    outcomes = []
    for _ in range(calls):
        try:
            await client.order_query(new_out_trade_no())
        except wx.OrderNotFoundError:
            outcomes.append("")
        except wx.ResponseSignatureError as error:
            outcomes.append(error.err_code)
    return outcomes


async def test_certificate_mode_downloads_the_platform_certificate(
    certificate_client: WeChatPayV3Client, sandbox_control: SandboxControl
) -> None:
    described = await sandbox_control.set_v3()
    assert certificate_client.certificates is not None
    assert certificate_client.certificates.serials == [described["signing_certificate_serial"]]
    assert await _calls_until_refused(certificate_client) == ["", "", "", ""]


async def test_a_public_key_merchant_has_no_certificates_to_download(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    config = sandbox.wechatpay_v3_config(public_key=False, certificates=True)
    async with WeChatPayV3Client.open(config, retry=ONCE) as client:
        assert client.certificates is not None
        assert client.certificates.serials == []  # /v3/certificates: 404 RESOURCE_NOT_EXISTS
        assert await _calls_until_refused(client, 1) == ["RESPONSE_SERIAL"]


async def test_during_a_switch_every_answer_is_signed_with_the_key_the_request_named(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    """Reference Corrections: a client holding only the public key names it in
    ``Wechatpay-Serial`` and gets public-key answers; one holding only certificates names none
    and gets certificate answers. Only notifies come signed with either (notify tests)."""
    await sandbox_control.set_v3(key_mode="both")
    outcomes = {}
    for name, sources in {
        "both": {"public_key": True, "certificates": True},
        "public key only": {"public_key": True, "certificates": False},
        "certificates only": {"public_key": False, "certificates": True},
    }.items():
        config = sandbox.wechatpay_v3_config(**sources)
        async with WeChatPayV3Client.open(config, retry=ONCE) as client:
            outcomes[name] = await _calls_until_refused(client)
    assert outcomes == {
        "both": ["", "", "", ""],
        "public key only": ["", "", "", ""],
        "certificates only": ["", "", "", ""],
    }


async def test_a_rotation_publishes_first_so_the_refresh_brings_the_new_certificate_in_time(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    """Reference Corrections: the new certificate is listed days before it signs. The client's
    background refresh picks it up while the old one still signs; when signing switches, every
    answer verifies at once."""
    await sandbox_control.set_v3(key_mode="certificate")
    config = sandbox.wechatpay_v3_config(public_key=False, certificates=True)
    trust = dataclasses.replace(config.trust, certificate_refresh_seconds=0.3)
    config = dataclasses.replace(config, trust=trust)
    async with WeChatPayV3Client.open(config, retry=ONCE) as client:
        assert client.refresher is not None
        assert client.certificates is not None
        refreshes = client.refresher.refreshes
        published = await sandbox_control.rotate_platform_certificate()
        new_serial = published["newest_certificate_serial"]
        assert published["signing_certificate_serial"] != new_serial
        assert await _calls_until_refused(client, 1) == [""]  # the old one still signs
        for _ in range(200):
            if client.refresher.refreshes > refreshes + 1:
                break
            await asyncio.sleep(0.02)
        assert new_serial in client.certificates.serials
        assert len(client.certificates.serials) == 2
        switched = await sandbox_control.start_signing_with_newest_certificate()
        assert switched["signing_certificate_serial"] == new_serial
        assert await _calls_until_refused(client, 2) == ["", ""]


async def test_a_wrong_apiv3_key_decrypts_no_certificate(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    await sandbox_control.set_v3(key_mode="certificate")
    config = sandbox.wechatpay_v3_config(public_key=False, certificates=True)
    trust = dataclasses.replace(config.trust, apiv3_key="0" * 32)  # type: ignore[arg-type]
    async with WeChatPayV3Client.open(dataclasses.replace(config, trust=trust), retry=ONCE) as c:
        assert c.certificates is not None
        assert c.certificates.serials == []
        with pytest.raises(wx.ResponseSignatureError):
            await c.order_query(new_out_trade_no())
