"""A workload whose manifest names a wrong command, env var, port, probe path or ConfigMap key
fails the manifests-as-containers check (test_manifests_run_as_containers.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from devstack.ports import free_port
from tests.integration.deploy import pods

pytestmark = pytest.mark.timeout(60)


def _container(workload: pods.Doc) -> dict[str, Any]:
    container: dict[str, Any] = pods.pod_spec(workload)["containers"][0]
    return container


def _wrong_command(workload: pods.Doc) -> None:
    _container(workload)["args"] = ["python", "-m", "order.wroker"]


def _wrong_env_name(workload: pods.Doc) -> None:
    for item in _container(workload)["env"]:
        if item["name"] == "DATABASE_URL":
            item["name"] = "DATABASE_URI"


def _wrong_port(workload: pods.Doc) -> None:
    _container(workload)["ports"][0]["containerPort"] = free_port()


def _wrong_probe_path(workload: pods.Doc) -> None:
    _container(workload)["readinessProbe"]["httpGet"]["path"] = "/ready"


def _missing_config_key(workload: pods.Doc) -> None:
    for item in _container(workload)["env"]:
        if item["name"] == "WECHATPAY_APPID":
            item["valueFrom"]["configMapKeyRef"]["key"] = "WECHATPAY_APP_ID"


WRONG = {
    "command": ("order-worker", _wrong_command, "order-worker: exited"),
    "env var name": ("order-worker", _wrong_env_name, "order-worker: exited"),
    "container port": ("callback-gateway", _wrong_port, "startupProbe: ConnectError"),
    "probe path": ("callback-gateway", _wrong_probe_path, "readinessProbe: GET /ready: HTTP 404"),
    "ConfigMap key": ("callback-gateway", _missing_config_key, "WECHATPAY_APP_ID does not exist"),
}


@pytest.mark.parametrize("what", WRONG)
def test_a_workload_with_a_wrong_manifest_fails(
    what: str, manifests: dict[str, pods.Doc], cluster: pods.Cluster
) -> None:
    name, spoil, why = WRONG[what]
    workload = copy.deepcopy(manifests[f"Deployment/{name}"])
    (container,) = pods.pod_spec(manifests[f"Deployment/{name}"])["containers"]
    if taken := pods.ports_taken([int(p["containerPort"]) for p in container["ports"]]):
        pytest.fail(f"the manifest's ports {taken} are taken on this machine (host network)")
    spoil(workload)
    with pytest.raises((pods.ProbeFailedError, pods.NotCreatedError), match=why):
        pods.check(cluster, workload, timeout=6)
