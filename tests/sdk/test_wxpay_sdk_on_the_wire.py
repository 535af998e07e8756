"""The course's own SDK (com.github.wxpay:wxpay-sdk 0.0.3, in a JVM, as it is) on the sandbox's
v2 wire over HTTPS, MD5 and HMAC-SHA256: requests built by ``WXPay.fillRequestData`` and
``WXPayUtil.generateSignedXml`` are accepted by the sandbox; its answers pass
``WXPayUtil.isSignatureValid(xmlToMap(…))`` (a tampered one does not), its pay notifies pass
``WXPay.isPayResultNotifySignatureValid``."""

from __future__ import annotations

import asyncio
import base64
import ssl
import subprocess
import time
from typing import Any

import httpx
import pytest

from devstack.sdks import wxpay_sdk_classpath
from tests.fixtures.sandbox import SandboxHandle, receiving_notifies
from tests.sdk.conftest import reset

pytestmark = pytest.mark.integration

TYPES = {"MD5": "MD5", "HMACSHA256": "HMAC-SHA256"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _text(encoded: str) -> str:
    return base64.b64decode(encoded).decode()


def run_sdk(blocks: list[str]) -> list[str]:
    result = subprocess.run(
        ["java", "-cp", wxpay_sdk_classpath(), "WireWithWxPaySdk"],
        input="\n\n".join(blocks) + "\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(blocks), result.stderr
    return lines


def head(op: str, java_type: str, sandbox: SandboxHandle) -> str:
    credentials = (sandbox.api_key, sandbox.appid, sandbox.mch_id)
    return " ".join([op, java_type, *(_b64(value) for value in credentials)])


def request_block(java_type: str, sandbox: SandboxHandle, fields: dict[str, str]) -> str:
    lines = [head("request", java_type, sandbox)]
    lines += [f"{_b64(name)} {_b64(value)}" for name, value in fields.items()]
    return "\n".join(lines)


def verdict(line: str) -> tuple[bool, dict[str, str]]:
    valid, _, encoded = line.partition(" ")
    fields = dict(pair.split(":", 1) for pair in encoded.split(",") if pair)
    return valid == "true", {_text(k): _text(v) for k, v in fields.items()}


def scenario(sandbox: SandboxHandle, java_type: str) -> dict[str, Any]:
    paid, closed = (f"J{java_type[:3]}{time.time_ns() % 10**12}{n}" for n in "PC")
    with receiving_notifies() as receiver:
        order = {
            "body": "wxpay-sdk 一致性",
            "total_fee": "101",
            "spbill_create_ip": "127.0.0.1",
            "notify_url": receiver.url,
            "trade_type": "NATIVE",
        }
        requests = [
            ("/pay/unifiedorder", order | {"out_trade_no": paid, "product_id": paid}),
            ("/pay/orderquery", {"out_trade_no": paid}),
            ("/pay/unifiedorder", order | {"out_trade_no": closed, "product_id": closed}),
            ("/pay/closeorder", {"out_trade_no": closed}),
        ]
        signed = run_sdk([request_block(java_type, sandbox, f) for _, f in requests])
        answers: list[str] = []
        with httpx.Client(
            base_url=sandbox.tls_base_url, verify=ssl.create_default_context(cafile=sandbox.ca_cert)
        ) as http:
            for (path, _), xml in zip(requests, signed, strict=True):
                if path == "/pay/orderquery":
                    httpx.post(
                        f"{sandbox.base_url}/sandbox/pay", json={"out_trade_no": paid}
                    ).raise_for_status()
                    asyncio.run(receiver.wait_for(1))
                response = http.post(path, content=base64.b64decode(xml), timeout=10)
                response.raise_for_status()
                answers.append(response.text)
        notify = receiver.received[0].decode()
    tampered = answers[1].replace("101", "102")
    assert tampered != answers[1]
    blocks = [f"{head('answer', java_type, sandbox)}\n{_b64(a)}" for a in [*answers, tampered]]
    blocks.append(f"{head('notify', java_type, sandbox)}\n{_b64(notify)}")
    verdicts = [verdict(line) for line in run_sdk(blocks)]
    return {
        "paid": paid,
        "closed": closed,
        "answers": verdicts[:4],
        "tampered": verdicts[4],
        "notify": verdicts[5],
    }


@pytest.fixture(scope="module")
def wire(sdk_sandbox: SandboxHandle) -> dict[str, dict[str, Any]]:
    reset(sdk_sandbox)
    return {java_type: scenario(sdk_sandbox, java_type) for java_type in TYPES}


def sandbox_order(sandbox: SandboxHandle, out_trade_no: str) -> dict[str, Any]:
    response = httpx.get(f"{sandbox.base_url}/sandbox/orders/{out_trade_no}", timeout=10)
    response.raise_for_status()
    order: dict[str, Any] = response.json()
    return order


@pytest.mark.parametrize("java_type", list(TYPES))
def test_the_sandbox_accepts_what_the_sdk_signs(
    wire: dict[str, dict[str, Any]], sdk_sandbox: SandboxHandle, java_type: str
) -> None:
    run = wire[java_type]
    for _, fields in run["answers"]:
        assert (fields["return_code"], fields["result_code"]) == ("SUCCESS", "SUCCESS"), fields
    paid = sandbox_order(sdk_sandbox, run["paid"])
    assert paid["sign_type"] == TYPES[java_type]
    assert run["answers"][0][1]["code_url"] == paid["code_url"]
    assert sandbox_order(sdk_sandbox, run["closed"])["trade_state"] == "CLOSED"


@pytest.mark.parametrize("java_type", list(TYPES))
def test_is_signature_valid_accepts_every_answer_and_refuses_a_tampered_one(
    wire: dict[str, dict[str, Any]], java_type: str
) -> None:
    run = wire[java_type]
    assert [valid for valid, _ in run["answers"]] == [True] * 4
    valid, _ = run["tampered"]
    assert valid is False


@pytest.mark.parametrize("java_type", list(TYPES))
def test_is_pay_result_notify_signature_valid_accepts_the_notify(
    wire: dict[str, dict[str, Any]], sdk_sandbox: SandboxHandle, java_type: str
) -> None:
    run = wire[java_type]
    valid, notify = run["notify"]
    queried = run["answers"][1][1]
    assert valid is True
    assert (notify["out_trade_no"], notify["result_code"], notify["total_fee"]) == (
        run["paid"],
        "SUCCESS",
        "101",
    )
    assert notify["transaction_id"] == queried["transaction_id"]
    assert queried["trade_state"] == "SUCCESS"
    assert notify.get("sign_type", "MD5") == TYPES[java_type]
