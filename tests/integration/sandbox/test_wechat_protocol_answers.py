"""How the sandbox answers requests WeChat would refuse (return_code=FAIL or a signed err_code)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.fixtures.sandbox import SandboxHandle
from tests.integration.sandbox import independent


def order_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "body": "x",
        "out_trade_no": "pr" + uuid.uuid4().hex[:20],
        "total_fee": "1",
        "spbill_create_ip": "127.0.0.1",
        "notify_url": "http://127.0.0.1:9/notify",
        "trade_type": "NATIVE",
        "product_id": "p1",
    }
    return {name: value for name, value in (fields | overrides).items() if value}


async def post(
    sandbox: SandboxHandle, body: bytes, path: str = "/pay/unifiedorder"
) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.post(path, content=body)
    assert response.status_code == 200
    return independent.from_xml(response.content)


def signed(sandbox: SandboxHandle, fields: dict[str, str], **identity: str) -> bytes:
    ids = {"appid": sandbox.appid, "mch_id": sandbox.mch_id} | identity
    return independent.signed_request(ids | fields, sandbox.api_key)


@pytest.mark.parametrize(
    ("body", "return_msg"),
    [
        pytest.param(b"", "post数据为空", id="empty"),
        pytest.param(b"<xml><appid>wx", "XML格式错误", id="truncated"),
        pytest.param(b'{"appid": "wx"}', "XML格式错误", id="json"),
        pytest.param(
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><appid>&e;</appid></xml>',
            "XML格式错误",
            id="xxe",
        ),
        pytest.param(
            "<xml><appid>微信</appid></xml>".encode("gbk"), "编码格式错误，请使用UTF-8", id="gbk"
        ),
        pytest.param(b"<xml><appid>wx1</appid></xml>", "缺少参数mch_id", id="no-mch-id"),
    ],
)
async def test_unreadable_requests_are_answered_return_code_fail(
    sandbox: SandboxHandle, body: bytes, return_msg: str
) -> None:
    assert await post(sandbox, body) == {"return_code": "FAIL", "return_msg": return_msg}


async def test_an_oversized_body_is_not_read_as_xml(sandbox: SandboxHandle) -> None:
    answer = await post(sandbox, b"<xml><a>" + b"x" * 300_000 + b"</a></xml>")
    assert answer == {"return_code": "FAIL", "return_msg": "XML格式错误"}


async def test_get_is_refused(sandbox: SandboxHandle) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        answer = independent.from_xml((await http.get("/pay/orderquery")).content)
    assert answer == {"return_code": "FAIL", "return_msg": "请使用post方法"}


async def test_an_unknown_merchant_and_a_foreign_appid_are_refused(sandbox: SandboxHandle) -> None:
    unknown = await post(sandbox, signed(sandbox, order_fields(), mch_id="1900000000"))
    assert unknown == {"return_code": "FAIL", "return_msg": "mch_id不存在"}
    foreign = await post(sandbox, signed(sandbox, order_fields(), appid="wx0000000000000000"))
    assert foreign == {"return_code": "FAIL", "return_msg": "appid和mch_id不匹配"}


async def test_an_unknown_sign_type_is_refused(sandbox: SandboxHandle) -> None:
    fields = {
        "appid": sandbox.appid,
        "mch_id": sandbox.mch_id,
        "nonce_str": "n",
        "sign": "00",
        "sign_type": "SHA1",
        **order_fields(),
    }
    answer = await post(sandbox, independent.to_xml(fields))
    assert answer["return_code"] == "FAIL"


@pytest.mark.parametrize(
    "missing",
    [
        "body",
        "out_trade_no",
        "total_fee",
        "spbill_create_ip",
        "notify_url",
        "trade_type",
        "product_id",
    ],
)
async def test_each_missing_parameter_is_named(sandbox: SandboxHandle, missing: str) -> None:
    answer = await post(sandbox, signed(sandbox, order_fields(**{missing: ""})))
    assert answer == {"return_code": "FAIL", "return_msg": f"缺少参数{missing}"}


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"out_trade_no": "short"}, id="out-trade-no-too-short"),
        pytest.param({"out_trade_no": "has space 123"}, id="out-trade-no-bad-character"),
        pytest.param({"total_fee": "0"}, id="zero-fen"),
        pytest.param({"total_fee": "1.00"}, id="yuan-not-fen"),
        pytest.param({"body": "长" * 43}, id="body-over-128-bytes"),
        pytest.param({"spbill_create_ip": "localhost"}, id="ip-not-an-ip"),
        pytest.param({"notify_url": "http://shop/notify?order=1"}, id="notify-url-with-query"),
        pytest.param({"notify_url": "notify"}, id="notify-url-relative"),
        pytest.param({"trade_type": "JSAPI"}, id="not-native"),
        pytest.param({"fee_type": "USD"}, id="not-cny"),
        pytest.param({"time_expire": "20200101000000"}, id="time-expire-past"),
        pytest.param({"time_expire": "tomorrow"}, id="time-expire-format"),
    ],
)
async def test_bad_parameters_are_param_error(
    sandbox: SandboxHandle, overrides: dict[str, str]
) -> None:
    answer = await post(sandbox, signed(sandbox, order_fields(**overrides)))
    assert (answer["result_code"], answer["err_code"]) == ("FAIL", "PARAM_ERROR")
    assert answer["sign"] == independent.signature(answer, sandbox.api_key, "MD5")


async def test_queries_name_what_they_look_for(sandbox: SandboxHandle) -> None:
    answer = await post(sandbox, signed(sandbox, {}), "/pay/orderquery")
    assert answer["return_code"] == "FAIL"
    assert answer["return_msg"].startswith("缺少参数")
