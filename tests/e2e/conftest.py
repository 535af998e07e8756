"""The callback gateway as a real process, for the tests that follow a notify end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.ports import free_port
from tests.fixtures.order import OrderTopics
from tests.fixtures.sandbox import SandboxHandle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gateway_base(
    sandbox: SandboxHandle, kafka_bootstrap: str, order_topics: OrderTopics, tmp_path: Path
) -> Iterator[str]:
    """`python -m callback_gateway` on a free port, publishing to this test's topic: its URL."""
    port = free_port()
    log = tmp_path / "gateway.log"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "WECHATPAY_APPID": sandbox.appid,
        "WECHATPAY_MCH_ID": sandbox.mch_id,
        "WECHATPAY_API_KEY": sandbox.api_key,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_OBSERVATIONS": order_topics.observations,
        "GATEWAY_PORT": str(port),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "callback_gateway"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=1.0) as http:
            for _ in range(300):
                assert process.poll() is None, log.read_text()
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
