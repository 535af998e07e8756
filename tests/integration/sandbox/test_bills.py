"""The running sandbox serves trade bills over the wire, v2 and v3 (bills reference §2, §3):
requests signed independently (v2) or with the merchant key (v3), answers read as bytes."""

from __future__ import annotations

import gzip
import hashlib
import uuid
from datetime import date, datetime, time, timedelta

import httpx
import pytest

from payment.wechatpay import WeChatPayV2Client
from payment.wechatpay.constants import BEIJING
from payment.wechatpay_v3 import WeChatPayV3Auth
from tests.fixtures.sandbox import SandboxControl, SandboxHandle
from tests.integration.sandbox import independent

DAY = date(2031, 5, 14)
"""A day nobody else trades on: the bill of a day is everything the merchant did that day."""


def beijing(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), BEIJING)


async def paid_orders(
    sandbox: SandboxHandle, control: SandboxControl, day: date, fees: list[int]
) -> list[str]:
    await control.set_clock(beijing(day, 12))
    numbers = []
    async with WeChatPayV2Client.open(sandbox.wechatpay_config()) as client:
        for fee in fees:
            out_trade_no = "bl" + uuid.uuid4().hex[:20]
            await client.unified_order_native(out_trade_no=out_trade_no, total_fee=fee, body="茶")
            numbers.append(out_trade_no)
    await control.pay_bulk(numbers, delivery="drop")
    return numbers


async def download_v2(sandbox: SandboxHandle, **fields: str) -> httpx.Response:
    body = independent.signed_request(
        {"appid": sandbox.appid, "mch_id": sandbox.mch_id, **fields}, sandbox.api_key
    )
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        return await http.post("/pay/downloadbill", content=body)


def v2_failure(response: httpx.Response) -> str:
    fields = independent.from_xml(response.content)
    assert (fields["return_code"], fields["error_code"]) == ("FAIL", "20002")
    return fields["return_msg"]


async def test_v2_serves_the_bill_from_10_the_next_day_as_text_or_gzip(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    numbers = await paid_orders(sandbox, sandbox_control, DAY, [1999, 1])
    bill_date = DAY.strftime("%Y%m%d")
    await sandbox_control.set_clock(beijing(DAY + timedelta(days=1), 9, 59, 58))
    assert v2_failure(await download_v2(sandbox, bill_date=bill_date)) == "Bill Creating"
    await sandbox_control.set_clock(beijing(DAY + timedelta(days=1), 10))
    plain = await download_v2(sandbox, bill_date=bill_date)
    assert plain.content.startswith(b"\xef\xbb\xbf\xe4\xba\xa4\xe6\x98\x93")  # BOM, "交易"
    text = plain.content.decode("utf-8-sig")
    assert all(f"`{n}," in text for n in numbers)
    assert text.endswith("`2,`20.00,`0.00,`0.00,`0.12000,`20.00,`0.00\r\n")
    zipped = await download_v2(sandbox, bill_date=bill_date, tar_type="GZIP")
    assert gzip.decompress(zipped.content) == plain.content
    success = await download_v2(sandbox, bill_date=bill_date, bill_type="SUCCESS")
    assert success.content.decode("utf-8-sig").count("\r\n") == 1 + 2 + 1 + 1
    assert v2_failure(await download_v2(sandbox, bill_date=bill_date, bill_type="REFUND")) == (
        "No Bill Exist"
    )


@pytest.mark.parametrize(
    ("fields", "return_msg"),
    [
        ({"bill_date": "20310513"}, "No Bill Exist"),
        ({"bill_date": "20310514", "bill_type": "EVERYTHING"}, "invalid bill_type"),
        ({"bill_date": "2031-05-14"}, "data format error"),
        ({"bill_date": "20310230"}, "data format error"),
        ({"bill_date": "20310514", "tar_type": "ZIP"}, "data format error"),
        ({"bill_date": "20310101"}, "data format error"),  # more than three months back
        ({}, "missing parameter"),
    ],
)
async def test_v2_failures_are_xml_with_error_code_20002(
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    fields: dict[str, str],
    return_msg: str,
) -> None:
    await sandbox_control.set_clock(beijing(DAY + timedelta(days=2), 11))
    assert v2_failure(await download_v2(sandbox, **fields)) == return_msg


async def test_v2_a_wrong_signature_is_sign_error(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    body = independent.signed_request(
        {"appid": sandbox.appid, "mch_id": sandbox.mch_id, "bill_date": "20310514"}, "x" * 32
    )
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.post("/pay/downloadbill", content=body)
    assert v2_failure(response) == "SIGN ERROR"


class V3:
    def __init__(self, sandbox: SandboxHandle, http: httpx.AsyncClient) -> None:
        config = sandbox.wechatpay_v3_config()
        self.auth = WeChatPayV3Auth(config.merchant, public_key_id=config.trust.public_key_id)
        self.http = http

    async def get(self, url: str) -> httpx.Response:
        return await self.http.get(url, headers=self.auth.headers("GET", url, b""))


async def test_v3_answers_hash_and_link_then_the_unsigned_bytes(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    day = DAY + timedelta(days=7)
    await paid_orders(sandbox, sandbox_control, day, [250])
    await sandbox_control.set_clock(beijing(day + timedelta(days=1), 10, 30))
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        v3 = V3(sandbox, http)
        url = f"/v3/bill/tradebill?bill_date={day.isoformat()}&bill_type=ALL&tar_type=GZIP"
        answer = await v3.get(url)
        assert answer.status_code == 200
        assert "Wechatpay-Signature" in answer.headers
        meta = answer.json()
        assert meta["hash_type"] == "SHA1"
        assert meta["download_url"].startswith(f"{sandbox.base_url}/v3/billdownload/file?token=")
        download = await v3.get(meta["download_url"])
        assert download.status_code == 200
        assert "Wechatpay-Signature" not in download.headers
        bill = gzip.decompress(download.content)
        assert hashlib.sha1(bill, usedforsecurity=False).hexdigest() == meta["hash_value"]
        assert bill.startswith(b"\xef\xbb\xbf")
        assert bill.endswith(b"`0.02000,`2.50,`0.00\r\n")
        plain = (await v3.get(url.removesuffix("&tar_type=GZIP"))).json()
        assert plain["hash_value"] == meta["hash_value"]
        assert (await v3.get(plain["download_url"])).content == bill
        await sandbox_control.set_clock(beijing(day + timedelta(days=1), 10, 31))
        expired = await v3.get(meta["download_url"])
        assert (expired.status_code, expired.json()["code"]) == (400, "INVALID_REQUEST")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("bill_date=2031-05-23", "STATEMENT_CREATING"),
        ("bill_date=2031-05-20", "NO_STATEMENT_EXIST"),
        ("bill_date=2031-01-01", "INVALID_REQUEST"),
        ("bill_date=20310520", "PARAM_ERROR"),
        ("bill_date=2031-05-20&bill_type=ANY", "PARAM_ERROR"),
        ("bill_type=ALL", "PARAM_ERROR"),
    ],
)
async def test_v3_refusals_are_400_with_their_codes(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, query: str, code: str
) -> None:
    await sandbox_control.set_clock(beijing(date(2031, 5, 24), 9))
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        answer = await V3(sandbox, http).get(f"/v3/bill/tradebill?{query}")
    assert (answer.status_code, answer.json()["code"]) == (400, code)


async def test_planted_differences_show_in_the_bill(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    day = DAY + timedelta(days=3)
    [changed] = await paid_orders(sandbox, sandbox_control, day, [100])
    stranger = "st" + uuid.uuid4().hex[:20]
    http = sandbox_control.http
    planted = await http.post(
        "/sandbox/bills/stranger", json={"out_trade_no": stranger, "total_fee": 777}
    )
    assert planted.status_code == 201
    assert (await http.put(f"/sandbox/bills/amounts/{changed}", json={"total_fee": 90})).is_success
    await sandbox_control.set_bills(layout="legacy")
    await sandbox_control.set_clock(beijing(day + timedelta(days=1), 10))
    text = (await download_v2(sandbox, bill_date=day.strftime("%Y%m%d"))).content.decode()
    lines = text.removeprefix("\ufeff").split("\r\n")
    assert lines[0].split(",")[12] == "总金额"
    assert f"`{changed}," in lines[1]
    assert ",`0.90," in lines[1]
    assert f"`{stranger}," in lines[2]
    assert ",`7.77," in lines[2]
    assert lines[4] == "`2,`8.67,`0.00,`0.00,`0.06000"
