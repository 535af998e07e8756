"""Amounts as the cashier types them (yuan, "19.99") and as everything else counts them (fen)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_FEN = 10_000_000
"""¥100,000: more than any coffee."""


def parse_yuan(text: str) -> int:
    """Fen from a yuan amount with at most two decimals; ValueError says what is wrong."""
    try:
        yuan = Decimal(text.strip().removeprefix("¥"))
    except InvalidOperation:
        raise ValueError("Enter an amount such as 19.99.") from None
    if not yuan.is_finite():
        raise ValueError("Enter an amount such as 19.99.")
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise ValueError("An amount has at most two decimals (fen).")
    if not 1 <= fen <= MAX_FEN:
        raise ValueError("Enter an amount from ¥0.01 to ¥100,000.00.")
    return int(fen)


def format_fen(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"
