"""The rules a new order must meet before it exists (WeChat's limits included)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

ORDER_ID = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
"""WeChat's out_trade_no: 6 to 32 of [0-9A-Za-z_-|*] (our order id is the out_trade_no)."""
MAX_TEXT_BYTES = 127
MAX_FEN = 2**31 - 1
"""WeChat's amounts are `Int` (32-bit): an order above this could never be paid."""
"""WeChat's limit for `body` (the description on the payment page) and `attach`, in UTF-8."""
NOT_XML_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""What WeChat's XML cannot carry (NUL and most C0 controls); PostgreSQL refuses NUL too."""


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


@dataclass(frozen=True, slots=True)
class NewOrder:
    id: str
    total_fee: int
    expire_time: datetime
    description: str = ""
    attach: str = ""


def is_valid_order_id(value: str) -> bool:
    return ORDER_ID.fullmatch(value) is not None


def violations(order: NewOrder, now: datetime) -> list[FieldViolation]:
    """Everything wrong with `order` at `now`, one entry per field (empty: it may be created)."""
    found: list[FieldViolation] = []
    if not is_valid_order_id(order.id):
        found.append(FieldViolation("id", "must be 6 to 32 of [0-9A-Za-z_-|*]"))
    if order.total_fee < 1:
        found.append(FieldViolation("total_fee", "must be at least 1 fen"))
    elif order.total_fee > MAX_FEN:
        found.append(FieldViolation("total_fee", f"must be at most {MAX_FEN} fen"))
    for name, text in (("description", order.description), ("attach", order.attach)):
        size = len(text.encode("utf-8"))
        if size > MAX_TEXT_BYTES:
            found.append(
                FieldViolation(name, f"must be at most {MAX_TEXT_BYTES} bytes of UTF-8, not {size}")
            )
        elif NOT_XML_TEXT.search(text):
            found.append(FieldViolation(name, "must not hold control characters"))
    if order.expire_time <= now:
        found.append(FieldViolation("expire_time", "must be in the future"))
    return found
