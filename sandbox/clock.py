"""The sandbox's clock: real time, or real time moved by an offset the control API sets, so a
test can stand at 09:59 or 10:00 the next day (bills) without waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["SandboxClock"]


class SandboxClock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def set(self, moment: datetime) -> None:
        """From now on the clock reads ``moment`` and runs on from there."""
        self.offset = moment - datetime.now(UTC)

    def reset(self) -> None:
        self.offset = timedelta(0)
