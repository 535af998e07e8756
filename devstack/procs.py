"""Starting, finding and stopping background processes by pid file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# Children started by this process, kept so that they are waited for (not garbage-collected
# while running) and reaped when stopped.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def running(pid_file: Path) -> int | None:
    pid = read_pid(pid_file)
    return pid if alive(pid) else None


def spawn(
    pid_file: Path,
    argv: Sequence[str],
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Starts argv in its own session (so a terminal's Ctrl-C does not reach it), output to log."""
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    pid_file.write_text(str(proc.pid))
    _CHILDREN[proc.pid] = proc
    return proc


def stop(pid_file: Path, timeout: float = 30.0, sig: signal.Signals = signal.SIGTERM) -> bool:
    """Stops the process named by pid_file: sig first, SIGKILL after timeout. True if it ran."""
    pid = read_pid(pid_file)
    if pid is None or not alive(pid):
        pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, sig)
    if not wait_until(lambda: not alive(pid), timeout):
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not alive(pid), 10)
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.wait(timeout=10)
    else:
        with contextlib.suppress(ChildProcessError):  # not our child: its parent reaps it
            os.waitpid(pid, os.WNOHANG)
    pid_file.unlink(missing_ok=True)
    return True


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Polls check until it returns True (exceptions count as not yet) or timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return True
        except Exception:  # noqa: S110 - a probe that fails is simply not ready yet
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
