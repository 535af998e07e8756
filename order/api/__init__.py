"""OrderService (`python -m order.api`): create, read and cancel orders over gRPC."""

from order.api.bootstrap import ApiApp, build
from order.api.service import CancelOutcome, CreateOrder, OrderPolicy, OrderService
from order.api.settings import ApiSettings

__all__ = [
    "ApiApp",
    "ApiSettings",
    "CancelOutcome",
    "CreateOrder",
    "OrderPolicy",
    "OrderService",
    "build",
]
