"""The faults of a run, struck one after another from a background thread while the customers
pay: each at its planned moment (or as soon as the previous one has recovered)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from devstack.apps import System
from devstack.chaos.plan import WECHAT_ERRORS, ChaosPlan
from devstack.private import PrivateServers


@dataclass(frozen=True)
class Struck:
    name: str
    at: float
    """Seconds after the paying began."""
    seconds: float
    """From the fault until the thing was back (ready)."""
    detail: str
    error: str = ""


@dataclass
class FaultLog:
    struck: list[Struck] = field(default_factory=list)

    @property
    def errors(self) -> list[Struck]:
        return [s for s in self.struck if s.error]


class FaultScript:
    def __init__(self, plan: ChaosPlan, system: System, servers: PrivateServers) -> None:
        self._plan = plan
        self._system = system
        self._servers = servers
        self.log = FaultLog()
        self._thread: threading.Thread | None = None
        self._began = 0.0
        self._actions: dict[str, Callable[[], str]] = {
            "worker_kill": self._kill_worker,
            "kafka_restart": self._restart_kafka,
            "postgres_restart": self._restart_postgres,
            "redis_restart": self._restart_redis,
            "gateway_restart": self._restart_gateway,
            "wechat_errors": self._wechat_errors,
        }
        unknown = {name for _, name in plan.faults} - set(self._actions)
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")

    def start(self, began: float) -> None:
        self._began = began
        self._thread = threading.Thread(target=self._run, name="faults", daemon=True)
        self._thread.start()

    def join(self, timeout: float = 600.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError("the fault script did not finish")

    def _run(self) -> None:
        span = self._plan.pay_seconds
        for when, name in self._plan.faults:
            time.sleep(max(0.0, self._began + when * span - time.monotonic()))
            at = time.monotonic() - self._began
            try:
                detail = self._actions[name]()
                error = ""
            except (Exception, SystemExit) as failure:  # a fault that breaks the run is reported
                detail, error = "", f"{type(failure).__name__}: {failure}"
            self.log.struck.append(
                Struck(
                    name, round(at, 2), round(time.monotonic() - self._began - at, 2), detail, error
                )
            )

    def _kill_worker(self) -> str:
        worker = self._system.app("worker")
        pid = worker.pid()
        self._system.stop(worker, signal.SIGKILL)
        self._system.start(worker)
        return f"SIGKILL pid {pid}; restarted as pid {worker.pid()}"

    def _restart_kafka(self) -> str:
        kafka = self._servers.kafka
        sig = signal.Signals[self._plan.kafka_signal]
        kafka.stop(sig=sig)
        time.sleep(self._plan.kafka_down_seconds)
        kafka.start()
        return f"{sig.name}, down {self._plan.kafka_down_seconds:.0f}s, started again"

    def _restart_postgres(self) -> str:
        mode = self._plan.postgres_mode
        self._servers.postgres.stop(mode=mode)
        self._servers.postgres.start()
        return f"pg_ctl stop -m {mode}, started again"

    def _restart_redis(self) -> str:
        self._servers.redis.stop()
        self._servers.redis.start()
        return "SHUTDOWN NOSAVE (every key lost), started again"

    def _restart_gateway(self) -> str:
        gateway = self._system.app("gateway")
        pid = gateway.pid()
        self._system.stop(gateway, signal.SIGTERM)
        self._system.start(gateway)
        return f"SIGTERM pid {pid} (drains in-flight notifies); restarted as pid {gateway.pid()}"

    def _wechat_errors(self) -> str:
        settings = {**WECHAT_ERRORS, "seed": self._plan.seed}
        faults = f"{self._system.app('sandbox').url}/sandbox/faults"
        httpx.put(faults, json=settings, timeout=30, trust_env=False).raise_for_status()
        try:
            time.sleep(self._plan.wechat_fault_seconds)
        finally:
            httpx.delete(faults, timeout=30, trust_env=False).raise_for_status()
        rates = ", ".join(f"{name} {rate:g}" for name, rate in WECHAT_ERRORS.items())
        return f"WeChat's API for {self._plan.wechat_fault_seconds:g}s: {rates}"
