"""Fixtures of the reliability suite: a real `python -m callback_gateway` process, and a check
after every test here that no log line (of this process or of the processes it started)
carries a key, a private key or a signed payload."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.chaos import logscan
from devstack.ports import free_port
from sandbox import credentials
from tests.conftest import TopicFactory
from tests.fixtures.gateway import API_KEY, APPID, MCH_ID

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class GatewayProcess:
    base_url: str
    topic: str
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def notify_url(self) -> str:
        return f"{self.base_url}/wechatpay/v2/notify"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_gateway(kafka_bootstrap: str, topic: str, log: Path, **settings: str) -> GatewayProcess:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "WECHATPAY_APPID": APPID,
        "WECHATPAY_MCH_ID": MCH_ID,
        "WECHATPAY_API_KEY": API_KEY,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_OBSERVATIONS": topic,
        "GATEWAY_PORT": str(port),
        **settings,
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "callback_gateway"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    handle = GatewayProcess(f"http://127.0.0.1:{port}", topic, log, process)
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=handle.base_url, timeout=1.0) as http:
        while True:
            assert process.poll() is None, handle.output()
            try:
                if http.get("/readyz").status_code == 200:
                    return handle
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the gateway never got ready:\n{handle.output()}"
            time.sleep(0.05)


def stop_gateway(handle: GatewayProcess) -> None:
    if handle.process.poll() is None:
        handle.process.send_signal(signal.SIGTERM)
        try:
            handle.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            handle.process.kill()
            handle.process.wait()


@pytest.fixture
def gateway_process(
    kafka_bootstrap: str, kafka_topics: TopicFactory, tmp_path: Path
) -> Iterator[GatewayProcess]:
    """`python -m callback_gateway` on a free port, publishing to a topic of this test's own,
    with a 1 s body deadline."""
    handle = start_gateway(
        kafka_bootstrap,
        kafka_topics("observations", partitions=1),
        tmp_path / "gateway.log",
        GATEWAY_BODY_TIMEOUT_SECONDS="1",
    )
    try:
        yield handle
    finally:
        stop_gateway(handle)


def _secrets() -> logscan.Secrets:
    secrets = logscan.Secrets()
    secrets.add_value("the gateway tests' API key", API_KEY)
    secrets.add_value("the sandbox's v2 API key", credentials.API_KEY)
    secrets.add_value("the sandbox's v3 API key", credentials.V3_API_KEY)
    return secrets


@pytest.fixture(autouse=True)
def no_secret_in_any_log_line(
    request: pytest.FixtureRequest, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> Iterator[None]:
    """Every line this test's code and its processes logged (captured output and the log
    files under its tmp_path) is scanned after the test; a finding fails it."""
    yield
    captured = capfd.readouterr()
    sys.stdout.write(captured.out)
    sys.stderr.write(captured.err)
    (tmp_path / "captured.log").write_text(captured.out + captured.err)
    secrets = _secrets()
    if "sandbox" in request.fixturenames:
        state = request.getfixturevalue("sandbox").state_dir
        for pem in sorted(Path(state).rglob("*key*.pem")):
            secrets.add_pem(f"private key {pem.name}", pem)
    lines, findings = logscan.scan([tmp_path], secrets)
    assert not findings, f"{len(findings)} of {lines} log lines leak: {findings[:5]}"
