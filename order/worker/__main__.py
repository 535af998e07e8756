"""`python -m order.worker`: applies payment observations from Kafka to orders, and relays the
resulting order events to Kafka."""

from __future__ import annotations

import asyncio
import os
import signal

import uvloop

from order.store import BatchResult
from order.worker.bootstrap import build
from order.worker.loop import Faults
from order.worker.settings import WorkerSettings
from runtime.logs import configure, get_logger, register_secret
from runtime.metrics import serve_metrics
from runtime.settings import load

log = get_logger("order.worker")


def _kill_after_first_change(result: BatchResult) -> None:
    if result.decisions:
        os.kill(os.getpid(), signal.SIGKILL)


async def _serve(settings: WorkerSettings) -> None:
    faults = None
    if settings.worker_test_kill_after_commit:
        faults = Faults(after_commit=_kill_after_first_change)
    app = build(settings, faults)
    serve_metrics(
        settings.worker_metrics_host,
        settings.worker_metrics_port,
        alive=lambda: app.polled_within(settings.worker_liveness_seconds),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    running = asyncio.create_task(app.run(stop))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([running, stopping], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not running.done():
        log.info("order worker stopping", grace_seconds=settings.shutdown_grace_seconds)
    await asyncio.wait_for(running, settings.shutdown_grace_seconds + 5)
    log.info("order worker stopped")


def main() -> int:
    settings = load(WorkerSettings, "order.worker")
    configure("order.worker", settings.log_level)
    password = settings.database_url.hosts()[0].get("password")
    if password:
        register_secret(str(password))
    log.info("order worker starting", topic=settings.kafka_topic_observations)
    uvloop.run(_serve(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
