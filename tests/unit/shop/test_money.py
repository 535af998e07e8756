"""The cashier types yuan; everything else counts whole fen, and nothing in between is lost."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.shop.money import MAX_FEN, format_fen, parse_yuan


@pytest.mark.parametrize(
    ("typed", "fen"),
    [("19.99", 1999), ("¥0.01", 1), (" 100 ", 10000), ("1e2", 10000), ("100000.00", MAX_FEN)],
)
def test_yuan_become_fen(typed: str, fen: int) -> None:
    assert parse_yuan(typed) == fen


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("19.999", "two decimals"),
        ("0", "from ¥0.01"),
        ("-5", "from ¥0.01"),
        ("100000.01", "from ¥0.01"),
        ("abc", "such as 19.99"),
        ("NaN", "such as 19.99"),
        ("Infinity", "such as 19.99"),
        ("", "such as 19.99"),
    ],
)
def test_anything_else_is_refused_with_a_reason(typed: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_yuan(typed)


@given(st.integers(min_value=1, max_value=MAX_FEN))
def test_formatting_then_parsing_gives_back_the_same_fen(fen: int) -> None:
    assert parse_yuan(format_fen(fen).replace(",", "")) == fen
