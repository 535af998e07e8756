"""The cashier's HTML: the order form and the order page with its QR code. Every value that
comes from a request or an order is escaped; the SVG is PaymentService's own rendering."""

from __future__ import annotations

from functools import cache
from html import escape
from importlib.resources import files
from string import Template
from urllib.parse import urlencode

from sandbox.shop.checkout import OrderView, PaymentCode
from sandbox.shop.money import format_fen

__all__ = ["asset", "cashier_page", "heading", "order_page"]

DEFAULT_AMOUNT = "19.99"
DEFAULT_DESCRIPTION = "Flat white"
HEADINGS = {"PENDING": "Scan to pay", "PAID": "Payment received", "CLOSED": "Order closed"}


def heading(order: OrderView) -> str:
    return HEADINGS.get(order.status, f"Order {order.label.lower()}")


@cache
def asset(name: str) -> str:
    """A file shipped beside this module (HTML, CSS, JavaScript), read once."""
    return files("sandbox.shop").joinpath(name).read_text(encoding="utf-8")


def _template(name: str) -> Template:
    return Template(asset(name))


def cashier_page(
    error: str = "", amount: str = DEFAULT_AMOUNT, description: str = DEFAULT_DESCRIPTION
) -> str:
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return _template("cashier.html").substitute(
        error=problem, amount=escape(amount), description=escape(description)
    )


def order_page(
    order: OrderView, code: PaymentCode | None, phone_url: str, poll_seconds: float
) -> str:
    return _template("order.html").substitute(
        order_id=escape(order.id),
        heading=escape(heading(order)),
        amount=format_fen(order.total_fee),
        description=escape(order.description),
        status=order.status,
        status_class=order.status.lower(),
        label=escape(order.label),
        poll_ms=str(round(poll_seconds * 1000)),
        payment=_payment(order, code, phone_url) if code is not None else "",
    )


def _payment(order: OrderView, code: PaymentCode, phone_url: str) -> str:
    phone = f"{phone_url}?{urlencode({'code_url': code.code_url})}"
    label = f"WeChat Pay QR code for order {order.id}"
    return (
        '<section id="payment">\n'
        "    <figure>\n"
        f'      <div class="qr" role="img" aria-label="{escape(label)}">{code.svg}</div>\n'
        "      <figcaption>Scan with WeChat, or open "
        f'<a id="phone-link" href="{escape(phone)}" target="_blank" rel="noopener">'
        "the sandbox's phone page</a> to pay.</figcaption>\n"
        "    </figure>\n"
        "  </section>"
    )
