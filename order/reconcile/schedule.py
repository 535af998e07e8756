"""When to look at a pending order again: pure arithmetic, no I/O.

Young orders are checked often (customers pay within minutes), older ones less and less:
10 s, 30 s, 1 min, 2 min, then every 5 min. An order is never scheduled past its expire time
plus the close grace, so that it is closed on time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# (age below which, interval) — the first row whose age bound is above the order's age applies.
BACKOFF: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(minutes=1), timedelta(seconds=10)),
    (timedelta(minutes=5), timedelta(seconds=30)),
    (timedelta(minutes=15), timedelta(minutes=1)),
    (timedelta(hours=1), timedelta(minutes=2)),
)
CAP = timedelta(minutes=5)


@dataclass(frozen=True)
class Schedule:
    close_grace: timedelta

    def close_at(self, expire_time: datetime) -> datetime:
        """From when the order is closed at WeChat instead of queried."""
        return expire_time + self.close_grace

    def must_close(self, now: datetime, expire_time: datetime) -> bool:
        return now >= self.close_at(expire_time)

    def next_check(self, now: datetime, create_time: datetime, expire_time: datetime) -> datetime:
        """The next check of an order WeChat says is still unpaid."""
        age = now - create_time
        interval = next((step for bound, step in BACKOFF if age < bound), CAP)
        return min(now + interval, self.close_at(expire_time))
