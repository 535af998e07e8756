"""Runs a rendered manifest's container as Kubernetes would, with Docker, and probes it.

What the pod spec says is what runs: the image's entrypoint with the container's `command`/`args`,
exactly the env it lists (values, ConfigMap keys, Secret keys; a missing key that is not optional
stops the container from being created, as in Kubernetes), its user and group, a read-only root
filesystem, no capabilities, no privilege escalation, emptyDir volumes as tmpfs and Secret volumes
as read-only files. The container shares the host's network (`--network host`) so that it reaches
the local stack on 127.0.0.1; every address it is given is on this machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

Doc = dict[str, Any]


def docker() -> str:
    """Debian's client when installed (devstack/engine.py), else the one on PATH."""
    client = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else shutil.which("docker")
    assert client is not None, "no docker client"
    return client


class NotCreatedError(Exception):
    """The kubelet would not create this container (e.g. a referenced key is missing)."""


class ProbeFailedError(AssertionError):
    pass


@dataclass
class Cluster:
    """What the pods' references resolve against: one ConfigMap and the Secrets, by name."""

    config_maps: dict[str, dict[str, str]]
    secrets: dict[str, dict[str, str]]
    image: str
    files: Path

    def _ref(self, kind: str, ref: Mapping[str, Any]) -> str | None:
        store = self.config_maps if kind == "configMapKeyRef" else self.secrets
        values = store.get(ref["name"])
        if values is not None and ref["key"] in values:
            return values[ref["key"]]
        if ref.get("optional"):
            return None
        raise NotCreatedError(f"{kind} {ref['name']}/{ref['key']} does not exist")

    def env(self, container: Mapping[str, Any]) -> dict[str, str]:
        env: dict[str, str] = {}
        for item in container.get("env", []):
            if "value" in item:
                env[item["name"]] = str(item["value"])
                continue
            source = item["valueFrom"]
            kind = next(iter(source))
            value = self._ref(kind, source[kind])
            if value is not None:
                env[item["name"]] = value
        return env


@dataclass
class Pod:
    """One running container of a workload: its name, its spec, and how to stop it."""

    workload: str
    spec: Mapping[str, Any]
    container: Mapping[str, Any]
    name: str = field(default_factory=lambda: f"paystream-pod-{uuid.uuid4().hex[:10]}")

    def port(self, port: int | str) -> int:
        if isinstance(port, int):
            return port
        for declared in self.container.get("ports", []):
            if declared.get("name") == port:
                return int(declared["containerPort"])
        raise ProbeFailedError(
            f"{self.workload}: a probe names port {port!r}, which is not declared"
        )

    def running(self) -> bool:
        state = subprocess.run(
            [docker(), "inspect", "--format", "{{.State.Running}}", self.name],
            capture_output=True,
            text=True,
            check=False,
        )
        return state.stdout.strip() == "true"

    def logs(self) -> str:
        result = subprocess.run(
            [docker(), "logs", "--tail", "40", self.name], capture_output=True, text=True
        )
        return result.stdout + result.stderr

    def wait(self, timeout: float) -> int:
        """Waits for the container to exit; its exit code."""
        result = subprocess.run(
            [docker(), "wait", self.name], capture_output=True, text=True, timeout=timeout
        )
        return int(result.stdout.strip())

    def remove(self) -> None:
        subprocess.run([docker(), "rm", "-f", self.name], capture_output=True, check=False)


def pod_spec(workload: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    result: Mapping[str, Any] = spec["template"]["spec"]
    return result


def _secret_volume(cluster: Cluster, pod: Pod, volume: Mapping[str, Any]) -> Path:
    secret = volume["secret"]
    values = cluster.secrets.get(secret["secretName"])
    if values is None:
        raise NotCreatedError(f"Secret {secret['secretName']} does not exist")
    directory: Path = cluster.files / pod.name / str(volume["name"])
    directory.mkdir(parents=True)
    group = pod.spec.get("securityContext", {}).get("fsGroup", 0)
    for key, value in values.items():
        path = directory / key
        path.write_text(value)
        os.chown(path, 0, group)
        path.chmod(secret.get("defaultMode", 0o644))
    return directory


def docker_run_argv(cluster: Cluster, pod: Pod) -> list[str]:
    """The `docker run` that starts pod.container as its pod spec says."""
    container, security = pod.container, pod.spec.get("securityContext", {})
    context = {**security, **container.get("securityContext", {})}
    argv = [docker(), "run", "--detach", "--name", pod.name, "--network", "host"]
    if "runAsUser" in context:
        argv += ["--user", f"{context['runAsUser']}:{context.get('runAsGroup', 0)}"]
    if "fsGroup" in security:
        argv += ["--group-add", str(security["fsGroup"])]
    if context.get("readOnlyRootFilesystem"):
        argv.append("--read-only")
    if context.get("allowPrivilegeEscalation") is False:
        argv += ["--security-opt", "no-new-privileges"]
    for capability in context.get("capabilities", {}).get("drop", []):
        argv += ["--cap-drop", capability]
    volumes = {volume["name"]: volume for volume in pod.spec.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if "emptyDir" in volume:
            argv += ["--tmpfs", f"{mount['mountPath']}:rw,mode=1777"]
        elif "secret" in volume:
            source = _secret_volume(cluster, pod, volume)
            argv += ["--volume", f"{source}:{mount['mountPath']}:ro"]
        else:
            raise NotCreatedError(f"volume {mount['name']}: only emptyDir and secret are run here")
    for name, value in cluster.env(container).items():
        argv += ["--env", f"{name}={value}"]
    command, args = container.get("command"), container.get("args", [])
    if command:
        argv += ["--entrypoint", command[0], cluster.image, *command[1:], *args]
    else:
        argv += [cluster.image, *args]
    return argv


def start(cluster: Cluster, workload: Doc) -> Pod:
    spec = pod_spec(workload)
    (container,) = spec["containers"]
    pod = Pod(workload["metadata"]["name"], spec, container)
    argv = docker_run_argv(cluster, pod)
    subprocess.run(argv, capture_output=True, text=True, check=True)
    return pod


def _grpc_serving(port: int, service: str, timeout: float) -> bool:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)


def probe_once(pod: Pod, probe: Mapping[str, Any]) -> str | None:
    """One probe as the kubelet runs it: None when it passes, else what it saw."""
    timeout = float(probe.get("timeoutSeconds", 1))
    try:
        if "grpc" in probe:
            port = pod.port(probe["grpc"]["port"])
            service = probe["grpc"].get("service", "")
            return None if _grpc_serving(port, service, timeout) else "not SERVING"
        if "httpGet" in probe:
            get = probe["httpGet"]
            url = f"http://127.0.0.1:{pod.port(get['port'])}{get['path']}"
            status = httpx.get(url, timeout=timeout).status_code
            return None if 200 <= status < 400 else f"GET {get['path']}: HTTP {status}"
        if "tcpSocket" in probe:
            with socket.create_connection(("127.0.0.1", pod.port(probe["tcpSocket"]["port"])), 1):
                return None
    except (grpc.RpcError, httpx.HTTPError, OSError) as error:
        return f"{type(error).__name__}: {error}"
    raise ProbeFailedError(f"{pod.workload}: a probe of a kind this harness does not run: {probe}")


PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


def until_probes_pass(pod: Pod, timeout: float = 30.0) -> list[str]:
    """Runs every probe the container declares until each has passed once; their names."""
    probes = {kind: pod.container[kind] for kind in PROBES if kind in pod.container}
    pending = dict(probes)
    deadline = time.monotonic() + timeout
    last: dict[str, str] = {}
    while pending:
        for kind in list(pending):
            seen = probe_once(pod, pending[kind])
            if seen is None:
                del pending[kind]
            else:
                last[kind] = seen
        if not pending:
            break
        if not pod.running() or time.monotonic() > deadline:
            state = "exited" if not pod.running() else f"still failing after {timeout:.0f} s"
            raise ProbeFailedError(
                f"{pod.workload}: {state}; failing: "
                + "; ".join(f"{kind}: {last.get(kind)}" for kind in pending)
                + f"\n--- its log ---\n{pod.logs()}"
            )
        time.sleep(0.25)
    return list(probes)


def declared_ports_listen(pod: Pod) -> list[int]:
    """Every containerPort accepts connections (a port the process does not bind fails)."""
    ports = [int(p["containerPort"]) for p in pod.container.get("ports", [])]
    for port in ports:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                pass
        except OSError as error:
            raise ProbeFailedError(
                f"{pod.workload}: containerPort {port} does not listen: {error}"
            ) from None
    return ports


def check(cluster: Cluster, workload: Doc, timeout: float) -> None:
    """Starts the workload, runs its probes until they pass and its ports, then removes it."""
    pod = start(cluster, workload)
    try:
        until_probes_pass(pod, timeout)
        declared_ports_listen(pod)
    finally:
        pod.remove()


def ports_taken(ports: list[int]) -> list[int]:
    """The ones of ports something on this machine already listens on."""
    taken = []
    for port in ports:
        with socket.socket() as sock:
            # As the servers bind: a connection of a previous run in TIME_WAIT does not count.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("0.0.0.0", port))  # noqa: S104 - only checking the port is free
            except OSError:
                taken.append(port)
    return taken
