"""The images, built from local parts only: no registry is ever needed.

The base is Debian bookworm with Python 3.11, made with debootstrap and `docker import`, tagged
with a digest of its recipe, so it is built once per machine and recipe. The product image is the
project's Dockerfile on that base. Where a registry is reachable the official images can be used
by name instead: PAYSTREAM_PYTHON_IMAGE=python:3.11-slim-bookworm (README.md, "Containers").
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devstack import engine
from devstack.layout import ROOT, STACK

BASE_RECIPE = {
    "suite": "bookworm",
    "variant": "minbase",
    "include": ["python3", "python3-venv", "python-is-python3", "ca-certificates"],
    "mirror": "http://deb.debian.org/debian",
    "changes": [
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        'CMD ["python3"]',
    ],
}
BASE_REPOSITORY = "paystream-debian/python"
PRODUCT = os.environ.get("PAYSTREAM_IMAGE", "paystream:local")


def say(text: str) -> None:
    print(f"[dev] {text}", file=sys.stderr, flush=True)


def recipe_key(recipe: object) -> str:
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def base_tag() -> str:
    return f"{BASE_REPOSITORY}:{BASE_RECIPE['suite']}-{recipe_key(BASE_RECIPE)}"


def exists(tag: str) -> bool:
    return (
        subprocess.run(
            [engine.client(), "image", "inspect", tag], capture_output=True, check=False
        ).returncode
        == 0
    )


def size(tag: str) -> str:
    raw = subprocess.run(
        [engine.client(), "image", "inspect", "--format", "{{.Size}}", tag],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return f"{int(raw) / 1e6:.0f} MB"


def _run(argv: list[str], what: str, **kwargs: object) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise SystemExit(f"{what} failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")


def ensure_base() -> str:
    """The Debian Python base image: PAYSTREAM_PYTHON_IMAGE when set, else ours (built once)."""
    if official := os.environ.get("PAYSTREAM_PYTHON_IMAGE"):
        return official
    tag = base_tag()
    if exists(tag):
        return tag
    if os.geteuid() != 0:
        raise SystemExit(
            f"the base image {tag} is not built and debootstrap needs root: run ./dev as root "
            "once, or use an official image: PAYSTREAM_PYTHON_IMAGE=python:3.11-slim-bookworm"
        )
    engine.apt_install(["debootstrap"])
    began = time.monotonic()
    say(f"base image: debootstrap {BASE_RECIPE['suite']} with Python 3.11 (once; about a minute)")
    work = STACK / "images"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        rootfs = Path(tmp) / "rootfs"
        _run(
            [
                "debootstrap",
                f"--variant={BASE_RECIPE['variant']}",
                f"--include={','.join(BASE_RECIPE['include'])}",
                str(BASE_RECIPE["suite"]),
                str(rootfs),
                str(BASE_RECIPE["mirror"]),
            ],
            "debootstrap",
        )
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for entry in (rootfs / cache).glob("*"):
                if entry.is_file():
                    entry.unlink()
        changes = [arg for change in BASE_RECIPE["changes"] for arg in ("--change", change)]
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        _run([engine.client(), "import", *changes, "-", tag], "docker import", stdin=tar.stdout)
        tar.wait()
    say(f"base image: {tag} ({size(tag)}) in {time.monotonic() - began:.0f} s")
    return tag


def ca_bundle() -> Path | None:
    """The CA bundle pip verifies TLS with on this machine, for the build secret "ca"."""
    candidates = [os.environ.get(name) for name in ("PIP_CERT", "SSL_CERT_FILE")]
    pip = Path(sys.executable).parent / "pip"
    if pip.exists():
        configured = subprocess.run(
            [str(pip), "config", "get", "global.cert"], capture_output=True, text=True, check=False
        )
        candidates.append(configured.stdout.strip() or None)
    candidates.append("/etc/ssl/certs/ca-certificates.crt")
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def build(
    context: Path,
    tag: str,
    build_args: dict[str, str],
    dockerfile: Path | None = None,
    what: str = "",
) -> float:
    """`docker build` with BuildKit and the CA bundle as a secret; returns the seconds it took."""
    began = time.monotonic()
    argv = [engine.client(), "build", "--progress=plain", "-t", tag]
    if dockerfile is not None:
        argv += ["-f", str(dockerfile)]
    for name, value in build_args.items():
        argv += ["--build-arg", f"{name}={value}"]
    if (bundle := ca_bundle()) is not None:
        argv += ["--secret", f"id=ca,src={bundle}"]
    log = STACK / "logs" / f"build-{tag.replace('/', '_').replace(':', '_')}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        result = subprocess.run(
            [*argv, str(context)], stdout=out, stderr=subprocess.STDOUT, env=engine.client_env()
        )
    if result.returncode != 0:
        tail = "".join(log.read_text().splitlines(keepends=True)[-40:])
        raise SystemExit(f"docker build {what or tag} failed (log {log}):\n{tail}")
    return time.monotonic() - began


def ensure_product() -> str:
    """The product image from the Dockerfile (BuildKit's cache makes an unchanged build quick)."""
    base = ensure_base()
    say(f"image      building {PRODUCT} from Dockerfile on {base}")
    seconds = build(ROOT, PRODUCT, {"PYTHON_IMAGE": base})
    say(f"image      {PRODUCT} ({size(PRODUCT)}) in {seconds:.0f} s")
    return PRODUCT


CONTAINERS = Path(__file__).parent / "containers"
# The services of PAYSTREAM_STACK=containers: ours from Debian, or an official image by name
# (configured alike: the official images' own variables).
SERVICES = {
    "postgres": "PAYSTREAM_POSTGRES_IMAGE",  # e.g. postgres:15-bookworm
    "redis": "PAYSTREAM_REDIS_IMAGE",  # e.g. redis:7-bookworm
    "kafka": "PAYSTREAM_KAFKA_IMAGE",  # e.g. apache/kafka:4.1.1
}


def _service_context(name: str, into: Path) -> None:
    for source in CONTAINERS.glob(f"{name}*"):
        shutil.copy2(source, into / source.name)
    if name == "kafka":
        from devstack.services import kafka

        if not kafka.jars_ready():
            kafka.fetch_jars(say)
        (into / "lib").mkdir()
        for jar in kafka.LIB.glob("*.jar"):
            os.link(jar, into / "lib" / jar.name)


def ensure_service(name: str) -> str:
    """The image of one service: the official one when its variable names it, else ours, built
    once per recipe (Dockerfile, entrypoint, base and, for Kafka, the jars)."""
    if official := os.environ.get(SERVICES[name]):
        return official
    base = ensure_base()
    work = STACK / "images"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        context = Path(tmp)
        _service_context(name, context)
        files = sorted(p for p in context.rglob("*") if p.is_file())
        # The Dockerfile and entrypoint by content, the versioned jars by name.
        recipe = [
            base,
            *(f"{p.name}:{p.read_bytes().hex() if p.parent == context else ''}" for p in files),
        ]
        tag = f"paystream-debian/{name}:{recipe_key(recipe)}"
        if exists(tag):
            return tag
        say(f"image      building {tag} from Debian (once per recipe)")
        seconds = build(context, tag, {"BASE": base}, context / f"{name}.Dockerfile")
        say(f"image      {tag} ({size(tag)}) in {seconds:.0f} s")
    return tag


def cmd_image() -> int:
    started = engine.ensure()
    ensure_product()
    if started:
        say("dockerd left running for the image's users; `./dev down` stops it")
    return 0
