"""The manifests and the code agree: commands, environment variables, ports, probes, paths.

A process whose settings class does not exist yet is skipped with the reason (see `pytest -ra`);
its checks start to run, and must pass, as soon as the class lands.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool
from pydantic import ValidationError
from pydantic_settings import BaseSettings
from starlette.routing import Route

import paystream
from devstack import grpc_certs
from devstack.grpc_certs import Authority
from runtime.metrics import LIVENESS_PATH
from tests.unit.deploy.conftest import OVERLAYS
from tests.unit.deploy.manifests import (
    Container,
    Doc,
    containers,
    named,
    of_kind,
    resolved_env,
)
from tests.unit.deploy.processes import PROCESSES, Found, effective, entry_file, env_names
from tests.unit.deploy.processes import settings_class as find_settings

# Time a process needs after its shutdown grace: closing clients, flushing the Kafka producer.
SHUTDOWN_MARGIN_SECONDS = 10


def _running(docs: list[Doc], module: str) -> list[Container]:
    return [c for c in containers(docs) if c.module == module]


def _instances(rendered: dict[str, list[Doc]], module: str) -> Iterator[tuple[Container, Doc]]:
    for name in OVERLAYS:
        for container in _running(rendered[name], module):
            yield container, {"overlay": name, "docs": rendered[name]}


def _settings(module: str) -> type[BaseSettings]:
    found = find_settings(module)
    if not isinstance(found, Found):
        pytest.skip(found.reason)
    return found.settings


def test_every_container_runs_one_of_the_six_processes(overlay: list[Doc]) -> None:
    assert {c.module for c in containers(overlay)} == set(PROCESSES)


@pytest.mark.parametrize("module", sorted(PROCESSES))
def test_the_command_is_a_module_python_can_run(module: str) -> None:
    entry = entry_file(module)
    if entry is None:
        pytest.skip(f"`python -m {module}` has no entry module yet ({PROCESSES[module]})")
    assert entry.is_file()


def test_every_config_key_a_container_reads_exists(overlay: list[Doc]) -> None:
    maps = {d["metadata"]["name"]: d.get("data", {}) for d in overlay if d["kind"] == "ConfigMap"}
    for container in containers(overlay):
        for item in container.env().values():
            ref = item.get("valueFrom", {}).get("configMapKeyRef")
            if ref:
                assert ref["key"] in maps[ref["name"]], f"{container.name}: {ref['key']}"


@pytest.mark.parametrize("module", sorted(PROCESSES))
def test_every_variable_the_manifests_set_is_a_setting_of_the_process(
    rendered: dict[str, list[Doc]], module: str
) -> None:
    settings = _settings(module)
    known = env_names(settings)
    for container, where in _instances(rendered, module):
        unknown = set(container.env()) - set(known)
        assert not unknown, (
            f"{where['overlay']} {container.name} sets {sorted(unknown)}, which "
            f"{settings.__module__}.{settings.__name__} does not read; it reads {sorted(known)}"
        )


def _with_secret_files(
    container: Container, env: dict[str, str], root: Path, docs: list[Doc]
) -> dict[str, str]:
    """The environment with paths into Secret volumes pointing at stand-in files under root.

    A path into a Secret's mount must be a file that Secret provides (a key it mounts). A Secret
    a cert-manager Certificate of the manifests issues gets a real certificate with that
    Certificate's URIs (from a CA of the test), so its identity passes the settings' checks.
    """
    provided = container.secret_files()
    mounts = {m["mountPath"] for m in container.spec.get("volumeMounts", [])}
    issued = {c["spec"]["secretName"]: c["spec"] for c in of_kind(docs, "Certificate")}
    result = dict(env)
    for var, value in env.items():
        if any(value.startswith(f"{mount}/") for mount in mounts):
            assert value in provided, f"{container.name}: {var}={value} is no file of its Secrets"
            secret = provided[value]
            stand_in = root / secret / Path(value).name
            if secret in issued:
                ca = Authority.create()
                grpc_certs.write(root / secret, ca.issue(issued[secret].get("uris", [])), ca.pem)
            else:
                stand_in.parent.mkdir(parents=True, exist_ok=True)
                stand_in.write_text("stand-in for a mounted Secret file\n")
            result[var] = str(stand_in)
    return result


@pytest.mark.parametrize("module", sorted(PROCESSES))
def test_the_manifest_environment_is_a_valid_configuration(
    rendered: dict[str, list[Doc]], module: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every required setting is given, and every value passes the settings' validation."""
    settings = _settings(module)
    for container, where in _instances(rendered, module):
        docs = where["docs"]
        env = _with_secret_files(container, resolved_env(container, docs), tmp_path, docs)
        with monkeypatch.context() as patch:
            for var in env_names(settings):
                patch.delenv(var, raising=False)
            for var, value in env.items():
                patch.setenv(var, value)
            try:
                settings()
            except ValidationError as error:
                pytest.fail(f"{where['overlay']} {container.name}: {error}")


@pytest.mark.parametrize("module", sorted(PROCESSES))
def test_container_ports_are_the_ports_the_process_listens_on(
    rendered: dict[str, list[Doc]], module: str
) -> None:
    settings = _settings(module)
    port_fields = [f for f in settings.model_fields if f.endswith("_port")]
    for container, where in _instances(rendered, module):
        env = resolved_env(container, where["docs"])
        listening = {int(effective(settings, env, f)) for f in port_fields} - {0}
        assert set(container.ports().values()) == listening, (
            f"{where['overlay']} {container.name}: container ports {container.ports()}, "
            f"settings {port_fields} give {sorted(listening)}"
        )
        for name, port in container.ports().items():
            fields = [f for f in port_fields if int(effective(settings, env, f)) == port]
            assert all(("metrics" in f) == (name == "metrics") for f in fields), (name, fields)


@pytest.mark.parametrize("module", sorted(PROCESSES))
def test_processes_with_ports_listen_on_every_interface(
    rendered: dict[str, list[Doc]], module: str
) -> None:
    settings = _settings(module)
    host_fields = [f for f in settings.model_fields if f.endswith("_host")]
    for container, where in _instances(rendered, module):
        env = resolved_env(container, where["docs"])
        for field in host_fields if container.ports() else []:
            assert effective(settings, env, field) in {"0.0.0.0", "::"}, (  # noqa: S104
                f"{where['overlay']} {container.name}: {field} keeps it on loopback, "
                "unreachable for probes and Services"
            )


@pytest.mark.parametrize("module", sorted(PROCESSES))
def test_kubernetes_waits_longer_than_the_process_drains(
    rendered: dict[str, list[Doc]], module: str
) -> None:
    settings = _settings(module)
    if "shutdown_grace_seconds" not in settings.model_fields:
        pytest.skip(f"{settings.__name__} has no shutdown_grace_seconds")
    for container, where in _instances(rendered, module):
        env = resolved_env(container, where["docs"])
        grace = float(effective(settings, env, "shutdown_grace_seconds"))
        needed = container.pre_stop_seconds() + grace + SHUTDOWN_MARGIN_SECONDS
        assert container.pod["terminationGracePeriodSeconds"] >= needed, where["overlay"]


def _gateway_routes() -> dict[str, set[str]]:
    """Path → methods of the gateway app as its composition root builds it."""
    try:
        main = importlib.import_module("callback_gateway.__main__")
        settings_type = importlib.import_module("callback_gateway.settings").GatewaySettings
    except ImportError as error:
        pytest.skip(f"the gateway's composition root does not import yet: {error}")
    settings = settings_type(
        wechatpay_appid="wxd930ea5d5a258f4f",
        wechatpay_mch_id="1900000109",
        wechatpay_api_key="0123456789abcdef0123456789abcdef",
        kafka_bootstrap_servers="kafka.example:9092",
    )
    app = main.bootstrap(settings)
    return {
        route.path: set(route.methods or ()) for route in app.routes if isinstance(route, Route)
    }


def test_gateway_probes_are_get_routes_of_the_gateway(rendered: dict[str, list[Doc]]) -> None:
    routes = _gateway_routes()
    gateway = named(rendered["production"], "Deployment", "callback-gateway")
    spec = gateway["spec"]["template"]["spec"]["containers"][0]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        path = spec[probe]["httpGet"]["path"]
        assert "GET" in routes.get(path, set()), f"{probe} {path} is not a GET route: {routes}"


def test_the_ingress_exposes_exactly_the_gateway_notify_routes(overlay: list[Doc]) -> None:
    routes = _gateway_routes()
    # Probes and metrics are GET routes; a notify endpoint is an ASGI app that takes POST itself.
    readable = {path for path, methods in routes.items() if "GET" in methods}
    notify_routes = set(routes) - readable
    spec = named(overlay, "Ingress", "callback-gateway")["spec"]
    exposed = {p["path"] for rule in spec["rules"] for p in rule["http"]["paths"]}
    assert notify_routes <= exposed, f"notify routes the ingress misses: {notify_routes - exposed}"
    not_served = exposed - notify_routes
    assert not not_served, f"exposed but not served: {not_served}"
    assert not exposed & readable


def test_grpc_readiness_probes_name_services_the_protos_define(overlay: list[Doc]) -> None:
    for info in pkgutil.walk_packages(paystream.__path__, "paystream."):
        if info.name.endswith("_pb2"):
            importlib.import_module(info.name)
    pool = descriptor_pool.Default()
    for container in containers(overlay):
        grpc = container.spec.get("readinessProbe", {}).get("grpc")
        if grpc is not None:
            assert pool.FindServiceByName(grpc["service"]) is not None


@pytest.mark.parametrize("module", ["order.reconcile", "order.migrate"])
def test_a_job_ends_its_work_before_kubernetes_stops_it(
    rendered: dict[str, list[Doc]], module: str
) -> None:
    settings = _settings(module)
    budgets = [
        f
        for f in settings.model_fields
        if f.endswith("_seconds") and any(w in f for w in ("budget", "deadline", "time_limit"))
    ]
    if not budgets:
        pytest.skip(f"{settings.__name__} has no time budget (a *_budget_seconds field) to check")
    for container, where in _instances(rendered, module):
        job = container.workload["spec"]
        if container.workload["kind"] == "CronJob":
            job = job["jobTemplate"]["spec"]
        env = resolved_env(container, where["docs"])
        for field in budgets:
            assert float(effective(settings, env, field)) < job["activeDeadlineSeconds"], field


def test_the_worker_liveness_probe_is_the_endpoint_the_worker_serves(
    rendered: dict[str, list[Doc]],
) -> None:
    settings = _settings("order.worker")
    for container, where in _instances(rendered, "order.worker"):
        probe = container.spec["livenessProbe"]["httpGet"]
        assert probe["path"] == LIVENESS_PATH
        ports = {p["name"]: p["containerPort"] for p in container.spec["ports"]}
        env = resolved_env(container, where["docs"])
        assert ports[probe["port"]] == int(effective(settings, env, "worker_metrics_port"))
        assert float(effective(settings, env, "worker_liveness_seconds")) > float(
            effective(settings, env, "worker_poll_seconds")
        )
