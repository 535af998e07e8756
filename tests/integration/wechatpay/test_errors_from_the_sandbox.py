"""Protocol errors as the client meets them from the sandbox, in both of WeChat's shapes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from payment.wechatpay import (
    CallerError,
    ConfigurationError,
    SignType,
    WeChatPayError,
    WeChatPayV2Client,
    xml_codec,
)
from payment.wechatpay.exchange import check_answer
from payment.wechatpay.signing import sign
from tests.fixtures.sandbox import SandboxHandle
from tests.integration.wechatpay.conftest import new_out_trade_no


@pytest.mark.parametrize(
    ("overrides", "error", "err_code"),
    [
        ({"api_key": SecretStr("wrongKey" * 4)}, CallerError, "SIGNERROR"),
        ({"mch_id": "1900000000"}, ConfigurationError, "MCHID_NOT_EXIST"),
        ({"appid": "wx0000000000000000"}, ConfigurationError, "APPID_MCHID_NOT_MATCH"),
    ],
)
async def test_a_misconfigured_merchant_gets_a_caller_error(
    sandbox: SandboxHandle, overrides: dict[str, Any], error: type[WeChatPayError], err_code: str
) -> None:
    async with WeChatPayV2Client.open(sandbox.wechatpay_config(**overrides)) as client:
        with pytest.raises(error) as raised:
            await client.unified_order_native(
                out_trade_no=new_out_trade_no(), total_fee=1, body="x"
            )
    assert raised.value.err_code == err_code


async def post_signed(sandbox: SandboxHandle, path: str, fields: dict[str, str]) -> dict[str, str]:
    message = {"appid": sandbox.appid, "mch_id": sandbox.mch_id, "nonce_str": "n1", **fields}
    message["sign"] = sign(message, sandbox.api_key, SignType.MD5)
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.post(path, content=xml_codec.encode(message))
    return xml_codec.parse(response.content)


def interpret(sandbox: SandboxHandle, answer: dict[str, str]) -> WeChatPayError:
    with pytest.raises(WeChatPayError) as raised:
        check_answer(
            answer, sandbox.api_key, SignType.MD5, appid=sandbox.appid, mch_id=sandbox.mch_id
        )
    return raised.value


async def test_missing_parameters_are_lack_params(sandbox: SandboxHandle) -> None:
    answer = await post_signed(sandbox, "/pay/unifiedorder", {"body": "x"})
    error = interpret(sandbox, answer)
    assert (type(error), error.err_code) == (CallerError, "LACK_PARAMS")


async def test_malformed_xml_is_xml_format_error(sandbox: SandboxHandle) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.post("/pay/orderquery", content=b"<xml><appid>wx")
    error = interpret(sandbox, xml_codec.parse(response.content))
    assert (type(error), error.err_code) == (CallerError, "XML_FORMAT_ERROR")


async def test_a_bad_parameter_is_param_error(sandbox: SandboxHandle) -> None:
    fields = {
        "body": "x",
        "out_trade_no": "bad no!",
        "total_fee": "1",
        "trade_type": "NATIVE",
        "spbill_create_ip": "127.0.0.1",
        "notify_url": "http://127.0.0.1/n",
        "product_id": "p",
    }
    error = interpret(sandbox, await post_signed(sandbox, "/pay/unifiedorder", fields))
    assert (type(error), error.err_code) == (CallerError, "PARAM_ERROR")
