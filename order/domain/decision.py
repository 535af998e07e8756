"""What the state machine decides about one observation."""

from __future__ import annotations

from dataclasses import dataclass

from order.domain.events import Event
from order.domain.model import Order, Outcome, Refund


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    order: Order | None = None
    """The order after the observation when it changed (version already increased), else None."""
    created: bool = False
    """`order` is new: WeChat took money for an order we did not have."""
    refund: Refund | None = None
    """The refund record to store (insert or update) when the observation is about a refund."""
    events: tuple[Event, ...] = ()

    def event_version(self, before: Order | None) -> int:
        """The order version the events carry: the new one, the unchanged one, or 0 (no order)."""
        if self.order is not None:
            return self.order.version
        return before.version if before is not None else 0
