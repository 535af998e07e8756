"""The paystream processes on a local stack: start them in order, know when each is ready, stop
exactly what was started. `System.local()` is what `./dev demo` runs (pid files in .stack/run,
logs in .stack/logs), with the demo shop's cashier page as a sixth process; fault runs and
benchmarks build a System of their own on other ports, over private servers, so that stopping
things disturbs nobody else."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devstack import grpc_certs, procs
from devstack.layout import HOST, PORTS, ROOT, STACK, Ports
from runtime.grpc_tls import TlsFiles
from sandbox import credentials
from sandbox.v3_keys import ensure_v3_files, merchant_environment


def _http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        return httpx.get(url, timeout=1.0).status_code == 200

    return check


def _grpc_serving(port: int, service: str, tls: TlsFiles | None) -> Callable[[], bool]:
    def check() -> bool:
        with _sync_channel(f"{HOST}:{port}", tls) as channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=1.0
            )
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

    return check


def _sync_channel(target: str, tls: TlsFiles | None) -> grpc.Channel:
    if tls is None:
        return grpc.insecure_channel(target)
    material = tls.load()
    credentials = grpc.ssl_channel_credentials(material.ca, material.key, material.cert)
    return grpc.secure_channel(target, credentials)


@dataclass(frozen=True)
class App:
    name: str
    module: str
    ready: Callable[[], bool]
    pid_file: Path
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""

    def pid(self) -> int | None:
        return procs.running(self.pid_file)


@dataclass(frozen=True)
class System:
    """One whole paystream: its ports, where its state and logs go, the stack it talks to."""

    ports: Ports
    home: Path
    database_url: str
    redis_url: str
    kafka_bootstrap: str
    api_version: str = "v2"
    extra_env: dict[str, str] = field(default_factory=dict)
    with_shop: bool = False
    """Run the demo shop too (`python -m sandbox.shop`, a client of the gRPC services)."""
    tls: bool = False
    """Mutual TLS between every gRPC caller and server, with certificates made under
    home/grpc-tls (devstack.grpc_certs); plaintext otherwise."""

    @classmethod
    def local(cls, api_version: str = "v2", tls: bool = False) -> System:
        from devstack.stack import stack_env

        stack = stack_env()
        return cls(
            PORTS,
            STACK,
            stack["DATABASE_URL"],
            stack["REDIS_URL"],
            stack["KAFKA_BOOTSTRAP_SERVERS"],
            api_version=api_version,
            with_shop=True,
            tls=tls,
        )

    @property
    def sandbox_state(self) -> Path:
        return self.home / "sandbox"

    def env(self) -> dict[str, str]:
        """What every paystream process needs to run against this stack and its sandbox."""
        p = self.ports
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "WECHATPAY_API_VERSION": self.api_version,
            "WECHATPAY_BASE_URL": f"https://{HOST}:{p.sandbox + 1}",
            "WECHATPAY_CA_BUNDLE": str(self.sandbox_state / "ca.pem"),
            "WECHATPAY_CLIENT_CERT": str(self.sandbox_state / "apiclient_cert.pem"),
            "WECHATPAY_CLIENT_KEY": str(self.sandbox_state / "apiclient_key.pem"),
            "WECHATPAY_APPID": credentials.APPID,
            "WECHATPAY_MCH_ID": credentials.MCH_ID,
            "WECHATPAY_API_KEY": credentials.API_KEY,
            "WECHATPAY_NOTIFY_URL": f"http://{HOST}:{p.gateway}/wechatpay/v2/notify",
            "WECHATPAY_REFUND_NOTIFY_URL": f"http://{HOST}:{p.gateway}/wechatpay/v2/refund-notify",
            "PAYMENT_GRPC_TARGET": f"{HOST}:{p.payment}",
            "ORDER_GRPC_TARGET": f"{HOST}:{p.order}",
            "SANDBOX_STATE_DIR": str(self.sandbox_state),
            **(self._v3_env() if self.api_version == "v3" else {}),
            **self.extra_env,
        }

    def _v3_env(self) -> dict[str, str]:
        """API v3: the merchant's v3 keys (made with the sandbox's, idempotently) and the v3
        notify endpoint, which serves refund events too."""
        files = ensure_v3_files(self.sandbox_state, mch_id=credentials.MCH_ID)
        notify_url = f"http://{HOST}:{self.ports.gateway}/wechatpay/v3/notify"
        return {
            **merchant_environment(files, credentials.V3_API_KEY),
            "WECHATPAY_NOTIFY_URL": notify_url,
            "WECHATPAY_REFUND_NOTIFY_URL": notify_url,
        }

    def certificates(self) -> dict[str, TlsFiles]:
        """Each workload's certificate (devstack.grpc_certs.WORKLOADS); none in plaintext."""
        return grpc_certs.ensure_local(self.home) if self.tls else {}

    def client_tls(self, workload: str = "demo") -> TlsFiles | None:
        """The certificate a caller of this system presents (None: plaintext)."""
        return self.certificates().get(workload)

    def _tls_env(self, workload: str) -> dict[str, str]:
        files = self.certificates().get(workload)
        if files is None:
            return {}
        return grpc_certs.environment(files, grpc_certs.local_tables().get(workload))

    @property
    def mode(self) -> str:
        """What a running process was started as: the API version, and mutual TLS."""
        return f"{self.api_version} with mTLS" if self.tls else self.api_version

    def apps(self) -> list[App]:
        """In start order: the sandbox first (it writes the certificates the others read)."""
        p = self.ports
        run, logs = self.home / "run", self.home / "logs"

        def app(
            name: str, module: str, ready: Callable[[], bool], env: dict[str, str], url: str = ""
        ) -> App:
            return App(name, module, ready, run / f"{name}.pid", logs / f"{name}.log", env, url)

        every = [
            app(
                "sandbox",
                "sandbox",
                _http_ok(f"http://{HOST}:{p.sandbox}/sandbox/health"),
                {"SANDBOX_PORT": str(p.sandbox), "SANDBOX_TLS_PORT": str(p.sandbox + 1)},
                f"http://{HOST}:{p.sandbox}",
            ),
            app(
                "payment",
                "payment",
                _grpc_serving(p.payment, "paystream.payment.v1.PaymentService", self.client_tls()),
                {
                    "PAYMENT_GRPC_PORT": str(p.payment),
                    "PAYMENT_METRICS_PORT": str(p.payment_metrics),
                    **self._tls_env("payment"),
                },
                f"grpc://{HOST}:{p.payment}",
            ),
            app(
                "order-api",
                "order.api",
                _grpc_serving(p.order, "paystream.order.v1.OrderService", self.client_tls()),
                {
                    "ORDER_GRPC_PORT": str(p.order),
                    "ORDER_METRICS_PORT": str(p.order_metrics),
                    **self._tls_env("order-api"),
                },
                f"grpc://{HOST}:{p.order}",
            ),
            app(
                "gateway",
                "callback_gateway",
                _http_ok(f"http://{HOST}:{p.gateway}/readyz"),
                {"GATEWAY_PORT": str(p.gateway)},
                f"http://{HOST}:{p.gateway}",
            ),
            app(
                "worker",
                "order.worker",
                _http_ok(f"http://{HOST}:{p.worker_metrics}/metrics"),
                {"WORKER_METRICS_PORT": str(p.worker_metrics)},
            ),
        ]
        if self.with_shop:
            every.append(
                app(
                    "shop",
                    "sandbox.shop",
                    _http_ok(f"http://{HOST}:{p.shop}/healthz"),
                    {
                        "SHOP_PORT": str(p.shop),
                        "SHOP_PHONE_URL": f"http://{HOST}:{p.sandbox}/sandbox/phone",
                        **self._tls_env("checkout"),
                    },
                    f"http://{HOST}:{p.shop}",
                )
            )
        return every

    def app(self, name: str) -> App:
        found = [a for a in self.apps() if a.name == name]
        if not found:
            raise SystemExit(f"no such process: {name}")
        return found[0]

    def start(self, app: App, timeout: float = 60.0) -> bool:
        """Starts the app unless it runs; waits until ready. False when it already ran."""
        protocol_file = app.pid_file.with_suffix(".api")
        if app.pid() is not None:
            running = protocol_file.read_text() if protocol_file.exists() else self.api_version
            if running != self.mode:
                raise SystemExit(
                    f"{app.name} runs with WeChat Pay API {running}, not "
                    f"{self.mode}: stop it first (./dev down)"
                )
            return False
        protocol_file.parent.mkdir(parents=True, exist_ok=True)
        protocol_file.write_text(self.mode)
        procs.spawn(
            app.pid_file,
            [sys.executable, "-m", app.module],
            log=app.log,
            env={**os.environ, **self.env(), **app.env},
            cwd=ROOT,
        )
        deadline = time.monotonic() + timeout
        while not procs.wait_until(app.ready, 0.5):
            if app.pid() is None:
                raise SystemExit(
                    f"{app.name} exited during start; see {app.log}:\n{_tail(app.log)}"
                )
            if time.monotonic() > deadline:
                self.stop(app)
                raise SystemExit(f"{app.name} was not ready within {timeout:.0f}s; see {app.log}")
        return True

    def stop(self, app: App, sig: signal.Signals = signal.SIGTERM) -> bool:
        return procs.stop(app.pid_file, timeout=30, sig=sig)

    def start_all(self, names: Sequence[str] | None = None) -> list[tuple[str, float]]:
        started = []
        for app in self._select(names):
            began = time.monotonic()
            if self.start(app):
                started.append((app.name, time.monotonic() - began))
        return started

    def stop_all(self, names: Sequence[str] | None = None) -> list[str]:
        return [app.name for app in reversed(self._select(names)) if self.stop(app)]

    def _select(self, names: Sequence[str] | None) -> list[App]:
        every = self.apps()
        return every if names is None else [a for a in every if a.name in names]


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
