"""wechatpy 1.8.18 (v2) used as it is against the sandbox over HTTPS, in its own venv
(tests/sdk/wechatpy_flows.py runs there): NATIVE order create / query / close, refund apply
(mutual TLS with the merchant certificate) / query, ``check_signature`` on every answer,
``parse_payment_result`` and ``parse_refund_notify_result`` on the sandbox's notifies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.sandbox import SandboxHandle
from tests.sdk.conftest import Flows, flow, reset, run_python_flows

pytestmark = pytest.mark.integration

FLOWS = Path(__file__).with_name("wechatpy_flows.py")


@pytest.fixture(scope="module")
def v2(sdk_sandbox: SandboxHandle) -> Flows:
    reset(sdk_sandbox)
    config = {
        "api": sdk_sandbox.tls_base_url,
        "control": sdk_sandbox.base_url,
        "appid": sdk_sandbox.appid,
        "mchid": sdk_sandbox.mch_id,
        "api_key": sdk_sandbox.api_key,
        "client_cert": str(sdk_sandbox.client_cert),
        "client_key": str(sdk_sandbox.client_key),
    }
    return run_python_flows("wechatpy", FLOWS, config, sdk_sandbox.ca_cert)


def verified(v2: Flows, name: str) -> dict[str, Any]:
    """The answer of a flow, which check_signature accepted."""
    observed = flow(v2, name)
    assert observed["signature_valid"] is True, observed
    answer: dict[str, Any] = observed["answer"]
    assert (answer["return_code"], answer["result_code"]) == ("SUCCESS", "SUCCESS")
    return answer


def sandbox_order(sandbox: SandboxHandle, out_trade_no: str) -> dict[str, Any]:
    response = httpx.get(f"{sandbox.base_url}/sandbox/orders/{out_trade_no}", timeout=10)
    response.raise_for_status()
    order: dict[str, Any] = response.json()
    return order


def test_native_order_create(v2: Flows, sdk_sandbox: SandboxHandle) -> None:
    answer = verified(v2, "create")
    order = sandbox_order(sdk_sandbox, flow(v2, "create")["out_trade_no"])
    assert answer["code_url"] == order["code_url"]
    assert answer["prepay_id"] == order["prepay_id"]
    assert order["api_version"] == "v2"


def test_order_query_before_and_after_payment(v2: Flows, sdk_sandbox: SandboxHandle) -> None:
    unpaid, paid = verified(v2, "query_unpaid"), verified(v2, "query_paid")
    order = sandbox_order(sdk_sandbox, paid["out_trade_no"])
    assert unpaid["trade_state"] == "NOTPAY"
    assert paid["trade_state"] == "SUCCESS"
    assert paid["transaction_id"] == order["transaction_id"]
    assert paid["total_fee"] == "101"


def test_parse_payment_result_verifies_the_notify(v2: Flows, sdk_sandbox: SandboxHandle) -> None:
    notify = flow(v2, "payment_notify")
    order = sandbox_order(sdk_sandbox, notify["out_trade_no"])
    assert notify["result_code"] == "SUCCESS"
    assert notify["transaction_id"] == order["transaction_id"]
    assert notify["total_fee"] == order["total_fee"] == 101


def test_refund_needs_the_merchant_certificate(v2: Flows) -> None:
    refused = v2["refund_without_certificate"]
    assert "NOAUTH" in refused.get("error", ""), refused


def test_refund_apply_over_mutual_tls_and_query(v2: Flows, sdk_sandbox: SandboxHandle) -> None:
    applied, queried = verified(v2, "refund"), verified(v2, "refund_query")
    order = sandbox_order(sdk_sandbox, applied["out_trade_no"])
    [recorded] = order["refunds"]
    assert applied["refund_id"] == queried["refund_id_0"] == recorded["refund_id"]
    assert applied["refund_fee"] == queried["refund_fee_0"] == "40"
    assert queried["refund_status_0"] == recorded["status"] == "SUCCESS"


def test_parse_refund_notify_result_decrypts_the_refund_notify(v2: Flows) -> None:
    notify = flow(v2, "refund_notify")
    assert notify["refund_id"] == verified(v2, "refund")["refund_id"]
    assert notify["refund_status"] == "SUCCESS"
    assert (notify["refund_fee"], notify["total_fee"]) == (40, 101)


def test_order_close(v2: Flows) -> None:
    verified(v2, "close")
    after = flow(v2, "close")["after"]
    assert after["signature_valid"] is True
    assert after["answer"]["trade_state"] == "CLOSED"
