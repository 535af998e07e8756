"""`python -m order.reconcile`: one bounded reconciliation pass (a Kubernetes CronJob)."""

import sys

if __name__ == "__main__":
    sys.exit("order.reconcile: the reconciler is not built yet (issue #7); refusing to start")
