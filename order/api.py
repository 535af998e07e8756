"""`python -m order.api`: serves paystream.order.v1.OrderService over gRPC."""

import sys

if __name__ == "__main__":
    sys.exit("order.api: the OrderService is not built yet (issue #6); refusing to start")
