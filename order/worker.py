"""`python -m order.worker`: applies payment observations from Kafka to orders."""

import sys

if __name__ == "__main__":
    sys.exit("order.worker: the order worker is not built yet (issue #6); refusing to start")
