"""The commands behind ./dev."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from devstack import protogen, sdks, stack
from devstack.commands import USAGE, markdown_table
from devstack.layout import ROOT


def _run(argv: list[str], env: dict[str, str] | None = None) -> int:
    print(f"[dev] $ {shlex.join(argv)}", file=sys.stderr)
    return subprocess.run(argv, cwd=ROOT, env=env, check=False).returncode


def cmd_status() -> int:
    for name, text in stack.status():
        print(f"{name:<9} {text}")
    return 0


def local_env() -> dict[str, str]:
    """What a process of this checkout needs: the local system's settings and the `.venv`."""
    from devstack.apps import System

    venv = Path(sys.prefix)
    path = os.environ.get("PATH", "")
    return {
        **System.local().env(),
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}:{path}" if path else str(venv / "bin"),
    }


def cmd_env() -> int:
    for key, value in local_env().items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def cmd_run(argv: list[str]) -> int:  # noqa: RET503 - execve does not return
    """Runs one command in the environment `./dev env` prints (against what runs now)."""
    if not argv:
        print("usage: ./dev run COMMAND [ARGS...], e.g. ./dev run python -m order.reconcile")
        return 2
    env = {**os.environ, **local_env()}
    path = shutil.which(argv[0], path=env["PATH"])
    if path is None:
        print(f"[dev] no command {argv[0]!r} in .venv/bin or on PATH", file=sys.stderr)
        return 127
    sys.stdout.flush()
    # The user's own command: it gets Ctrl-C and gives its exit code itself.
    os.execve(path, [path, *argv[1:]], env)  # noqa: S606


def split_keep(args: list[str]) -> tuple[bool, list[str]]:
    """`--keep` is ./dev's own: it is taken out of what goes on to pytest or the benchmarks."""
    return "--keep" in args, [a for a in args if a != "--keep"]


def stop_unless_kept(started: list[str], keep: bool) -> None:
    """The rule of every command: stop what it started, unless --keep."""
    if not started:
        return
    names = ", ".join(stack.NAMES[name] for name in started)
    if keep:
        stack.say(f"left running (--keep): {names}; `./dev down` stops them")
        return
    stack.stop_servers(started)
    stack.say(f"stopped what this command started: {names} (--keep leaves them running)")


def cmd_test(args: list[str]) -> int:
    from devstack import engine, images

    keep, pytest_args = split_keep(args)
    started_servers = stack.up()
    # The manifests-as-containers tests run the product image (tests/integration/deploy); a
    # run that cannot reach them needs neither the engine nor the image.
    if _may_run(pytest_args, DEPLOY_TESTS):
        if engine.ensure():
            stack.say("dockerd left running; `./dev down` stops it")
        os.environ["PAYSTREAM_IMAGE"] = images.ensure_product()
    try:
        return _test(pytest_args)
    finally:
        stop_unless_kept(started_servers, keep)


def cmd_bench(args: list[str]) -> int:
    keep, bench_args = split_keep(args)
    started_servers = stack.up()
    try:
        return subprocess.run(
            [sys.executable, "-m", "bench", *bench_args], cwd=ROOT, check=False
        ).returncode
    finally:
        stop_unless_kept(started_servers, keep)


DEPLOY_TESTS = "tests/integration/deploy"


def _may_run(pytest_args: list[str], tests: str) -> bool:
    """Whether a pytest run with these arguments can collect tests under `tests`."""
    named = [a.split("::")[0].rstrip("/") for a in pytest_args if not a.startswith("-")]
    paths = [p for p in named if (ROOT / p).exists()]  # not an option's value (`-k name`)
    if not paths:
        return True
    return any(tests == p or tests.startswith(f"{p}/") or p.startswith(f"{tests}/") for p in paths)


# The full suite runs these a second time with PostgreSQL, Redis and Kafka as containers
# (tests/fixtures/containers.py).
CONTAINERS_BACKEND_TESTS = (
    "tests/integration/order",
    "tests/integration/gateway",
    "tests/integration/reconcile",
)


def _test(pytest_args: list[str]) -> int:
    started = time.monotonic()
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
    try:
        sdks.prepare(stack.say)
    except sdks.SdkError as error:
        print(f"[dev] FAILED: {error}", file=sys.stderr)
        return 1
    code = _run([sys.executable, "-m", "pytest", *pytest_args], env)
    if not pytest_args:
        from devstack import images

        for service in images.SERVICES:
            images.ensure_service(service)
        second = _run(
            [sys.executable, "-m", "pytest", *CONTAINERS_BACKEND_TESTS],
            {**env, "PAYSTREAM_STACK": "containers"},
        )
        code = code or second
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
    args = sys.argv[1:] if argv is None else argv
    command, rest = (args[0], args[1:]) if args else ("help", [])
    match command:
        case "up":
            stack.up()
            return cmd_status()
        case "down":
            stack.down()
            from devstack import engine

            if engine.stop_if_started():
                stack.say("Docker     stopped dockerd (./dev started it)")
            return 0
        case "image":
            from devstack.images import cmd_image

            return cmd_image()
        case "status":
            return cmd_status()
        case "env":
            return cmd_env()
        case "test":
            return cmd_test(rest)
        case "run":
            return cmd_run(rest)
        case "demo":
            from devstack.demo import main as demo

            return demo(rest)
        case "proto":
            protogen.regenerate_in_place()
            return 0
        case "lock":
            return cmd_lock()
        case "bench":
            return cmd_bench(rest)
        case "chaos":
            from devstack.chaos.cli import main as chaos

            return chaos(rest)
        case "help" | "-h" | "--help":
            print(markdown_table() if "--markdown" in rest else USAGE)
            return 0
        case other:
            print(f"unknown command {other!r}\n\n{USAGE}", file=sys.stderr)
            return 2
