"""wechatpay-go v0.2.21, the official Go SDK, used as it is against the sandbox over HTTPS
(tests/sdk/go: an http.Client whose transport sends api.mch.weixin.qq.com to the sandbox and
trusts its CA). One run of the program drives every flow; each test here checks one flow's
observations against what the sandbox itself reports. Every answer and notify the program
reports was accepted by the SDK's own validator, verifier and notify.Handler."""

from __future__ import annotations

import functools
import json
import subprocess
from typing import Any

import httpx
import pytest

from devstack.sdks import wechatpay_go_program
from payment.wechatpay_v3 import MerchantKey, load_private_key
from payment.wechatpay_v3.auth import WeChatPayV3Auth
from tests.fixtures.sandbox import SandboxHandle
from tests.sdk.conftest import reset

pytestmark = pytest.mark.integration

VECTORS: list[dict[str, Any]] = [
    {
        "method": "POST",
        "url": "/v3/pay/transactions/native",
        "timestamp": 1554208460,
        "nonce": "593BEC0C930BF1AFEB40B4A08C8FB242",
        "body": '{"appid":"wxd678efh567hg6787","description":"腾讯充值中心-QQ会员充值"}',
    },
    {
        "method": "GET",
        "url": "/v3/pay/transactions/out-trade-no/A%2FB?mchid=1230000109",
        "timestamp": 1700000000,
        "nonce": "n",
        "body": "",
    },
    {"method": "GET", "url": "/v3/certificates", "timestamp": 0, "nonce": " ", "body": ""},
]


@pytest.fixture(scope="module")
def go(sdk_sandbox: SandboxHandle) -> dict[str, dict[str, Any]]:
    reset(sdk_sandbox)
    files = sdk_sandbox.v3_files
    config = {
        "api": sdk_sandbox.tls_base_url,
        "control": sdk_sandbox.base_url,
        "ca": str(sdk_sandbox.ca_cert),
        "appid": sdk_sandbox.appid,
        "mchid": sdk_sandbox.mch_id,
        "merchant_serial": files.read_serial(),
        "merchant_key": str(files.merchant_key),
        "public_key": str(files.public_key),
        "public_key_id": files.read_public_key_id(),
        "apiv3_key": sdk_sandbox.v3_api_key,
        "vectors": VECTORS,
    }
    result = subprocess.run(
        [str(wechatpay_go_program())],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    flows: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return flows


def flow(go: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    observed = go.get(name)
    assert observed is not None, f"the program ran no flow {name!r}: {sorted(go)}"
    assert "error" not in observed, observed
    return observed


def sandbox_order(sandbox: SandboxHandle, out_trade_no: str) -> dict[str, Any]:
    response = httpx.get(f"{sandbox.base_url}/sandbox/orders/{out_trade_no}", timeout=10)
    response.raise_for_status()
    order: dict[str, Any] = response.json()
    return order


def platform(sandbox: SandboxHandle) -> dict[str, Any]:
    response = httpx.get(f"{sandbox.base_url}/sandbox/v3", timeout=10)
    response.raise_for_status()
    described: dict[str, Any] = response.json()
    return described


def test_our_authorization_header_equals_wechatpay_go_signer(
    go: dict[str, dict[str, Any]], sdk_sandbox: SandboxHandle
) -> None:
    files = sdk_sandbox.v3_files
    merchant = MerchantKey(
        sdk_sandbox.mch_id, files.read_serial(), load_private_key(files.merchant_key)
    )
    ours = []
    for vector in VECTORS:
        timestamp, nonce = int(vector["timestamp"]), str(vector["nonce"])
        auth = WeChatPayV3Auth(
            merchant, clock=functools.partial(int, timestamp), nonce=functools.partial(str, nonce)
        )
        ours.append(auth.authorization(vector["method"], vector["url"], vector["body"].encode()))
    assert flow(go, "authorization")["headers"] == ours


def test_native_prepay_returns_the_sandbox_code_url(
    go: dict[str, dict[str, Any]], sdk_sandbox: SandboxHandle
) -> None:
    prepay = flow(go, "prepay")
    order = sandbox_order(sdk_sandbox, prepay["out_trade_no"])
    assert prepay["code_url"] == order["code_url"]
    assert prepay["code_url"].startswith("weixin://")


def test_query_of_an_unpaid_order_carries_its_amount(go: dict[str, dict[str, Any]]) -> None:
    unpaid = flow(go, "query_unpaid")
    assert unpaid["out_trade_no"] == flow(go, "prepay")["out_trade_no"]
    assert unpaid["trade_state"] == "NOTPAY"
    assert (unpaid["amount_total"], unpaid["amount_currency"]) == (101, "CNY")


def test_notify_handler_verifies_and_decrypts_the_payment_notify(
    go: dict[str, dict[str, Any]], sdk_sandbox: SandboxHandle
) -> None:
    notified = flow(go, "payment_notify")
    content = notified["content"]
    order = sandbox_order(sdk_sandbox, content["out_trade_no"])
    assert notified["serial"] == sdk_sandbox.v3_files.read_public_key_id()
    assert notified["signature_type"] == "WECHATPAY2-SHA256-RSA2048"
    assert (notified["event_type"], notified["resource_type"]) == (
        "TRANSACTION.SUCCESS",
        "encrypt-resource",
    )
    assert content["trade_state"] == "SUCCESS"
    assert content["transaction_id"] == order["transaction_id"]
    assert content["amount"]["total"] == order["total_fee"] == 101


def test_query_by_out_trade_no_after_payment(
    go: dict[str, dict[str, Any]], sdk_sandbox: SandboxHandle
) -> None:
    paid = flow(go, "query_by_out_trade_no")
    order = sandbox_order(sdk_sandbox, paid["out_trade_no"])
    assert paid["trade_state"] == "SUCCESS"
    assert paid["transaction_id"] == order["transaction_id"]
    assert paid["answer_serial"] == sdk_sandbox.v3_files.read_public_key_id()


def test_query_by_transaction_id(go: dict[str, dict[str, Any]]) -> None:
    by_id = flow(go, "query_by_id")
    assert by_id["transaction_id"] == flow(go, "payment_notify")["content"]["transaction_id"]
    assert by_id["out_trade_no"] == flow(go, "prepay")["out_trade_no"]
    assert by_id["trade_state"] == "SUCCESS"


def test_refunddomestic_create(go: dict[str, dict[str, Any]], sdk_sandbox: SandboxHandle) -> None:
    refund = flow(go, "refund_create")
    order = sandbox_order(sdk_sandbox, flow(go, "prepay")["out_trade_no"])
    [recorded] = order["refunds"]
    assert refund["out_refund_no"] == recorded["out_refund_no"]
    assert refund["refund_id"] == recorded["refund_id"]
    assert refund["status"] in {"PROCESSING", "SUCCESS"}
    assert (refund["amount_refund"], refund["amount_total"]) == (40, 101)


def test_notify_handler_verifies_and_decrypts_the_refund_notify(
    go: dict[str, dict[str, Any]],
) -> None:
    notified = flow(go, "refund_notify")
    content = notified["content"]
    assert notified["event_type"] == "REFUND.SUCCESS"
    assert content["out_refund_no"] == flow(go, "refund_create")["out_refund_no"]
    assert content["refund_status"] == "SUCCESS"
    assert content["amount"]["refund"] == 40


def test_refunddomestic_query_by_out_refund_no(
    go: dict[str, dict[str, Any]], sdk_sandbox: SandboxHandle
) -> None:
    queried = flow(go, "refund_query")
    order = sandbox_order(sdk_sandbox, flow(go, "prepay")["out_trade_no"])
    assert queried["refund_id"] == flow(go, "refund_create")["refund_id"]
    assert queried["status"] == order["refunds"][0]["status"] == "SUCCESS"
    assert order["refunded_fee"] == queried["amount_refund"] == 40


def test_close_order(go: dict[str, dict[str, Any]]) -> None:
    closed = flow(go, "close")
    assert (closed["status"], closed["trade_state"]) == (204, "CLOSED")


def test_certificate_downloader_holds_what_the_sandbox_lists(
    go: dict[str, dict[str, Any]],
) -> None:
    downloaded = flow(go, "certificate_download")
    assert downloaded["held"] == downloaded["listed"] == [downloaded["signing"]]
    assert downloaded["query"]["answer_serial"] == downloaded["signing"]
    assert downloaded["query"]["trade_state"] == "NOTPAY"


def test_notify_verified_with_the_downloaded_certificate(go: dict[str, dict[str, Any]]) -> None:
    notified = flow(go, "certificate_notify")
    assert notified["serial"] == flow(go, "certificate_download")["signing"]
    assert notified["content"]["trade_state"] == "SUCCESS"


def test_auto_refresh_follows_a_rotation(go: dict[str, dict[str, Any]]) -> None:
    rotation = flow(go, "rotation")
    first = flow(go, "certificate_download")["signing"]
    published, signing, retired = rotation["published"], rotation["signing"], rotation["retired"]
    [newest] = sorted(set(published["listed"]) - {first})
    assert published["held"] == sorted([first, newest])
    assert published["signing"] == published["answer_serial"] == published["notify_serial"] == first
    assert signing["signing"] == signing["answer_serial"] == signing["notify_serial"] == newest
    assert retired["held"] == retired["listed"] == [newest]
    assert retired["answer_serial"] == retired["notify_serial"] == newest


def test_switch_mode_signs_each_answer_with_the_key_the_client_named(
    go: dict[str, dict[str, Any]], sdk_sandbox: SandboxHandle
) -> None:
    public_key_id = sdk_sandbox.v3_files.read_public_key_id()
    by_public_key = flow(go, "switch_public_key_client")
    by_certificate = flow(go, "switch_certificate_client")
    assert by_public_key["answer_serials"] == [public_key_id] * 4
    assert by_certificate["answer_serials"] == [by_certificate["signing"]] * 4


def test_switch_mode_notifies_verified_by_the_combined_verifier(
    go: dict[str, dict[str, Any]], sdk_sandbox: SandboxHandle
) -> None:
    serials = flow(go, "switch_notifies")["serials"]
    certificate = platform(sdk_sandbox)["signing_certificate_serial"]
    assert len(serials) == 4
    assert set(serials) == {sdk_sandbox.v3_files.read_public_key_id(), certificate}
