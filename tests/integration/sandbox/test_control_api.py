"""The control API's contract: paying, reading orders, faults, the phone page."""

from __future__ import annotations

import uuid

import httpx
import pytest

from payment.wechatpay import WeChatPayV2Client
from tests.fixtures.sandbox import SandboxControl, SandboxHandle


async def new_orders(sandbox: SandboxHandle, count: int) -> list[tuple[str, str]]:
    created = []
    async with WeChatPayV2Client.open(sandbox.wechatpay_config()) as client:
        for _ in range(count):
            out_trade_no = "ca" + uuid.uuid4().hex[:20]
            order = await client.unified_order_native(
                out_trade_no=out_trade_no, total_fee=1999, body="手机壳"
            )
            created.append((out_trade_no, order.code_url))
    return created


async def test_an_order_is_found_by_its_code_url_and_paid_by_it(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    [(out_trade_no, code_url)] = await new_orders(sandbox, 1)
    found = await sandbox_control.http.get("/sandbox/orders", params={"code_url": code_url})
    assert (found.json()["out_trade_no"], found.json()["total_fee"]) == (out_trade_no, 1999)
    paid = await sandbox_control.http.post(
        "/sandbox/pay", json={"code_url": code_url, "delivery": "drop"}
    )
    assert paid.json()["order"]["trade_state"] == "SUCCESS"
    again = await sandbox_control.http.post("/sandbox/pay", json={"code_url": code_url})
    assert (again.status_code, again.json()["error"]) == (409, "ORDER_PAID")


async def test_bulk_pay_pays_what_it_can_and_says_what_it_could_not(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    numbers = [n for n, _ in await new_orders(sandbox, 3)]
    result = await sandbox_control.pay_bulk([*numbers, "ca-unknown-order"], delivery="drop")
    assert result["paid"] == numbers
    assert result["refused"] == [{"out_trade_no": "ca-unknown-order", "error": "ORDER_NOT_FOUND"}]
    assert {(await sandbox_control.order(n))["trade_state"] for n in numbers} == {"SUCCESS"}


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/sandbox/pay", {"out_trade_no": "ca-missing-order"}, 404),
        ("/sandbox/pay", {}, 422),
        ("/sandbox/pay", {"out_trade_no": "a", "code_url": "b"}, 422),
        ("/sandbox/pay", {"out_trade_no": "a", "copies": 0}, 422),
        ("/sandbox/pay", {"out_trade_no": "a", "delivery": "sometimes"}, 422),
        ("/sandbox/pay", {"out_trade_no": "a", "unknown": True}, 422),
        ("/sandbox/pay/bulk", {"out_trade_nos": []}, 422),
    ],
)
async def test_bad_control_requests_are_refused_with_a_reason(
    sandbox_control: SandboxControl, path: str, body: dict[str, object], status: int
) -> None:
    response = await sandbox_control.http.post(path, json=body)
    assert response.status_code == status
    assert "error" in response.json()


async def test_faults_are_settable_readable_and_resettable(sandbox_control: SandboxControl) -> None:
    settings = await sandbox_control.set_faults(systemerror_rate=0.25, latency_ms=5, seed=1)
    assert settings == {
        "systemerror_rate": 0.25,
        "http_5xx_rate": 0.0,
        "lost_answer_rate": 0.0,
        "latency_ms": 5,
        "seed": 1,
    }
    assert (await sandbox_control.http.get("/sandbox/faults")).json() == settings
    refused = await sandbox_control.http.put("/sandbox/faults", json={"http_5xx_rate": 2})
    assert refused.status_code == 422
    await sandbox_control.reset_faults()
    assert (await sandbox_control.http.get("/sandbox/faults")).json()["systemerror_rate"] == 0.0


async def test_injected_5xx_answers_are_html_with_the_status(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    await sandbox_control.set_faults(http_5xx_rate=1.0)
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        response = await http.post("/pay/orderquery", content=b"<xml/>")
    assert response.status_code in {500, 502, 503}
    assert response.headers["content-type"].startswith("text/html")


async def test_the_phone_page_shows_the_order_and_a_pay_button(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    [(_, code_url)] = await new_orders(sandbox, 1)
    page = await sandbox_control.http.get("/sandbox/phone", params={"code_url": code_url})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<button id="pay"' in page.text
    assert 'fetch("pay"' in page.text


async def test_the_open_orders_are_listed_newest_first_for_the_phone_page(
    sandbox: SandboxHandle, sandbox_control: SandboxControl
) -> None:
    created = await new_orders(sandbox, 3)
    paid_number = created[0][0]
    await sandbox_control.http.post(
        "/sandbox/pay", json={"out_trade_no": paid_number, "delivery": "drop"}
    )
    listed = await sandbox_control.http.get(
        "/sandbox/orders", params={"state": "NOTPAY", "limit": 200}
    )
    numbers = [o["out_trade_no"] for o in listed.json()["orders"]]
    assert paid_number not in numbers
    assert [n for n in numbers if n in {n for n, _ in created}] == [
        created[2][0],
        created[1][0],
    ]
    assert {o["trade_state"] for o in listed.json()["orders"]} == {"NOTPAY"}
    two = await sandbox_control.http.get("/sandbox/orders", params={"limit": 2})
    assert len(two.json()["orders"]) == 2


@pytest.mark.parametrize(
    "params", [{"state": "PAIDISH"}, {"limit": "0"}, {"limit": "201"}, {"limit": "many"}]
)
async def test_a_bad_order_listing_is_a_clear_400(
    sandbox_control: SandboxControl, params: dict[str, str]
) -> None:
    answer = await sandbox_control.http.get("/sandbox/orders", params=params)
    assert (answer.status_code, answer.json()["error"]) == (400, "PARAM_ERROR")


async def test_the_phone_page_without_a_code_offers_a_pick_and_a_code_url_field(
    sandbox_control: SandboxControl,
) -> None:
    page = await sandbox_control.http.get("/sandbox/phone")
    assert page.status_code == 200
    assert 'id="open-orders"' in page.text
    assert 'name="code_url"' in page.text
    assert "orders?state=NOTPAY" in page.text
