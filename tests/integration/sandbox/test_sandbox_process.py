"""`python -m sandbox` as a process: it starts for real, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from devstack.ports import free_port
from tests.fixtures.sandbox import ROOT, wait_ready


def test_the_sandbox_starts_generates_its_tls_files_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, tls_port = free_port(), free_port()
    env = os.environ | {
        "SANDBOX_PORT": str(port),
        "SANDBOX_TLS_PORT": str(tls_port),
        "SANDBOX_STATE_DIR": str(tmp_path / "state"),
    }
    log_path = tmp_path / "sandbox.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        wait_ready(process, f"http://127.0.0.1:{port}", log_path)
        assert httpx.get(f"http://127.0.0.1:{port}/sandbox/health").json() == {"status": "ok"}
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=15)
    assert returncode == 0
    names = {p.name for p in (tmp_path / "state").iterdir()}
    assert {
        "ca.pem",
        "server.pem",
        "server.key",
        "apiclient_cert.pem",
        "apiclient_key.pem",
    } <= names
    assert b'"sandbox_stopped"' in log_path.read_bytes()
