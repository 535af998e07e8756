"""Exponential backoff with jitter, for retrying a batch while a dependency is down."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, initial: float = 0.05, cap: float = 5.0) -> None:
        self._initial = initial
        self._cap = cap
        self._next = initial

    def next(self) -> float:
        """The next pause: doubling up to the cap, with up to 25 % jitter either way."""
        delay = self._next
        self._next = min(self._cap, self._next * 2)
        return delay * random.uniform(0.75, 1.25)

    def reset(self) -> None:
        self._next = self._initial
