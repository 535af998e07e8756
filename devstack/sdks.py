"""The official SDKs the conformance tests (tests/sdk) drive, each in its own environment under
``.stack/sdk/`` and never in the product's dependencies. Fetched once through the registries'
ordinary clients, built once per source hash, reused from there (a warm run costs nothing).

- ``com.github.wxpay:wxpay-sdk:0.0.3`` (Maven Central, no dependencies): fetched with
  ``mvn dependency:get`` into ``.stack/sdk/m2``; tests/sdk/java/*.java compiled against it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from devstack.layout import ROOT, STACK

__all__ = ["WXPAY_SDK", "SdkError", "wxpay_sdk_classpath"]

SDK_DIR = STACK / "sdk"
WXPAY_SDK = ("com.github.wxpay", "wxpay-sdk", "0.0.3")
JAVA_SOURCES = ROOT / "tests" / "sdk" / "java"


class SdkError(RuntimeError):
    """An SDK could not be fetched or built."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SdkError(f"{name} is not on PATH (./dev installs it with the JDK and Maven)")
    return found


def _run(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600)
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
