"""A new order meets WeChat's limits before it exists; generated ids are valid and sortable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from order.api.ids import new_order_id
from order.domain import NewOrder, is_valid_order_id, violations

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _new(**fields: object) -> NewOrder:
    values: dict[str, object] = {
        "id": "order-0001",
        "total_fee": 1,
        "expire_time": NOW + timedelta(seconds=1),
    }
    values.update(fields)
    return NewOrder(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("order_id", "valid"),
    [
        ("abcdef", True),
        ("a" * 32, True),
        ("A-b_c|d*9", True),
        ("abcde", False),
        ("a" * 33, False),
        ("order 0001", False),
        ("订单000001", False),
        ("order#0001", False),
    ],
)
def test_order_ids_are_wechat_out_trade_nos(order_id: str, valid: bool) -> None:
    assert is_valid_order_id(order_id) is valid


def test_a_valid_order_has_no_violations() -> None:
    assert violations(_new(description="好" * 42, attach="x" * 127), NOW) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"total_fee": 0}, "total_fee"),
        ({"total_fee": -5}, "total_fee"),
        ({"description": "好" * 43}, "description"),
        ({"attach": "x" * 128}, "attach"),
        ({"expire_time": NOW}, "expire_time"),
        ({"id": "short"}, "id"),
    ],
)
def test_each_broken_rule_names_its_field(fields: dict[str, object], field: str) -> None:
    assert [v.field for v in violations(_new(**fields), NOW)] == [field]


def test_generated_ids_are_valid_unique_and_sort_by_time() -> None:
    earlier = [new_order_id(NOW) for _ in range(2000)]
    later = new_order_id(NOW + timedelta(milliseconds=1))
    assert all(is_valid_order_id(i) and len(i) == 26 for i in earlier)
    assert len(set(earlier)) == len(earlier)
    assert max(earlier) < later
