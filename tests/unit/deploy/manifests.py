"""Reading rendered manifests: the workloads, their containers, their environment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Doc = dict[str, Any]

WORKLOAD_KINDS = ("Deployment", "CronJob", "Job")

# What a secretKeyRef stands for when the settings class is built from a manifest's environment:
# plausible values of the right shape (the real ones live in Secrets, never in the repository).
SECRET_EXAMPLES: Mapping[tuple[str, str], str] = {
    ("paystream-wechatpay", "api-key"): "0123456789abcdef0123456789abcdef",
    ("paystream-database", "url"): "postgresql://paystream:example@postgres.example:5432/paystream",
    (
        "paystream-database-migrate",
        "url",
    ): "postgresql://owner:example@postgres.example:5432/paystream",
    ("paystream-redis", "url"): "redis://:example@redis.example:6379/0",
    ("paystream-wechatpay-v3", "apiv3-key"): "0123456789abcdef0123456789abcdef",
}

# The files of Secrets that are mounted whole (without `items`), by their documented keys.
SECRET_FILES: Mapping[str, tuple[str, ...]] = {
    "paystream-wechatpay-client-cert": ("tls.crt", "tls.key"),
    # Issued by cert-manager (components/grpc-mtls): what its kubernetes.io/tls Secrets hold.
    "paystream-grpc-payment": ("tls.crt", "tls.key", "ca.crt"),
    "paystream-grpc-order-api": ("tls.crt", "tls.key", "ca.crt"),
    "paystream-grpc-order-reconcile": ("tls.crt", "tls.key", "ca.crt"),
}


@dataclass(frozen=True)
class Container:
    """One container of one workload, with the pod it runs in."""

    workload: Doc
    pod: Doc
    spec: Doc

    @property
    def name(self) -> str:
        return f"{self.workload['kind']}/{self.workload['metadata']['name']}"

    @property
    def module(self) -> str | None:
        """X in `python -m X`, or None when the container runs something else."""
        args = self.spec.get("args", [])
        if len(args) >= 3 and args[0] == "python" and args[1] == "-m":
            return str(args[2])
        return None

    def env(self) -> dict[str, Doc]:
        return {item["name"]: item for item in self.spec.get("env", [])}

    def ports(self) -> dict[str, int]:
        return {p["name"]: int(p["containerPort"]) for p in self.spec.get("ports", [])}

    def secret_files(self) -> dict[str, str]:
        """Path of each file the container's Secret volumes provide → the Secret's name."""
        volumes = {v["name"]: v["secret"] for v in self.pod.get("volumes", []) if "secret" in v}
        files: dict[str, str] = {}
        for mount in self.spec.get("volumeMounts", []):
            secret = volumes.get(mount["name"])
            if secret is None:
                continue
            name = secret["secretName"]
            items = secret.get("items")
            paths = [i["path"] for i in items] if items else SECRET_FILES[name]
            files.update({f"{mount['mountPath']}/{path}": name for path in paths})
        return files

    def pre_stop_seconds(self) -> int:
        pre_stop = self.spec.get("lifecycle", {}).get("preStop", {})
        return int(pre_stop.get("sleep", {}).get("seconds", 0))


def pod_spec(workload: Doc) -> Doc:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    result: Doc = spec["template"]["spec"]
    return result


def of_kind(docs: Sequence[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: Sequence[Doc], kind: str, name: str) -> Doc:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def workloads(docs: Sequence[Doc]) -> list[Doc]:
    return [d for d in docs if d["kind"] in WORKLOAD_KINDS]


def containers(docs: Sequence[Doc]) -> Iterator[Container]:
    for workload in workloads(docs):
        pod = pod_spec(workload)
        for spec in [*pod.get("initContainers", []), *pod["containers"]]:
            yield Container(workload, pod, spec)


def app_name(doc: Doc) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/name"])


def config_map_data(docs: Sequence[Doc]) -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d.get("data", {}) for d in of_kind(docs, "ConfigMap")}


def resolved_env(container: Container, docs: Sequence[Doc]) -> dict[str, str]:
    """The container's environment as the process would see it (Secrets by their examples)."""
    maps = config_map_data(docs)
    values: dict[str, str] = {}
    for name, item in container.env().items():
        if "value" in item:
            values[name] = str(item["value"])
            continue
        source = item["valueFrom"]
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            values[name] = maps[ref["name"]][ref["key"]]
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            values[name] = SECRET_EXAMPLES[(ref["name"], ref["key"])]
    return values


def secret_refs(docs: Sequence[Doc]) -> set[tuple[str, str | None]]:
    """Every (Secret, key) the manifests use; key None where a whole Secret is mounted."""
    refs: set[tuple[str, str | None]] = set()
    for container in containers(docs):
        for item in container.env().values():
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                refs.add((ref["name"], ref["key"]))
    for workload in workloads(docs):
        for volume in pod_spec(workload).get("volumes", []):
            if "secret" in volume:
                items = volume["secret"].get("items")
                name = volume["secret"]["secretName"]
                if items:
                    refs.update((name, item["key"]) for item in items)
                else:
                    refs.add((name, None))
    for ingress in of_kind(docs, "Ingress"):
        refs.update((tls["secretName"], None) for tls in ingress["spec"].get("tls", []))
    return refs
