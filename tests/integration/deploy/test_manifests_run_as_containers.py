"""deploy/k8s/overlays/dev, run: every workload's container from the built image, as its pod spec
says (tests/integration/deploy/pods.py), against the local stack, until its probes pass.

The test's ConfigMap is the rendered one with what names the cluster's neighbours pointed at this
machine (Kafka, PaymentService, WeChat: nothing listens on that port, and no probe calls WeChat);
the Secrets are the test's own. The image is `./dev image`'s (`PAYSTREAM_IMAGE`, set by
`./dev test`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from order import migrate
from tests.integration.deploy import pods

pytestmark = pytest.mark.timeout(180)

DEPLOYMENTS = ("payment", "order-api", "callback-gateway", "order-worker")
REDIS_DB = 15  # the fixtures' per-worker databases are 1..15 only with 15 xdist workers


def _container_ports(workload: pods.Doc) -> list[int]:
    (container,) = pods.pod_spec(workload)["containers"]
    return [int(p["containerPort"]) for p in container.get("ports", [])]


@pytest.fixture(scope="module")
def deployments(
    manifests: dict[str, pods.Doc], cluster: pods.Cluster
) -> Iterator[dict[str, pods.Pod]]:
    workloads = [manifests[f"Deployment/{name}"] for name in DEPLOYMENTS]
    wanted = [port for w in workloads for port in _container_ports(w)]
    if taken := pods.ports_taken(wanted):
        pytest.fail(f"the manifests' ports {taken} are taken on this machine (host network)")
    started: dict[str, pods.Pod] = {}
    try:
        for workload in workloads:
            started[workload["metadata"]["name"]] = pods.start(cluster, workload)
        yield started
    finally:
        for pod in started.values():
            pod.remove()


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_each_deployment_passes_its_probes_and_listens_on_its_ports(
    name: str, deployments: dict[str, pods.Pod]
) -> None:
    pod = deployments[name]
    probed = pods.until_probes_pass(pod)
    assert "livenessProbe" in probed
    assert pods.declared_ports_listen(pod) == [
        int(p["containerPort"]) for p in pod.container.get("ports", [])
    ]
    assert pod.running()


def test_one_reconciler_cronjob_pass_runs_to_completion(
    manifests: dict[str, pods.Doc], cluster: pods.Cluster, deployments: dict[str, pods.Pod]
) -> None:
    pods.until_probes_pass(deployments["payment"])
    cronjob = manifests["CronJob/order-reconcile"]
    pod = pods.start(cluster, cronjob)
    try:
        deadline = float(cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"])
        code = pod.wait(timeout=deadline)
        assert code == 0, pod.logs()
        assert "reconcile pass:" in pod.logs()
    finally:
        pod.remove()


def test_the_migrations_job_migrates_an_empty_database(
    manifests: dict[str, pods.Doc], cluster: pods.Cluster
) -> None:
    job = manifests["Job/migrations"]
    pod = pods.start(cluster, job)
    try:
        code = pod.wait(timeout=float(job["spec"]["activeDeadlineSeconds"]))
        assert code == 0, pod.logs()
    finally:
        pod.remove()
    url = cluster.secrets["paystream-database-migrate"]["url"]
    with psycopg.connect(url) as conn:
        applied = conn.execute("SELECT migration_id FROM _yoyo_migration").fetchall()
    assert sorted(row[0] for row in applied) == sorted(
        p.stem for p in Path(migrate.MIGRATIONS).glob("*.sql") if not p.stem.endswith(".rollback")
    )
