"""The sandbox the SDK conformance tests drive: a private one, since they switch its key mode
and rotate its platform certificates (state the session's shared sandbox must keep)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.sdks import python_sdk
from tests.fixtures.sandbox import SandboxHandle, running_sandbox


@pytest.fixture(scope="session")
def sdk_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path_factory.mktemp("sdk-sandbox")) as handle:
        yield handle


def reset(sandbox: SandboxHandle) -> None:
    """Forgets every order and puts the platform back to its first certificate."""
    httpx.post(f"{sandbox.base_url}/sandbox/reset", timeout=10).raise_for_status()


Flows = dict[str, dict[str, Any]]
"""What a Python SDK's flows script printed: each flow's outcome by name."""


def run_python_flows(sdk: str, script: Path, config: dict[str, Any], ca_cert: Path) -> Flows:
    """Runs the flows script in the SDK's own venv, with `config` on stdin, trusting the sandbox."""
    result = subprocess.run(
        [str(python_sdk(sdk)), str(script)],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "REQUESTS_CA_BUNDLE": str(ca_cert)},
    )
    assert result.returncode == 0, result.stderr
    flows: Flows = json.loads(result.stdout)
    return flows


def flow(flows: Flows, name: str) -> dict[str, Any]:
    """One flow's outcome, which must exist and not be an error."""
    observed = flows.get(name)
    assert observed is not None, f"no flow {name!r}: {sorted(flows)}"
    assert "error" not in observed, observed
    return observed
