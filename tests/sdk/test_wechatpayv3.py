"""wechatpayv3 2.0.4 (PyPI) used as it is against the sandbox over HTTPS, in its own venv
(tests/sdk/wechatpayv3_flows.py runs there): every API in both key modes ("pk": the WeChat
Pay public key, "cert": downloaded platform certificates), its ``callback`` decrypting payment
and refund notifies, a certificate rotation and the switch mode. The SDK raises on any answer
whose signature it cannot verify, so each answer below passed its own verification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.sandbox import SandboxHandle
from tests.sdk.conftest import Flows, flow, reset, run_python_flows

pytestmark = pytest.mark.integration

FLOWS = Path(__file__).with_name("wechatpayv3_flows.py")
MODES = ["pk", "cert"]


@pytest.fixture(scope="module")
def v3(sdk_sandbox: SandboxHandle) -> Flows:
    reset(sdk_sandbox)
    files = sdk_sandbox.v3_files
    config = {
        "api": sdk_sandbox.tls_base_url,
        "control": sdk_sandbox.base_url,
        "appid": sdk_sandbox.appid,
        "mchid": sdk_sandbox.mch_id,
        "merchant_serial": files.read_serial(),
        "merchant_key": str(files.merchant_key),
        "public_key": str(files.public_key),
        "public_key_id": files.read_public_key_id(),
        "apiv3_key": sdk_sandbox.v3_api_key,
    }
    return run_python_flows("wechatpayv3", FLOWS, config, sdk_sandbox.ca_cert)


def answer(v3: Flows, name: str, status: int = 200) -> dict[str, Any]:
    observed = flow(v3, name)
    assert observed["status"] == status, observed
    body: dict[str, Any] = observed["body"]
    return body


def sandbox_order(sandbox: SandboxHandle, out_trade_no: str) -> dict[str, Any]:
    response = httpx.get(f"{sandbox.base_url}/sandbox/orders/{out_trade_no}", timeout=10)
    response.raise_for_status()
    order: dict[str, Any] = response.json()
    return order


def signer_serial(v3: Flows, mode: str, sandbox: SandboxHandle) -> str:
    if mode == "pk":
        return sandbox.v3_files.read_public_key_id()
    return str(flow(v3, "cert_platform")["signing_certificate_serial"])


@pytest.mark.parametrize("mode", MODES)
def test_native_pay(v3: Flows, sdk_sandbox: SandboxHandle, mode: str) -> None:
    body = answer(v3, f"{mode}_prepay")
    order = sandbox_order(sdk_sandbox, flow(v3, f"{mode}_prepay")["out_trade_no"])
    assert body["code_url"] == order["code_url"]


@pytest.mark.parametrize("mode", MODES)
def test_query_of_an_unpaid_order(v3: Flows, mode: str) -> None:
    body = answer(v3, f"{mode}_query_unpaid")
    assert body["trade_state"] == "NOTPAY"
    assert body["amount"]["total"] == 101


@pytest.mark.parametrize("mode", MODES)
def test_callback_decrypts_the_payment_notify(
    v3: Flows, sdk_sandbox: SandboxHandle, mode: str
) -> None:
    seen = flow(v3, f"{mode}_payment_notify")
    resource = seen["notify"]["resource"]
    order = sandbox_order(sdk_sandbox, resource["out_trade_no"])
    assert seen["serial"] == signer_serial(v3, mode, sdk_sandbox)
    assert seen["notify"]["event_type"] == "TRANSACTION.SUCCESS"
    assert resource["trade_state"] == "SUCCESS"
    assert resource["transaction_id"] == order["transaction_id"]
    assert resource["amount"]["total"] == order["total_fee"]


@pytest.mark.parametrize("mode", MODES)
def test_query_by_out_trade_no_and_by_transaction_id(
    v3: Flows, sdk_sandbox: SandboxHandle, mode: str
) -> None:
    by_number = answer(v3, f"{mode}_query_by_out_trade_no")
    by_id = answer(v3, f"{mode}_query_by_id")
    order = sandbox_order(sdk_sandbox, by_number["out_trade_no"])
    assert by_number["trade_state"] == by_id["trade_state"] == "SUCCESS"
    assert by_number["transaction_id"] == by_id["transaction_id"] == order["transaction_id"]
    assert by_id["out_trade_no"] == order["out_trade_no"]


@pytest.mark.parametrize("mode", MODES)
def test_refund_and_its_query(v3: Flows, sdk_sandbox: SandboxHandle, mode: str) -> None:
    refund = answer(v3, f"{mode}_refund")
    queried = answer(v3, f"{mode}_refund_query")
    order = sandbox_order(sdk_sandbox, flow(v3, f"{mode}_prepay")["out_trade_no"])
    [recorded] = order["refunds"]
    assert refund["refund_id"] == queried["refund_id"] == recorded["refund_id"]
    assert refund["amount"]["refund"] == 40
    assert queried["status"] == recorded["status"] == "SUCCESS"


@pytest.mark.parametrize("mode", MODES)
def test_callback_decrypts_the_refund_notify(v3: Flows, mode: str) -> None:
    notify = flow(v3, f"{mode}_refund_notify")["notify"]
    assert notify["event_type"] == "REFUND.SUCCESS"
    assert notify["resource"]["refund_status"] == "SUCCESS"
    assert notify["resource"]["amount"]["refund"] == 40


@pytest.mark.parametrize("mode", MODES)
def test_close(v3: Flows, mode: str) -> None:
    closed = flow(v3, f"{mode}_close")
    assert closed["status"] == 204
    assert closed["after"]["body"]["trade_state"] == "CLOSED"


def test_rotation_answers_and_notifies_verified_at_every_step(v3: Flows) -> None:
    rotation = flow(v3, "rotation")
    first = flow(v3, "cert_platform")["signing_certificate_serial"]
    published, signing, retired = rotation["published"], rotation["signing"], rotation["retired"]
    assert published["signing"] == published["notify_serial"] == first
    assert signing["signing"] == retired["signing"] != first
    for step in (published, signing, retired):
        assert step["prepay"]["status"] == 200
        assert step["query"]["body"]["trade_state"] == "NOTPAY"
    assert signing["notify_serial"] == retired["notify_serial"] == signing["signing"]


def test_switch_mode_with_the_public_key(v3: Flows, sdk_sandbox: SandboxHandle) -> None:
    switch = flow(v3, "switch")
    public_key_id = sdk_sandbox.v3_files.read_public_key_id()
    assert set(switch["notify_serials"]) == {public_key_id, switch["signing"]}
    assert switch["query"]["body"]["trade_state"] == "SUCCESS"
