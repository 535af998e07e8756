"""`python -m payment`: serves paystream.payment.v1.PaymentService over gRPC."""

import sys

sys.exit("payment: the PaymentService is not built yet (issue #4); refusing to start")
