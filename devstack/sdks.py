"""The official SDKs the conformance tests (tests/sdk) drive, each in its own environment under
``.stack/sdk/`` and never in the product's dependencies. Fetched once through the registries'
ordinary clients, built once per source hash, reused from there (a warm run costs nothing).

- ``com.github.wxpay:wxpay-sdk:0.0.3`` (Maven Central, no dependencies): fetched with
  ``mvn dependency:get`` into ``.stack/sdk/m2``; tests/sdk/java/*.java compiled against it.
- ``github.com/wechatpay-apiv3/wechatpay-go v0.2.21`` (Go module proxy, pinned by
  tests/sdk/go/go.sum): tests/sdk/go built with its own module cache and build cache under
  ``.stack/sdk/go``.
- ``wechatpayv3==2.0.4`` and ``wechatpy==1.8.18`` (PyPI): each in its own venv,
  ``.stack/sdk/wechatpayv3`` and ``.stack/sdk/wechatpy``, made by pip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devstack.layout import ROOT, STACK

__all__ = [
    "WXPAY_SDK",
    "SdkError",
    "prepare",
    "python_sdk",
    "wechatpay_go_program",
    "wxpay_sdk_classpath",
]

SDK_DIR = STACK / "sdk"
WXPAY_SDK = ("com.github.wxpay", "wxpay-sdk", "0.0.3")
PYTHON_SDKS = {
    "wechatpayv3": "wechatpayv3==2.0.4",
    "wechatpy": "wechatpy[cryptography]==1.8.18",
}
JAVA_SOURCES = ROOT / "tests" / "sdk" / "java"
GO_SOURCES = ROOT / "tests" / "sdk" / "go"


class SdkError(RuntimeError):
    """An SDK could not be fetched or built."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SdkError(f"{name} is not on PATH (./dev installs it with the JDK and Maven)")
    return found


def _run(argv: list[str], what: str, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600, env=env)
    if result.returncode != 0:
        raise SdkError(f"{what} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def wxpay_sdk_jar() -> Path:
    group, artifact, version = WXPAY_SDK
    repository = SDK_DIR / "m2"
    jar = repository.joinpath(*group.split("."), artifact, version, f"{artifact}-{version}.jar")
    if not jar.exists():
        _run(
            [
                _tool("mvn"),
                "-q",
                "-B",
                f"-Dmaven.repo.local={repository}",
                "dependency:get",
                f"-Dartifact={group}:{artifact}:{version}",
                "-Dtransitive=false",
            ],
            f"fetching {group}:{artifact}:{version}",
        )
    return jar


def wxpay_sdk_classpath() -> str:
    """The classpath of the compiled tests/sdk/java programs and the SDK jar."""
    jar = wxpay_sdk_jar()
    sources = sorted(JAVA_SOURCES.glob("*.java"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
    classes = SDK_DIR / "java" / digest
    if not (classes / ".built").exists():
        classes.mkdir(parents=True, exist_ok=True)
        _run(
            [_tool("javac"), "-encoding", "UTF-8", "-cp", str(jar), "-d", str(classes)]
            + [str(p) for p in sources],
            "compiling tests/sdk/java",
        )
        (classes / ".built").touch()
    return f"{classes}:{jar}"


def _digest(paths: list[Path]) -> str:
    hashed = hashlib.sha256()
    for path in paths:
        hashed.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return hashed.hexdigest()[:16]


def wechatpay_go_program() -> Path:
    """tests/sdk/go built against wechatpay-go (the version go.sum pins), once per source hash."""
    sources = [*sorted(GO_SOURCES.glob("*.go")), GO_SOURCES / "go.mod", GO_SOURCES / "go.sum"]
    home = SDK_DIR / "go"
    program = home / "bin" / _digest(sources) / "sdkconformance"
    if not program.exists():
        env = {
            **os.environ,
            "GOPATH": str(home),
            "GOMODCACHE": str(home / "mod"),
            "GOCACHE": str(home / "cache"),
            "GOTOOLCHAIN": "local",
            "GOFLAGS": "-mod=readonly",
        }
        _run(
            [_tool("go"), "-C", str(GO_SOURCES), "build", "-o", str(program), "."],
            "building tests/sdk/go (wechatpay-go)",
            env,
        )
    return program


def python_sdk(name: str) -> Path:
    """The interpreter of the SDK's own venv (``.stack/sdk/NAME``), with the pinned release."""
    spec = PYTHON_SDKS[name]
    venv = SDK_DIR / name
    python = venv / "bin" / "python"
    marker = venv / f".installed-{spec}"
    if not marker.exists():
        _run([sys.executable, "-m", "venv", "--clear", str(venv)], f"creating the {name} venv")
        _run([str(python), "-m", "pip", "install", "-q", spec], f"pip install {spec}")
        marker.touch()
    return python


def prepare(say: Callable[[str], None]) -> None:
    """Builds every SDK environment the conformance tests use, saying how long each build took
    (a warm run builds nothing and says nothing): before pytest, so no test waits on a build."""
    steps: list[tuple[str, Callable[[], object]]] = [
        ("wxpay-sdk 0.0.3 (Maven)", wxpay_sdk_classpath),
        ("wechatpay-go v0.2.21 (Go)", wechatpay_go_program),
        *((f"{spec} (PyPI)", lambda n=name: python_sdk(n)) for name, spec in PYTHON_SDKS.items()),
    ]

    def timed(name: str, build: Callable[[], object]) -> None:
        started = time.monotonic()
        build()
        took = time.monotonic() - started
        if took > 1.0:
            say(f"SDK environments: built {name} under .stack/sdk in {took:.0f}s (once)")

    # Side by side: the Go build is CPU, the others mostly download (a cold run: ~2 min, not 4).
    with ThreadPoolExecutor(max_workers=len(steps)) as pool:
        futures = [pool.submit(timed, name, build) for name, build in steps]
    for future in futures:
        future.result()  # the first SdkError, once every build has ended
