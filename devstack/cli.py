"""The commands behind ./dev."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time

from devstack import protogen, stack
from devstack.layout import ROOT

USAGE = """\
./dev demo      run the whole system end to end: four payment scenarios (--keep: leave it running)
./dev test      lint, type-check, check import boundaries, then the whole test suite
./dev up        start the local stack (PostgreSQL, Redis, Kafka) and leave it running
./dev down      stop exactly what `up` started
./dev status    what runs where, with versions and addresses
./dev env       the environment variables a process needs: eval "$(./dev env)"
./dev proto     regenerate paystream/ from protos/
./dev lock      re-pin constraints.txt from the current .venv
./dev bench     every stage against its baselines (--quick: a few minutes; BENCHMARKS.md)
./dev chaos     a fault run on private servers: pay N orders while things break, check
                every order (--orders N, --rate R, --time-scale S; see RELIABILITY.md)
"""


def _run(argv: list[str], env: dict[str, str] | None = None) -> int:
    print(f"[dev] $ {shlex.join(argv)}", file=sys.stderr)
    return subprocess.run(argv, cwd=ROOT, env=env, check=False).returncode


def cmd_status() -> int:
    for name, text in stack.status():
        print(f"{name:<9} {text}")
    return 0


def cmd_env() -> int:
    from devstack.apps import System

    for key, value in System.local().env().items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def cmd_test(pytest_args: list[str]) -> int:
    started = time.monotonic()
    stack.up()
    env = {**os.environ, **stack.stack_env()}
    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"
    checks = [
        [f"{bin_dir}/ruff", "check", "."],
        [f"{bin_dir}/ruff", "format", "--check", "."],
        [f"{bin_dir}/mypy", "."],
        [f"{bin_dir}/lint-imports"],
    ]
    for argv in checks:
        if _run(argv, env) != 0:
            print(f"[dev] FAILED: {shlex.join(argv)}", file=sys.stderr)
            return 1
    code = _run([sys.executable, "-m", "pytest", *pytest_args], env)
    print(
        f"[dev] test suite finished in {time.monotonic() - started:.0f}s with exit code {code}",
        file=sys.stderr,
    )
    # pytest's 5 means "no tests ran": never a pass.
    return code if code != 5 else 1


def cmd_lock() -> int:
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [line for line in frozen.splitlines() if line and not line.startswith("paystream")]
    (ROOT / "constraints.txt").write_text(
        "# Pinned versions for ./dev and the image; regenerate with ./dev lock.\n"
        + "\n".join(lines)
        + "\n"
    )
    print(f"[dev] pinned {len(lines)} packages in constraints.txt", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev", usage=USAGE, add_help=False)
    parser.add_argument("command", nargs="?", default="help")
    args, rest = parser.parse_known_args(argv)
    match args.command:
        case "up":
            stack.up()
            return cmd_status()
        case "down":
            stack.down()
            return 0
        case "status":
            return cmd_status()
        case "env":
            return cmd_env()
        case "test":
            return cmd_test(rest)
        case "demo":
            from devstack.demo import main as demo

            return demo(rest)
        case "proto":
            protogen.regenerate_in_place()
            return 0
        case "lock":
            return cmd_lock()
        case "bench":
            stack.up()
            return subprocess.run(
                [sys.executable, "-m", "bench", *rest], cwd=ROOT, check=False
            ).returncode
        case "chaos":
            from devstack.chaos.cli import main as chaos

            return chaos(rest)
        case "help" | "-h" | "--help":
            print(USAGE)
            return 0
        case other:
            print(f"unknown command {other!r}\n\n{USAGE}", file=sys.stderr)
            return 2
