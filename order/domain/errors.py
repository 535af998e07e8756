"""What can go wrong with a request about orders, in the domain's words (gRPC codes are chosen
in one place, `order.api.errors`)."""

from __future__ import annotations

from order.domain.model import Order
from order.domain.new_order import FieldViolation


class OrderError(Exception):
    """Base of the errors a caller can act on."""


class InvalidRequestError(OrderError):
    def __init__(self, violations: list[FieldViolation]) -> None:
        super().__init__("; ".join(f"{v.field} {v.description}" for v in violations))
        self.violations = violations


class OrderNotFoundError(OrderError):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"no order {order_id!r}")
        self.order_id = order_id


class OrderConflictError(OrderError):
    """The id is taken by an order with another amount."""

    def __init__(self, existing: Order, total_fee: int) -> None:
        super().__init__(
            f"order {existing.id!r} exists with total_fee {existing.total_fee}, not {total_fee}"
        )
        self.existing = existing


class PaymentUnavailableError(OrderError):
    """PaymentService could not tell us what WeChat says; nothing was reported, retry later."""

    def __init__(self, reason: str, retryable: bool = True) -> None:
        super().__init__(reason)
        self.retryable = retryable


class RefundNotAllowedError(OrderError):
    """The order cannot take this refund: not paid, or not that much left to refund."""


class RefundConflictError(OrderError):
    """The out_refund_no names a refund of another amount (or of another order)."""
