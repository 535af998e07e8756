"""Platform certificates: downloaded, decrypted with the APIv3 key, the answer verified with the
certificates it brings; refreshed in the background, never by a verification."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from payment.wechatpay import errors as wx
from payment.wechatpay_v3 import PlatformTrust
from payment.wechatpay_v3.aead import encrypt
from tests.unit.wechatpay_v3 import vectors as v
from tests.unit.wechatpay_v3.fake_wechat import APIV3_KEY, error, merchant_client, signed

CERT_MODE = PlatformTrust(apiv3_key=SecretStr(APIV3_KEY), platform_certificates=True)


def listing(key: str = APIV3_KEY, serial: str = v.APPENDIX_A_SERIAL) -> dict[str, Any]:
    return {
        "data": [
            {
                "serial_no": serial,
                "effective_time": "2021-04-27T16:55:23+08:00",
                "expire_time": "2031-04-25T16:55:23+08:00",
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": "a1b2c3d4e5f6",
                    "associated_data": "certificate",
                    "ciphertext": encrypt(
                        key.encode(), "a1b2c3d4e5f6", v.APPENDIX_A_CERTIFICATE, "certificate"
                    ),
                },
            }
        ]
    }


class Platform:
    """/v3/certificates plus one other API, counting what is asked."""

    def __init__(self, certificates: httpx.Response) -> None:
        self.certificates = certificates
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path == "/v3/certificates":
            return self.certificates
        return signed(204, serial=v.APPENDIX_A_SERIAL)


async def test_the_first_download_fills_the_store_and_answers_verify_with_it() -> None:
    platform = Platform(signed(200, listing(), serial=v.APPENDIX_A_SERIAL))
    async with merchant_client(platform, trust=CERT_MODE) as client:
        assert client.certificates is not None
        assert client.certificates.serials == [v.APPENDIX_A_SERIAL]
        await client.close_order("o1")
    assert platform.paths == ["/v3/certificates", "/v3/pay/transactions/out-trade-no/o1/close"]


@pytest.mark.parametrize(
    "answer",
    [
        signed(200, listing(key="A" * 32), serial=v.APPENDIX_A_SERIAL),
        signed(200, listing(serial="D7CE59D1F522D702"), serial=v.APPENDIX_A_SERIAL),
        signed(200, listing(), serial="D7CE59D1F522D702"),
        signed(200, {"data": []}, serial=v.APPENDIX_A_SERIAL),
        error(
            404, "RESOURCE_NOT_EXISTS", "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥"
        ),
    ],
    ids=[
        "wrong APIv3 key",
        "serial mismatch",
        "signed by another serial",
        "empty",
        "public-key merchant",
    ],
)
async def test_a_bad_download_installs_nothing_and_nothing_verifies(answer: httpx.Response) -> None:
    platform = Platform(answer)
    async with merchant_client(platform, trust=CERT_MODE) as client:
        assert client.certificates is not None
        assert client.certificates.serials == []
        with pytest.raises(wx.ResponseSignatureError) as raised:
            await client.close_order("o1")
    assert raised.value.err_code == "RESPONSE_SERIAL"
    # The failed verification did not fetch certificates: only the one download at start.
    assert platform.paths.count("/v3/certificates") == 1


async def test_the_refresher_downloads_again_on_its_schedule() -> None:
    platform = Platform(signed(200, listing(), serial=v.APPENDIX_A_SERIAL))
    trust = PlatformTrust(
        apiv3_key=SecretStr(APIV3_KEY), platform_certificates=True, certificate_refresh_seconds=0.01
    )
    async with merchant_client(platform, trust=trust) as client:
        assert client.refresher is not None
        for _ in range(500):
            if client.refresher.refreshes >= 3:
                break
            await asyncio.sleep(0.01)
        assert client.refresher.refreshes >= 3
    downloads = platform.paths.count("/v3/certificates")
    await asyncio.sleep(0.05)
    assert platform.paths.count("/v3/certificates") == downloads  # stopped with the block
