"""Redis snapshots of orders read back as the same order; anything unreadable is a miss."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from order.domain import Anomaly, Order, Status
from order.store.snapshots import order_from_snapshot, snapshot_json

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _order(**fields: object) -> Order:
    values: dict[str, object] = {
        "id": "order-0001",
        "total_fee": 1000,
        "expire_time": T0 + timedelta(minutes=30),
        "create_time": T0,
        "update_time": T0 + timedelta(seconds=5),
        "description": "茶叶 | tea",
        "attach": "",
    }
    values.update(fields)
    return Order(**values)  # type: ignore[arg-type]


def _stored(document: str) -> dict[bytes | str, bytes | str]:
    return {b"version": b"1", b"status": b"PENDING", b"order": document.encode()}


def test_a_snapshot_reads_back_as_the_same_order() -> None:
    for order in (
        _order(),
        _order(
            status=Status.PAID,
            anomaly=Anomaly.PAID_AFTER_CLOSE,
            transaction_id="4200-1",
            paid_time=T0 + timedelta(minutes=2),
            refunded_fee=300,
            version=7,
        ),
    ):
        assert order_from_snapshot(_stored(snapshot_json(order))) == order


def test_a_missing_or_broken_snapshot_is_a_miss() -> None:
    document = json.loads(snapshot_json(_order()))
    assert order_from_snapshot({}) is None
    assert order_from_snapshot(_stored("{not json")) is None
    assert order_from_snapshot(_stored(json.dumps({**document, "status": "LOST"}))) is None
    assert order_from_snapshot(_stored(json.dumps({**document, "expire_time": ""}))) is None
    del document["version"]
    assert order_from_snapshot(_stored(json.dumps(document))) is None
