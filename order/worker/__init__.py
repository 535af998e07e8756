"""The order worker: Kafka observations → one PostgreSQL transaction per batch → Redis →
offsets; and the outbox relay. `python -m order.worker` runs both."""

from order.worker.bootstrap import WorkerApp, build
from order.worker.loop import Faults, Worker
from order.worker.settings import WorkerSettings

__all__ = ["Faults", "Worker", "WorkerApp", "WorkerSettings", "build"]
