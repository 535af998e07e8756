"""The README's runnable examples, run as written against the local system: the local stack
(which `./dev test` starts) and the five processes plus the shop on the local ports, started here
when they do not run yet and stopped again afterwards (what ran before is left as it is).

The README shows the default local ports (15051, 8090, …); when PAYSTREAM_*_PORT moves them, the
same ports are moved in the examples before they run. Blocks run in README order, each in a fresh
shell or interpreter, and must exit 0 having printed what their marker expects.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from devstack.apps import App, System
from devstack.cli import local_env
from devstack.layout import PORTS
from tests.readme_blocks import README, Block, blocks

pytestmark = pytest.mark.timeout(240)

# The local defaults the README shows, and the ports this run actually uses.
PORT_TEXT = {
    ":15051": f":{PORTS.payment}",
    ":15052": f":{PORTS.order}",
    ":8090/": f":{PORTS.sandbox}/",
    ":8090'": f":{PORTS.sandbox}'",
    ":8080/": f":{PORTS.gateway}/",
    ":8070/": f":{PORTS.shop}/",
}
RUNNABLE = [b for b in blocks() if b.runnable]


def on_our_ports(code: str) -> str:
    for shown, used in PORT_TEXT.items():
        code = code.replace(shown, used)
    return code


@pytest.fixture(scope="module")
def local_system() -> Iterator[System]:
    system = System.local()
    started: list[App] = []
    try:
        for app in system.apps():
            if system.start(app):
                started.append(app)
        yield system
    finally:
        for app in reversed(started):
            system.stop(app)


def run_block(block: Block) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **local_env()}
    code = on_our_ports(block.code)
    argv = (
        ["bash", "-euo", "pipefail", "-c", code] if block.lang == "sh" else ["python", "-c", code]
    )
    return subprocess.run(
        argv, cwd=README.parent, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("block", RUNNABLE, ids=[f"README.md:{b.line}" for b in RUNNABLE])
def test_a_runnable_readme_block_works_as_written(local_system: System, block: Block) -> None:
    result = run_block(block)
    printed = result.stdout + result.stderr
    assert result.returncode == 0, f"README.md:{block.line} exited {result.returncode}:\n{printed}"
    assert block.expect is not None
    assert block.expect in printed, (
        f"README.md:{block.line} did not print {block.expect!r}:\n{printed}"
    )
