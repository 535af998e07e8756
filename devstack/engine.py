"""The Docker engine: the one that answers, or Debian's docker.io started here as root.

Where an engine already answers (a laptop, a CI runner) it is used as it is and never stopped.
Where none does and this is root, `docker.io` is installed with apt-get (once per machine) and
`dockerd` started, its pid under .stack/docker/; `./dev down` stops it only then.

Builds use BuildKit (`DOCKER_BUILDKIT=1`). Debian's client, /usr/bin/docker, talks to the daemon's
built-in BuildKit; a newer client earlier on PATH may insist on a buildx plugin it lacks, so
Debian's comes first when it is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from devstack import procs
from devstack.layout import STACK

HOME = STACK / "docker"
PID_FILE = HOME / "dockerd.pid"
LOG = STACK / "logs" / "dockerd.log"
DEBIAN_CLIENT = Path("/usr/bin/docker")


def say(text: str) -> None:
    print(f"[dev] {text}", file=sys.stderr, flush=True)


def client() -> str:
    if DEBIAN_CLIENT.exists():
        return str(DEBIAN_CLIENT)
    found = shutil.which("docker")
    if found is None:
        raise SystemExit("no docker client: install docker.io (or run ./dev as root)")
    return found


def client_env() -> dict[str, str]:
    return {**os.environ, "DOCKER_BUILDKIT": "1"}


def answers() -> bool:
    """True when a client finds a daemon (the socket answers `docker version`)."""
    candidates = [str(DEBIAN_CLIENT)] if DEBIAN_CLIENT.exists() else []
    if (found := shutil.which("docker")) is not None:
        candidates.append(found)
    for docker in candidates:
        result = subprocess.run(
            [docker, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            check=False,
            timeout=30,
        )
        if result.returncode == 0:
            return True
    return False


def server_version() -> str:
    return subprocess.run(
        [client(), "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def apt_install(packages: list[str]) -> None:
    """Installs Debian packages as root (once per machine), saying so and how long it took."""
    missing = [
        p
        for p in packages
        if subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True, check=False
        ).stdout
        != "install ok installed"
    ]
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"need root to install {' '.join(missing)} (apt-get)")
    began = time.monotonic()
    say(f"Debian packages: installing {' '.join(missing)} (apt-get; once per machine)")
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    for argv in (
        ["apt-get", *lock, "update", "-qq"],
        ["apt-get", *lock, "install", "-y", "-qq", "--no-install-recommends", *missing],
    ):
        result = subprocess.run(
            argv,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")
    say(f"Debian packages: installed in {time.monotonic() - began:.0f} s")


def ensure() -> bool:
    """An engine that answers; starts Debian's dockerd when none does. True if it started it."""
    if answers():
        return False
    if os.geteuid() != 0:
        raise SystemExit(
            "no Docker engine answers: start one (Docker Desktop, `sudo systemctl start docker`) "
            "or run ./dev as root, which installs Debian's docker.io and starts dockerd"
        )
    apt_install(["docker.io"])
    began = time.monotonic()
    HOME.mkdir(parents=True, exist_ok=True)
    dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
    procs.spawn(PID_FILE, [dockerd], LOG)
    if not procs.wait_until(answers, 60, interval=0.5):
        procs.stop(PID_FILE)
        raise SystemExit(f"dockerd did not answer within 60 s; see {LOG}")
    say(f"Docker     started dockerd {server_version()} in {time.monotonic() - began:.1f} s")
    return True


def stop_if_started() -> bool:
    """Stops dockerd when ./dev started it (its containers stop with it). True if it ran."""
    return procs.stop(PID_FILE, timeout=60)


def started_here() -> bool:
    return procs.running(PID_FILE) is not None
