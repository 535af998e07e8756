"""The Dockerfile builds what the manifests expect (read statically: no Docker engine here)."""

from __future__ import annotations

import re
import tomllib

from devstack.layout import ROOT
from tests.unit.deploy.manifests import Doc, pod_spec, workloads
from tests.unit.deploy.processes import PROCESSES

DOCKERFILE = (ROOT / "Dockerfile").read_text()
INSTRUCTIONS = [
    line.strip()
    for line in re.sub(r"\\\n\s*", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


def _stages() -> list[list[str]]:
    stages: list[list[str]] = []
    for line in INSTRUCTIONS:
        if line.startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_the_image_is_a_multi_stage_build_on_python_311_slim() -> None:
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.MULTILINE)
    assert base is not None
    assert base.group(1).startswith("python:3.11-slim")
    stages = _stages()
    assert len(stages) >= 2
    assert all(stage[0].startswith("FROM ${PYTHON_IMAGE}") for stage in stages)
    assert "COPY --from=build /opt/paystream /opt/paystream" in stages[-1]


def test_dependencies_come_from_the_lock_and_never_the_dev_extra() -> None:
    pip_installs = [line for line in INSTRUCTIONS if "pip install" in line]
    assert pip_installs
    for line in pip_installs:
        for command in re.findall(r"pip install[^&]*", line):
            assert "-c constraints.txt" in command, command
            assert "[dev]" not in command, command
            assert " -e " not in command, command


def test_the_final_stage_has_no_build_tools_and_writes_no_bytecode() -> None:
    final = " ".join(_stages()[-1])
    for tool in ("gcc", "build-essential", "-dev ", "pip install", "COPY . "):
        assert tool not in final, tool
    assert "PYTHONDONTWRITEBYTECODE=1" in final


def test_the_image_user_is_the_non_root_user_the_pods_run_as(overlay: list[Doc]) -> None:
    user = re.search(r"^USER (\d+):(\d+)$", DOCKERFILE, re.MULTILINE)
    assert user is not None, "USER must be numeric for runAsNonRoot"
    uid, gid = int(user.group(1)), int(user.group(2))
    assert uid != 0
    for workload in workloads(overlay):
        context = pod_spec(workload)["securityContext"]
        assert (context["runAsUser"], context["runAsGroup"]) == (uid, gid)


def test_without_arguments_the_image_names_the_six_processes() -> None:
    cmd = next(line for line in INSTRUCTIONS if line.startswith("CMD "))
    for module in PROCESSES:
        assert module in cmd, module
    assert 'ENTRYPOINT ["/usr/bin/tini", "--"]' in INSTRUCTIONS


def test_the_build_context_holds_every_package_the_processes_need() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    included = {
        line.removeprefix("!").rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    # devstack is the developers' tooling (it needs the dev extra): never in the image.
    assert packages - {"devstack"} <= included
    assert {"pyproject.toml", "constraints.txt", "README.md"} <= included
    assert "devstack" not in included


def test_the_build_needs_no_registry_and_keeps_the_ca_bundle_out_of_the_image() -> None:
    # A `# syntax=` frontend would be pulled; BuildKit's built-in one builds this file.
    assert not DOCKERFILE.startswith("# syntax=")
    for line in INSTRUCTIONS:
        if "pip install" in line:
            assert line.startswith("RUN --mount=type=secret,id=ca "), line
    final = " ".join(_stages()[-1])
    assert "secret" not in final
    assert "PIP_CERT" not in " ".join(line for line in INSTRUCTIONS if line.startswith("ENV "))
