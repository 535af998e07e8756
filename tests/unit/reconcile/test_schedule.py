"""The next check backs off with an order's age and never passes its close time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from order.reconcile.schedule import Schedule

CREATED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
EXPIRES = CREATED + timedelta(hours=2)
SCHEDULE = Schedule(close_grace=timedelta(minutes=1))


@pytest.mark.parametrize(
    ("age", "interval"),
    [
        (timedelta(seconds=5), timedelta(seconds=10)),
        (timedelta(minutes=2), timedelta(seconds=30)),
        (timedelta(minutes=10), timedelta(minutes=1)),
        (timedelta(minutes=30), timedelta(minutes=2)),
        (timedelta(minutes=90), timedelta(minutes=5)),
    ],
)
def test_checks_back_off_with_age(age: timedelta, interval: timedelta) -> None:
    now = CREATED + age
    assert SCHEDULE.next_check(now, CREATED, EXPIRES) == now + interval


def test_the_next_check_is_never_after_the_close_time() -> None:
    now = EXPIRES - timedelta(seconds=30)
    assert SCHEDULE.next_check(now, CREATED, EXPIRES) == EXPIRES + timedelta(minutes=1)


def test_an_order_is_closed_only_after_its_expiry_plus_the_grace() -> None:
    assert not SCHEDULE.must_close(EXPIRES + timedelta(seconds=59), EXPIRES)
    assert SCHEDULE.must_close(EXPIRES + timedelta(minutes=1), EXPIRES)
