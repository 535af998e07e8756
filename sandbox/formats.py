"""How WeChat writes and reads times and amounts (reference §1.3, §2.5, §3), the sandbox's own:
``yyyyMMddHHmmss`` and ``yyyy-MM-dd HH:mm:ss`` in Beijing time for v2, RFC 3339 with an offset
for v3, amounts as plain integers of fen, and v3 JSON flattened to ``a.b`` fields."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

__all__ = [
    "BEIJING",
    "FormatError",
    "beijing_compact",
    "beijing_seconds",
    "flatten",
    "parse_beijing_compact",
    "parse_fen",
    "parse_rfc3339",
    "rfc3339",
]

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
_COMPACT = re.compile(r"\d{14}\Z")
_FEN = re.compile(r"(0|[1-9]\d{0,15})\Z")
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)\Z")


class FormatError(ValueError):
    """A value that does not have WeChat's format."""


def beijing_compact(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


def beijing_seconds(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M:%S+08:00")


def parse_beijing_compact(value: str) -> datetime:
    if not _COMPACT.match(value):
        raise FormatError("not yyyyMMddHHmmss")
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING).astimezone(UTC)
    except ValueError:
        raise FormatError("no such time") from None


def parse_rfc3339(value: str) -> datetime:
    if not _RFC3339.match(value):
        raise FormatError("not RFC 3339 with an offset")
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        raise FormatError("no such time") from None


def parse_fen(value: str) -> int:
    if not _FEN.match(value):
        raise FormatError("not an integer number of fen")
    return int(value)


def flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """A JSON object as ``a.b`` → text (an order's parameters, compared on re-entry)."""
    flat: dict[str, str] = {}
    for name, value in obj.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{name}."))
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            flat[f"{prefix}{name}"] = str(value)
        else:
            flat[f"{prefix}{name}"] = json.dumps(value, ensure_ascii=False)
    return flat
