"""The cashier page in a real browser: headless Debian Chromium, driven by Playwright, over the
whole system (sandbox, payment, order API, gateway, worker, demo shop) on ports of its own.

A cashier creates an order and sees its QR code; the customer pays on the sandbox's phone page;
the cashier page turns to Paid by itself; the description is Chinese, as in a Chinese shop.
Screenshots go to test-artifacts/cashier/; its cashier-demo.png is docs/cashier-demo.png.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

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
# A Chinese shop: the description is Chinese, and the browser must have a font for it.
DESCRIPTION = "燕麦拿铁"
CAPTIONS = (
    "1. the cashier page: order, amount, QR code",
    "2. the sandbox's phone page: Pay",
    "3. the cashier page turns Paid by itself",
)


def has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def side_by_side(page: Page, shots: list[Path], out: Path) -> None:
    """The three screenshots in a row with their captions: docs/cashier-demo.png is this file."""
    figures = "".join(
        f'<figure><img src="data:image/png;base64,{base64.b64encode(shot.read_bytes()).decode()}">'
        f"<figcaption>{caption}</figcaption></figure>"
        for shot, caption in zip(shots, CAPTIONS, strict=True)
    )
    page.set_viewport_size({"width": 1120, "height": 520})
    page.set_content(
        "<style>body{margin:0;display:flex;gap:8px;padding:8px;font:15px sans-serif;color:#333}"
        "figure{margin:0;text-align:center}img{width:360px;border:1px solid #ccc}</style>" + figures
    )
    page.screenshot(path=out, full_page=True)


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
    if not has_cjk_font():
        pytest.fail("no Chinese font: `./dev test` installs Debian's fonts-noto-cjk")
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
            cashier.get_by_label("Description").fill(DESCRIPTION)
            cashier.get_by_role("button", name="Create order").click()

            expect(cashier).to_have_url(re.compile(r"/orders/[0-9A-Z]{26}$"))
            order_id = cashier.url.rsplit("/", 1)[1]
            expect(cashier.locator("#order-id")).to_have_text(order_id)
            expect(cashier.locator(".amount")).to_have_text("¥12.34")
            qr = cashier.get_by_role("img", name=f"WeChat Pay QR code for order {order_id}")
            expect(qr.locator("svg")).to_be_visible()
            expect(cashier.get_by_role("status")).to_have_text("Waiting for payment")
            expect(cashier.get_by_text(DESCRIPTION).first).to_be_visible()
            cashier.screenshot(path=ARTIFACTS / "cashier-waiting.png", full_page=True)

            # The phone page opened without a code offers the open orders: this one among them.
            picker = context.new_page()
            picker.goto(f"http://127.0.0.1:{system.ports.sandbox}/sandbox/phone")
            expect(picker.locator("#open-orders")).to_contain_text(f"¥12.34 · {DESCRIPTION}")
            expect(picker.get_by_label("code_url")).to_be_visible()
            picker.screenshot(path=ARTIFACTS / "phone-pick.png", full_page=True)
            picker.close()

            with context.expect_page() as opened:
                cashier.get_by_role("link", name="the sandbox's phone page").click()
            phone = opened.value
            expect(phone.locator("#out_trade_no")).to_have_text(order_id)
            expect(phone.locator("#amount")).to_have_text("¥12.34")
            expect(phone.locator("#description")).to_have_text(DESCRIPTION)
            phone.get_by_role("button", name="Pay").click()
            expect(phone.locator("#status")).to_have_text("Paid")
            phone.screenshot(path=ARTIFACTS / "phone-paid.png", full_page=True)

            # Nobody touches the cashier page: it finds out by itself.
            expect(cashier.get_by_role("status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
            expect(cashier.get_by_role("heading", level=1)).to_have_text("Payment received")
            expect(qr).to_be_hidden()
            cashier.screenshot(path=ARTIFACTS / "cashier-paid.png", full_page=True)
            shots = ["cashier-waiting.png", "phone-paid.png", "cashier-paid.png"]
            side_by_side(
                context.new_page(), [ARTIFACTS / s for s in shots], ARTIFACTS / "cashier-demo.png"
            )
        finally:
            browser.close()

    order = load_order(system.database_url, order_id)
    assert order is not None
    assert (order.status, order.total_fee, order.description) == (Status.PAID, 1234, DESCRIPTION)
