"""The sandbox the SDK conformance tests drive: a private one, since they switch its key mode
and rotate its platform certificates (state the session's shared sandbox must keep)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.sandbox import SandboxHandle, running_sandbox


@pytest.fixture(scope="session")
def sdk_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path_factory.mktemp("sdk-sandbox")) as handle:
        yield handle


def reset(sandbox: SandboxHandle) -> None:
    """Forgets every order and puts the platform back to its first certificate."""
    httpx.post(f"{sandbox.base_url}/sandbox/reset", timeout=10).raise_for_status()
