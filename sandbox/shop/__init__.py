"""The demo shop (`python -m sandbox.shop`): a cashier page that takes WeChat Pay through our own
gRPC services, the way a shop's checkout would. Dev tooling, like the rest of the sandbox."""

from sandbox.shop.app import bootstrap
from sandbox.shop.checkout import Checkout, CheckoutError, OrderView, PaymentCode
from sandbox.shop.settings import ShopSettings

__all__ = [
    "Checkout",
    "CheckoutError",
    "OrderView",
    "PaymentCode",
    "ShopSettings",
    "bootstrap",
]
