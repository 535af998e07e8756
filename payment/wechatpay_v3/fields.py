"""One strict parser per kind of v3 value (reference §2.1, §2.3, §2.5-§2.9).

Every v3 answer, notify and ``Wechatpay-*`` header is read through these, so that a value WeChat
never sends — a superscript digit in a timestamp, a time in year 1, an amount that is a float,
a bool or negative, a lone surrogate, a 5,000-deep array, a duplicated key — is a
:class:`MappingError` (a 4xx at the gateway, ``RESPONSE_FORMAT`` in the client), never an
exception nobody maps. Python's own parsers are too lenient for this: ``str.isdigit`` and
``int`` take ``¹²³`` and ``٣``, ``int`` takes ``" 1_0 "``, ``datetime.fromisoformat`` takes ISO
week dates and times without seconds, ``json.loads`` takes ``NaN`` and UTF-16.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from payment.wechatpay.mapping import MappingError

__all__ = [
    "MAX_DEPTH",
    "MAX_FEN",
    "currency",
    "document",
    "fen",
    "hex_serial",
    "identifier",
    "json_object",
    "rfc3339_time",
    "text",
    "unix_seconds",
]

MAX_DEPTH = 16
"""Nesting a v3 document may have: WeChat's deepest (promotion_detail → goods_detail) has 4."""
MAX_FEN = 10**16
"""Amounts are below this (as v2's ``fen``): far above any payment, far inside int64."""

_IDENTIFIER = re.compile(r"[\x21-\x7e]{1,64}\Z")
_HEX = re.compile(r"[0-9A-Fa-f]{1,40}\Z")
_CURRENCY = re.compile(r"[A-Z]{3}\Z")
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}\Z")
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))\Z"
)
# What neither XML, PostgreSQL text nor UTF-8 can carry: C0 controls but tab, LF and CR, and
# lone surrogates (JSON's "\ud800" decodes to one; encoding it anywhere raises).
_UNCARRIABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _short(value: object) -> str:
    return repr(value)[:40]


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise MappingError("a JSON object names a key twice")
    return obj


def _no_constant(name: str) -> Any:
    raise MappingError(f"{name} is not a JSON number")


def _check_tree(root: Any, what: str) -> None:
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                raise MappingError(f"{what} holds a string that is not Unicode text")
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise MappingError(f"{what} nests deeper than {MAX_DEPTH}")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    stack.append((key, depth))
                stack.append((item, depth + 1))


def document(raw: bytes, what: str = "answer") -> Mapping[str, Any]:
    """A JSON object as WeChat writes one: UTF-8, no NaN or Infinity, no key twice, at most
    :data:`MAX_DEPTH` deep, every string encodable."""
    try:
        parsed = json.loads(
            raw.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant
        )
    except RecursionError:
        raise MappingError(f"{what} nests too deep") from None
    except MappingError:
        raise
    except ValueError as error:  # UnicodeDecodeError, JSONDecodeError, over 4,300 digits
        raise MappingError(f"{what} is not UTF-8 JSON: {str(error)[:80]}") from None
    _check_tree(parsed, what)
    return json_object(parsed, what)


def json_object(value: Any, name: str = "answer") -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{name} is not a JSON object")
    return value


def text(value: Any, name: str) -> str:
    """Free text (a description, a bank name): a string XML and PostgreSQL can carry."""
    if not isinstance(value, str):
        raise MappingError(f"{name} {_short(value)} is not a string")
    if _UNCARRIABLE.search(value):
        raise MappingError(f"{name} holds a control character")
    return value


def identifier(value: Any, name: str) -> str:
    """An id (out_trade_no, transaction_id, out_refund_no, refund_id): 1-64 visible ASCII
    characters, no space."""
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise MappingError(f"{name} {_short(value)} is not an id")
    return value


def hex_serial(value: Any, name: str) -> str:
    """A certificate serial: hexadecimal digits only (``int(…, 16)`` also takes ``0x``, ``_``
    and spaces)."""
    if not isinstance(value, str) or not _HEX.match(value):
        raise MappingError(f"{name} {_short(value)} is not a hexadecimal serial")
    return value


def fen(value: Any, name: str) -> int:
    """An amount: a JSON integer of fen, 0 ≤ n < 10^16 (not a bool, a float or a string)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_FEN:
        raise MappingError(f"{name} {_short(value)} is not an integer number of fen")
    return value


def currency(value: Any, name: str) -> str:
    """An ISO 4217 code (``CNY``): three upper-case letters. Which one is accepted is the
    order's business, not the parser's."""
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise MappingError(f"{name} {_short(value)} is not a currency code")
    return value


def rfc3339_time(value: Any, name: str = "time") -> datetime:
    """RFC 3339 with seconds and an offset (``2018-06-08T10:34:56+08:00``) → aware UTC. A date
    that does not exist, or one that leaves years 1-9999 once in UTC, is refused."""
    if not isinstance(value, str):
        raise MappingError(f"{name} {_short(value)} is not a string")
    match = _RFC3339.match(value)
    if match is None:
        raise MappingError(f"{name} {_short(value)} is not RFC 3339")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        offset = UTC if zulu else _offset(sign, off_h, off_m)
        local = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=offset,
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        raise MappingError(f"{name} {_short(value)} is not a time UTC can hold") from None


def _offset(sign: str, hours: str, minutes: str) -> timezone:
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def unix_seconds(value: str, name: str = "timestamp") -> int:
    """Unix seconds as a header carries them: 1-12 ASCII digits."""
    if not _UNIX_SECONDS.match(value):
        raise MappingError(f"{name} {_short(value)} is not unix seconds")
    return int(value)
