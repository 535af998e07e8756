"""Checking requests before anything is sent to WeChat (its documented limits, reference §3)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from payment.wechatpay.signing import trim
from runtime.observations import from_timestamp

OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
MAX_DESCRIPTION_BYTES = 127
MAX_ATTACH_BYTES = 127
MAX_REASON_CHARS = 80
MAX_PRODUCT_ID_CHARS = 32
LATEST_EXPIRE = datetime(9999, 12, 31, 15, 59, 59, tzinfo=UTC)
"""The last moment WeChat's Beijing-time fields (yyyyMMddHHmmss, UTC+8) can express."""
# What XML 1.0 cannot carry at all (most C0 controls, U+FFFE, U+FFFF): such text cannot be sent.
NOT_XML_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class Violations(Exception):  # noqa: N818 - collected, then raised as one INVALID_ARGUMENT
    """Every problem with a request, by field (google.rpc.BadRequest field violations)."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, problem: str) -> None:
        self.items.append((name, problem))

    def raise_if_any(self) -> None:
        if self.items:
            raise self

    def __str__(self) -> str:
        return "; ".join(f"{name}: {problem}" for name, problem in self.items)


def check_out_trade_no(found: Violations, value: str, name: str = "out_trade_no") -> None:
    if not OUT_TRADE_NO.fullmatch(value):
        found.add(name, "must be 6 to 32 of [0-9A-Za-z_-|*]")


# WeChat's amounts are `Int` (32-bit, reference §1.3): ¥21,474,836.47 at most.
MAX_FEN = 2**31 - 1


def check_fen(found: Violations, name: str, value: int) -> None:
    if value < 1:
        found.add(name, "must be at least 1 fen")
    elif value > MAX_FEN:
        found.add(name, f"must be at most {MAX_FEN} fen (WeChat's Int)")


def check_text(found: Violations, name: str, value: str) -> None:
    if NOT_XML_TEXT.search(value):
        found.add(name, "holds a control character that WeChat's XML cannot carry")


def timestamp_field(stamp: Timestamp, name: str) -> datetime | None:
    """A request's Timestamp as an aware datetime (None when unset); a Timestamp outside
    protobuf's range (or with bad nanos) is an invalid argument, not a crash."""
    try:
        return from_timestamp(stamp)
    except ValueError:
        raise Violations([(name, "is not a valid timestamp")]) from None


def check_create_native(
    out_trade_no: str,
    total_fee: int,
    description: str,
    attach: str,
    expire_time: datetime | None,
    now: datetime,
    product_id: str = "",
) -> None:
    found = Violations()
    check_out_trade_no(found, out_trade_no)
    check_fen(found, "total_fee", total_fee)
    # Signing trims what the official SDK trims (signing.trim): blank is missing at WeChat.
    if not trim(description):
        found.add("description", "is required (WeChat shows it on the payment page)")
    elif len(description.encode()) > MAX_DESCRIPTION_BYTES:
        found.add("description", f"must be at most {MAX_DESCRIPTION_BYTES} bytes of UTF-8")
    if len(attach.encode()) > MAX_ATTACH_BYTES:
        found.add("attach", f"must be at most {MAX_ATTACH_BYTES} bytes of UTF-8")
    if len(product_id) > MAX_PRODUCT_ID_CHARS:
        found.add("product_id", f"must be at most {MAX_PRODUCT_ID_CHARS} characters")
    for name, text in (
        ("description", description),
        ("attach", attach),
        ("product_id", product_id),
    ):
        check_text(found, name, text)
    if expire_time is not None and expire_time <= now:
        found.add("expire_time", "must be in the future")
    elif expire_time is not None and expire_time > LATEST_EXPIRE:
        found.add("expire_time", "must be before 9999-12-31 24:00 Beijing time")
    found.raise_if_any()


MAX_REFUNDS_PER_ORDER = 50
"""WeChat's limit: an order can be refunded at most 50 times."""


def check_refund(
    out_trade_no: str,
    out_refund_no: str,
    total_fee: int,
    refund_fee: int,
    reason: str,
    other_out_refund_nos: Sequence[str] = (),
) -> None:
    found = Violations()
    check_out_trade_no(found, out_trade_no)
    if not OUT_REFUND_NO.fullmatch(out_refund_no):
        found.add("out_refund_no", "must be 1 to 64 of [0-9A-Za-z_-|*@]")
    check_fen(found, "total_fee", total_fee)
    check_fen(found, "refund_fee", refund_fee)
    if refund_fee > total_fee >= 1:
        found.add("refund_fee", "must not exceed total_fee")
    if len(reason) > MAX_REASON_CHARS:
        found.add("reason", f"must be at most {MAX_REASON_CHARS} characters")
    check_text(found, "reason", reason)
    if len(other_out_refund_nos) >= MAX_REFUNDS_PER_ORDER:
        found.add("other_out_refund_nos", f"an order has fewer than {MAX_REFUNDS_PER_ORDER}")
    elif not all(OUT_REFUND_NO.fullmatch(n) for n in other_out_refund_nos):
        found.add("other_out_refund_nos", "each must be 1 to 64 of [0-9A-Za-z_-|*@]")
    found.raise_if_any()


def check_order_reference(out_trade_no: str) -> None:
    found = Violations()
    check_out_trade_no(found, out_trade_no)
    found.raise_if_any()


def check_refund_query(out_trade_no: str, out_refund_no: str) -> None:
    found = Violations()
    if out_refund_no:
        if not OUT_REFUND_NO.fullmatch(out_refund_no):
            found.add("out_refund_no", "must be 1 to 64 of [0-9A-Za-z_-|*@]")
    elif out_trade_no:
        check_out_trade_no(found, out_trade_no)
    else:
        found.add("out_trade_no", "name the order (or out_refund_no the refund)")
    found.raise_if_any()
