"""`python -m order.reconcile` as the CronJob runs it: exit codes say whether the pass ran."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from devstack.ports import free_port
from tests.fixtures.payment import RunningPayments

ROOT = Path(__file__).resolve().parents[3]


def _run(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "order.reconcile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
    )


def test_a_missing_setting_is_named_and_nothing_runs() -> None:
    result = _run(REDIS_URL="redis://127.0.0.1:1/0", KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    assert result.returncode == 78
    assert "DATABASE_URL is not set" in result.stderr


def test_an_unreachable_payment_service_means_the_pass_did_not_run(
    database_url: str, redis_url: str, kafka_bootstrap: str
) -> None:
    result = _run(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        PAYMENT_GRPC_TARGET=f"127.0.0.1:{free_port()}",
    )
    assert result.returncode == 69
    assert "unreachable: payment service" in result.stderr


async def test_a_completed_pass_exits_zero_with_its_summary_line(
    database_url: str, redis_url: str, kafka_bootstrap: str, payment_service: RunningPayments
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "order.reconcile",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "PAYMENT_GRPC_TARGET": payment_service.target,
        },
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    summaries = [
        json.loads(line)
        for line in output.decode().splitlines()
        if line.startswith("{") and "reconcile pass:" in line
    ]
    assert len(summaries) == 1
    assert summaries[0]["due"] == 0
    assert summaries[0]["rebuilt_index"] == 0
