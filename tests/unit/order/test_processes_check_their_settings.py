"""`python -m order.api` and `python -m order.worker` refuse to start on a bad environment and
name every variable that is wrong (exit 78)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GOOD = {
    "DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
}


def _run(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("module", ["order.api", "order.worker"])
def test_missing_services_are_named(module: str) -> None:
    result = _run(module, {})
    assert result.returncode == 78
    for name in GOOD:
        assert f"{name} is not set" in result.stderr


@pytest.mark.parametrize(
    ("module", "name", "value"),
    [
        ("order.api", "ORDER_GRPC_PORT", "70000"),
        ("order.api", "ORDER_PAYMENT_WINDOW_SECONDS", "5"),
        ("order.api", "DATABASE_URL", "mysql://nope"),
        ("order.worker", "WORKER_BATCH_SIZE", "0"),
        ("order.worker", "REDIS_URL", "http://nope"),
        ("order.worker", "LOG_LEVEL", "loud"),
    ],
)
def test_an_invalid_setting_is_named(module: str, name: str, value: str) -> None:
    result = _run(module, {**GOOD, name: value})
    assert result.returncode == 78
    assert f"{name} is invalid" in result.stderr
