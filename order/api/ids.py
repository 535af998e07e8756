"""New order ids: valid out_trade_nos that sort by creation time and never collide.

26 characters of Crockford base32 (a subset of [0-9A-Za-z]): 48 bits of milliseconds since the
epoch, then 80 random bits (a ULID).
"""

from __future__ import annotations

import secrets
from datetime import datetime

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 26


def new_order_id(now: datetime) -> str:
    value = (int(now.timestamp() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(LENGTH):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))
