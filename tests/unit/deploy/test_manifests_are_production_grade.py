"""What a platform team checks before accepting the manifests, for every overlay."""

from __future__ import annotations

from devstack import k8s
from tests.unit.deploy.manifests import (
    Doc,
    app_name,
    containers,
    named,
    of_kind,
    pod_spec,
    resolved_env,
    secret_refs,
    workloads,
)

STATELESS_SERVICES = {"payment", "order-api", "callback-gateway"}
GRPC_SERVICES = {
    "payment": "paystream.payment.v1.PaymentService",
    "order-api": "paystream.order.v1.OrderService",
}
README = (k8s.K8S_DIR / "README.md").read_text()


def test_every_container_is_locked_down(overlay: list[Doc]) -> None:
    for container in containers(overlay):
        context = container.spec["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, container.name
        assert context["readOnlyRootFilesystem"] is True, container.name
        assert context["capabilities"] == {"drop": ["ALL"]}, container.name
        assert context.get("privileged", False) is False, container.name
        mounts = {m["mountPath"] for m in container.spec.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{container.name}: no writable /tmp"


def test_every_pod_runs_as_a_non_root_user_with_the_default_seccomp_profile(
    overlay: list[Doc],
) -> None:
    for workload in workloads(overlay):
        pod = pod_spec(workload)
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] >= 10000
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        account = named(overlay, "ServiceAccount", pod["serviceAccountName"])
        assert account["automountServiceAccountToken"] is False


def test_every_container_has_requests_and_limits(overlay: list[Doc]) -> None:
    for container in containers(overlay):
        resources = container.spec["resources"]
        for bound in ("requests", "limits"):
            assert set(resources[bound]) == {"cpu", "memory"}, f"{container.name} {bound}"


def test_every_container_runs_the_paystream_image_through_its_entrypoint(
    overlay: list[Doc],
) -> None:
    images = {c.spec["image"] for c in containers(overlay)}
    assert len(images) == 1, images
    for container in containers(overlay):
        # `command` would replace the image's tini entrypoint; the process goes in `args`.
        assert "command" not in container.spec, container.name
        assert container.module is not None, container.name


def test_grpc_services_use_native_grpc_probes(overlay: list[Doc]) -> None:
    """On the gRPC port, or under mutual TLS on the plaintext health-only port (the kubelet's
    gRPC probes speak no TLS)."""
    for container in containers(overlay):
        service = GRPC_SERVICES.get(app_name(container.workload))
        if service is None:
            continue
        ports = container.ports()
        port = ports.get("grpc-health", ports["grpc"])
        spec = container.spec
        assert spec["readinessProbe"]["grpc"] == {"port": port, "service": service}
        assert spec["livenessProbe"]["grpc"] == {"port": port}
        assert spec["startupProbe"]["grpc"] == {"port": port}


def test_the_gateway_probes_healthz_for_liveness_and_readyz_for_readiness(
    overlay: list[Doc],
) -> None:
    gateway = named(overlay, "Deployment", "callback-gateway")
    spec = pod_spec(gateway)["containers"][0]
    assert spec["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert spec["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}


def test_stateless_services_have_a_service_a_disruption_budget_and_an_autoscaler(
    overlay: list[Doc],
) -> None:
    for name in STATELESS_SERVICES:
        deployment = named(overlay, "Deployment", name)
        # The autoscaler owns the replica count; an applied one would fight it.
        assert "replicas" not in deployment["spec"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert named(overlay, "Service", name)["spec"]["selector"] == selector
        assert named(overlay, "PodDisruptionBudget", name)["spec"]["selector"]["matchLabels"] == (
            selector
        )
        hpa = named(overlay, "HorizontalPodAutoscaler", name)["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]
    autoscaled = {
        h["spec"]["scaleTargetRef"]["name"] for h in of_kind(overlay, "HorizontalPodAutoscaler")
    }
    assert autoscaled == STATELESS_SERVICES
    assert {s["metadata"]["name"] for s in of_kind(overlay, "Service")} == STATELESS_SERVICES


def test_services_drain_before_they_stop(overlay: list[Doc]) -> None:
    for name in STATELESS_SERVICES:
        container = next(c for c in containers(overlay) if c.workload["metadata"]["name"] == name)
        assert container.pre_stop_seconds() >= 3, name
        assert container.pod["terminationGracePeriodSeconds"] > container.pre_stop_seconds()


def test_the_reconciler_is_one_cronjob_a_minute_that_never_overlaps(overlay: list[Doc]) -> None:
    cronjobs = of_kind(overlay, "CronJob")
    assert [c["metadata"]["name"] for c in cronjobs] == ["order-reconcile"]
    spec = cronjobs[0]["spec"]
    assert spec["schedule"] == "* * * * *"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert 0 < spec["startingDeadlineSeconds"] < 60
    assert spec["successfulJobsHistoryLimit"] >= 1
    assert spec["failedJobsHistoryLimit"] >= 1
    job = spec["jobTemplate"]["spec"]
    assert 0 < job["activeDeadlineSeconds"] < 60
    assert job["template"]["spec"]["restartPolicy"] == "Never"


def test_the_migrations_job_runs_order_migrate_once_to_completion(overlay: list[Doc]) -> None:
    jobs = of_kind(overlay, "Job")
    assert [j["metadata"]["name"] for j in jobs] == ["migrations"]
    pod = pod_spec(jobs[0])
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["args"] == ["python", "-m", "order.migrate"]


def test_order_workers_never_outnumber_the_partitions_they_share(overlay: list[Doc]) -> None:
    replicas = named(overlay, "Deployment", "order-worker")["spec"]["replicas"]
    topic = named(overlay, "KafkaTopic", "payment.observations")
    assert 1 <= replicas <= topic["spec"]["partitions"]


def test_kafka_topics_keep_observations_long_enough_for_a_stuck_worker(
    overlay: list[Doc],
) -> None:
    week_ms = 7 * 24 * 3600 * 1000
    topics = {t["metadata"]["name"]: t["spec"] for t in of_kind(overlay, "KafkaTopic")}
    assert set(topics) == {"payment.observations", "order.events", "payment.observations.dlq"}
    for spec in topics.values():
        assert int(spec["config"]["retention.ms"]) >= week_ms
        # acks=all means something only when a write needs more than one replica, if there are.
        assert int(spec["config"]["min.insync.replicas"]) == min(2, spec["replicas"])


def test_no_secret_value_is_in_the_manifests(overlay: list[Doc]) -> None:
    assert of_kind(overlay, "Secret") == []


def test_every_secret_the_manifests_use_is_documented(rendered: dict[str, list[Doc]]) -> None:
    for docs in rendered.values():
        for name, key in secret_refs(docs):
            assert f"`{name}`" in README, f"Secret {name} is not in deploy/k8s/README.md"
            if key is not None:
                rows = [line for line in README.splitlines() if f"`{name}`" in line]
                assert any(f"`{key}`" in row for row in rows), f"{name}/{key} not documented"


def test_production_requires_mutual_tls_on_every_grpc_call(rendered: dict[str, list[Doc]]) -> None:
    """Every gRPC server of production serves mutual TLS with a table and no reflection, every
    gRPC caller presents a certificate cert-manager issues, and health goes to its own port."""
    docs = rendered["production"]
    issued = {c["spec"]["secretName"] for c in of_kind(docs, "Certificate")}
    callers = {"payment", "order-api", "order-reconcile"}
    for container in containers(docs):
        name = app_name(container.workload)
        if name not in callers:
            continue
        env = resolved_env(container, docs)
        tls_files = {env[v] for v in ("GRPC_TLS_CERT", "GRPC_TLS_KEY", "GRPC_TLS_CA")}
        assert {container.secret_files()[f] for f in tls_files} <= issued, container.name
        if name in GRPC_SERVICES:
            assert env["GRPC_AUTHZ"], container.name
            assert env["GRPC_REFLECTION"] == "false", container.name
            assert int(env["GRPC_HEALTH_PORT"]) == container.ports()["grpc-health"]
