"""Everything the sandbox signs verifies with an independent implementation of §1.2."""

from __future__ import annotations

import ssl
import uuid

import httpx
import pytest

from tests.fixtures.sandbox import NotifyReceiver, SandboxControl, SandboxHandle
from tests.integration.sandbox import independent

SIGN_TYPES = ["MD5", "HMAC-SHA256"]


async def call(
    sandbox: SandboxHandle, path: str, fields: dict[str, str], sign_type: str
) -> dict[str, str]:
    identity = {"appid": sandbox.appid, "mch_id": sandbox.mch_id}
    body = independent.signed_request(identity | fields, sandbox.api_key, sign_type)
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.post(path, content=body)
    assert response.status_code == 200
    return independent.from_xml(response.content)


def order_fields(out_trade_no: str, notify_url: str = "http://127.0.0.1:9/n") -> dict[str, str]:
    return {
        "body": "独立验证",
        "out_trade_no": out_trade_no,
        "total_fee": "520",
        "spbill_create_ip": "10.0.0.1",
        "notify_url": notify_url,
        "trade_type": "NATIVE",
        "product_id": "sku-1",
    }


def assert_signed(answer: dict[str, str], key: str, sign_type: str) -> None:
    assert answer["return_code"] == "SUCCESS"
    assert len(answer["sign"]) == (64 if sign_type == "HMAC-SHA256" else 32)
    assert answer["sign"] == independent.signature(answer, key, sign_type)


@pytest.mark.parametrize("sign_type", SIGN_TYPES)
async def test_api_answers_are_signed_with_the_requests_sign_type(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, sign_type: str
) -> None:
    out_trade_no = "ind" + uuid.uuid4().hex[:20]
    answers = [await call(sandbox, "/pay/unifiedorder", order_fields(out_trade_no), sign_type)]
    await sandbox_control.pay(out_trade_no, delivery="drop")
    answers.append(
        await call(sandbox, "/pay/orderquery", {"out_trade_no": out_trade_no}, sign_type)
    )
    answers.append(
        await call(sandbox, "/pay/closeorder", {"out_trade_no": out_trade_no}, sign_type)
    )
    answers.append(
        await call(sandbox, "/pay/refundquery", {"out_trade_no": out_trade_no}, sign_type)
    )
    for answer in answers:
        assert_signed(answer, sandbox.api_key, sign_type)
    assert answers[0]["result_code"] == "SUCCESS"
    assert answers[1]["trade_state"] == "SUCCESS"
    assert (answers[2]["err_code"], answers[3]["err_code"]) == ("ORDERPAID", "REFUNDNOTEXIST")


async def test_the_request_signature_is_checked_like_wechat_does(sandbox: SandboxHandle) -> None:
    fields = order_fields("ind" + uuid.uuid4().hex[:20])
    answer = await call(sandbox, "/pay/unifiedorder", fields | {"sign_type": "MD5"}, "MD5")
    assert answer["result_code"] == "SUCCESS"
    forged = independent.signed_request(
        {"appid": sandbox.appid, "mch_id": sandbox.mch_id, **fields}, "x" * 32
    )
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        refused = independent.from_xml(
            (await http.post("/pay/unifiedorder", content=forged)).content
        )
    assert refused == {"return_code": "FAIL", "return_msg": "签名错误"}


@pytest.mark.parametrize(
    ("sign_type", "mode", "declared"),
    [
        ("MD5", {}, None),
        ("HMAC-SHA256", {}, "HMAC-SHA256"),
        ("MD5", {"omit_sign_type": True}, None),
        ("HMAC-SHA256", {"omit_sign_type": True}, None),
    ],
)
async def test_payment_notifies_are_signed_with_the_orders_sign_type(
    sandbox: SandboxHandle,
    sandbox_control: SandboxControl,
    notify_receiver: NotifyReceiver,
    sign_type: str,
    mode: dict[str, bool],
    declared: str | None,
) -> None:
    out_trade_no = "ind" + uuid.uuid4().hex[:20]
    await call(
        sandbox, "/pay/unifiedorder", order_fields(out_trade_no, notify_receiver.url), sign_type
    )
    await sandbox_control.pay(out_trade_no, **mode)
    [body] = await notify_receiver.wait_for(1)
    notify = independent.from_xml(body)
    assert notify.get("sign_type") == declared
    signed_with = "HMAC-SHA256" if mode else sign_type
    assert notify["sign"] == independent.signature(notify, sandbox.api_key, signed_with)
    assert (notify["out_trade_no"], notify["total_fee"], notify["result_code"]) == (
        out_trade_no,
        "520",
        "SUCCESS",
    )
    assert len(notify["transaction_id"]) == 28
    assert len(notify["time_end"]) == 14


async def test_the_refund_notify_decrypts_with_the_md5_of_the_key(
    sandbox: SandboxHandle, sandbox_control: SandboxControl, notify_receiver: NotifyReceiver
) -> None:
    out_trade_no = "ind" + uuid.uuid4().hex[:20]
    await call(sandbox, "/pay/unifiedorder", order_fields(out_trade_no), "MD5")
    await sandbox_control.pay(out_trade_no, delivery="drop")
    context = ssl.create_default_context(cafile=sandbox.ca_cert)
    context.load_cert_chain(sandbox.client_cert, sandbox.client_key)
    refund = {
        "appid": sandbox.appid,
        "mch_id": sandbox.mch_id,
        "out_trade_no": out_trade_no,
        "out_refund_no": "R" + out_trade_no,
        "total_fee": "520",
        "refund_fee": "20",
        "notify_url": notify_receiver.url,
    }
    async with httpx.AsyncClient(verify=context) as http:
        response = await http.post(
            sandbox.tls_base_url + "/secapi/pay/refund",
            content=independent.signed_request(refund, sandbox.api_key),
        )
    assert_signed(independent.from_xml(response.content), sandbox.api_key, "MD5")
    [body] = await notify_receiver.wait_for(1)
    outer = independent.from_xml(body)
    assert "sign" not in outer
    inner = independent.decrypt_req_info(outer["req_info"], sandbox.api_key)
    assert (inner["out_refund_no"], inner["refund_fee"], inner["refund_status"]) == (
        "R" + out_trade_no,
        "20",
        "SUCCESS",
    )
