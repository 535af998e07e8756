"""The order system: the pure state machine (order.domain), OrderService, the worker, the
outbox relay and the reconciler."""

__all__: list[str] = []
