"""Exactly once in effect under concurrency: many transactions applying the same observation at
the same moment change the order once and emit one event."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from order.domain import Observation, Outcome, Source, Status, TradeState
from order.store import BatchResult, ConcurrentApplyError
from order.worker.database import BatchApplier, Connection
from tests.fixtures.order import insert_order, load_order, outbox_events, scalar


def _paid(order_id: str, total_fee: int) -> Observation:
    return Observation(
        observation_id=f"obs-{order_id}",
        order_id=order_id,
        source=Source.NOTIFY,
        trade_state=TradeState.SUCCESS,
        transaction_id=f"4200{order_id}",
        total_fee=total_fee,
        success_time=datetime.now(UTC),
    )


async def _apply_until_done(applier: BatchApplier, observation: Observation) -> BatchResult:
    """What the worker does: a collision on an order nobody could lock is retried."""
    while True:
        try:
            return await applier.apply([observation])
        except ConcurrentApplyError:
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("known", [True, False], ids=["existing-order", "unknown-order"])
async def test_the_same_observation_twenty_times_concurrently_changes_one_thing(
    database_url: str, known: bool
) -> None:
    order_id = insert_order(database_url, total_fee=300) if known else "unknown-0001"
    connections = [Connection(database_url) for _ in range(20)]
    appliers = [BatchApplier(c, lambda: datetime.now(UTC)) for c in connections]
    try:
        await asyncio.gather(*(c.get() for c in connections))
        results = await asyncio.gather(
            *(_apply_until_done(a, _paid(order_id, 300)) for a in appliers)
        )
    finally:
        await asyncio.gather(*(c.close() for c in connections))

    decided = [d for r in results for _, d in r.decisions]
    assert len(decided) == 1
    assert sum(r.duplicates for r in results) == 19
    order = load_order(database_url, order_id)
    assert order is not None
    assert (order.status, order.version) == (Status.PAID, 2 if known else 1)
    assert decided[0].outcome is (Outcome.APPLIED if known else Outcome.UNKNOWN_ORDER)
    assert len(outbox_events(database_url, order_id)) == 1
    assert scalar(database_url, "SELECT count(*) FROM inbox") == 1
