"""The reconciler: one bounded pass over the orders that are due (a Kubernetes CronJob).

It recovers payments whose notify never came and closes orders that timed out, always closing
at WeChat first. Like the gateway it only reports what WeChat says (PaymentObserved, source POLL);
the order worker stays the only writer of order state.
"""

from order.reconcile.reconcile_pass import PassSummary, ReconcilePass
from order.reconcile.schedule import Schedule
from order.reconcile.settings import ReconcileSettings

__all__ = ["PassSummary", "ReconcilePass", "ReconcileSettings", "Schedule"]
