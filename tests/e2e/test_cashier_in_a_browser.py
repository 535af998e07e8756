"""The cashier page in a real browser: headless Debian Chromium, driven by Playwright, over the
whole system (sandbox, payment, order API, gateway, worker, demo shop) on ports of its own.

A cashier creates an order and sees its QR code; the customer pays on the sandbox's phone page;
the cashier page turns to Paid by itself. Screenshots go to test-artifacts/cashier/.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from devstack.apps import System
from devstack.ports import private_app_ports
from devstack.private import PRIVATE
from order.domain import Status
from tests.fixtures.order import OrderTopics, load_order

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "cashier"
CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that reaches out to the network (this machine's network is closed).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
PAID_WITHIN_MS = 15_000


@pytest.fixture
def system(
    database_url: str, redis_url: str, kafka_bootstrap: str, order_topics: OrderTopics
) -> Iterator[System]:
    """The six processes on free ports over this test's database, Redis database and topics."""
    home = PRIVATE / f"cashier-{uuid.uuid4().hex[:8]}"
    ports = private_app_ports()
    topics = {
        "KAFKA_TOPIC_OBSERVATIONS": order_topics.observations,
        "KAFKA_TOPIC_ORDER_EVENTS": order_topics.events,
        "KAFKA_TOPIC_DLQ": order_topics.dlq,
        "KAFKA_CONSUMER_GROUP": order_topics.group,
    }
    system = System(
        ports, home, database_url, redis_url, kafka_bootstrap, extra_env=topics, with_shop=True
    )
    try:
        try:
            system.start_all()
        except SystemExit as failed:
            pytest.fail(f"the system did not start: {failed}")
        yield system
    finally:
        system.stop_all()
        logs = ARTIFACTS / "logs"
        shutil.rmtree(logs, ignore_errors=True)
        if (home / "logs").is_dir():
            shutil.copytree(home / "logs", logs)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.timeout(120)
def test_the_cashier_page_turns_paid_when_the_customer_pays_on_the_phone(system: System) -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            f"no {CHROMIUM}: `./dev test` installs Debian's chromium (apt-get install chromium)"
        )
    shop = f"http://127.0.0.1:{system.ports.shop}/"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        # launch() gives the browser a new empty profile (--user-data-dir) of its own.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            context = browser.new_context(viewport={"width": 480, "height": 640})
            cashier = context.new_page()
            cashier.goto(shop)
            cashier.screenshot(path=ARTIFACTS / "cashier-form.png", full_page=True)
            cashier.get_by_label("Amount (¥)").fill("12.34")
            cashier.get_by_label("Description").fill("Oat latte")
            cashier.get_by_role("button", name="Create order").click()

            expect(cashier).to_have_url(re.compile(r"/orders/[0-9A-Z]{26}$"))
            order_id = cashier.url.rsplit("/", 1)[1]
            expect(cashier.locator("#order-id")).to_have_text(order_id)
            expect(cashier.locator(".amount")).to_have_text("¥12.34")
            qr = cashier.get_by_role("img", name=f"WeChat Pay QR code for order {order_id}")
            expect(qr.locator("svg")).to_be_visible()
            expect(cashier.get_by_role("status")).to_have_text("Waiting for payment")
            cashier.screenshot(path=ARTIFACTS / "cashier-waiting.png", full_page=True)

            with context.expect_page() as opened:
                cashier.get_by_role("link", name="the sandbox's phone page").click()
            phone = opened.value
            expect(phone.locator("#out_trade_no")).to_have_text(order_id)
            expect(phone.locator("#amount")).to_have_text("¥12.34")
            phone.get_by_role("button", name="Pay").click()
            expect(phone.locator("#status")).to_have_text("Paid")
            phone.screenshot(path=ARTIFACTS / "phone-paid.png", full_page=True)

            # Nobody touches the cashier page: it finds out by itself.
            expect(cashier.get_by_role("status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
            expect(cashier.get_by_role("heading", level=1)).to_have_text("Payment received")
            expect(qr).to_be_hidden()
            cashier.screenshot(path=ARTIFACTS / "cashier-paid.png", full_page=True)
        finally:
            browser.close()

    order = load_order(system.database_url, order_id)
    assert order is not None
    assert (order.status, order.total_fee, order.description) == (Status.PAID, 1234, "Oat latte")
