"""The network policies and the ingress implement exactly the flows of ARCHITECTURE.md."""

from __future__ import annotations

from collections.abc import Sequence

from tests.unit.deploy.manifests import Doc, app_name, containers, named, of_kind

# Who may call each workload, and whom it may call (besides DNS), as ARCHITECTURE.md draws it.
# Peers: workloads by name; "clients" = the shop's namespaces (paystream.io/client=true);
# "ingress" = the ingress controller; "prometheus" = the scraper; "wechatpay" = HTTPS outside.
INGRESS = {
    "callback-gateway": {("ingress", "http"), ("prometheus", "http")},
    "payment": {
        ("order-api", "grpc"),
        ("order-reconcile", "grpc"),
        ("clients", "grpc"),
        ("prometheus", "metrics"),
    },
    "order-api": {("clients", "grpc"), ("prometheus", "metrics")},
    "order-worker": {("prometheus", "metrics")},
    "order-reconcile": set(),
    "migrations": set(),
}
EGRESS = {
    "callback-gateway": {"kafka"},
    "payment": {"wechatpay"},
    "order-api": {"postgres", "redis", "kafka", "payment"},
    "order-worker": {"kafka", "postgres", "redis"},
    "order-reconcile": {"redis", "postgres", "payment", "kafka"},
    "migrations": {"postgres"},
}
SERVICE_PORTS = {
    "postgres": 5432,
    "redis": 6379,
    "kafka": 9092,
    "wechatpay": 443,
    "pushgateway": 9091,
}
NOTIFY_PATHS = {"/wechatpay/v2/notify", "/wechatpay/v2/refund-notify", "/wechatpay/v3/notify"}


def _peer(peer: Doc) -> str:
    if "ipBlock" in peer:
        assert peer["ipBlock"]["cidr"] == "0.0.0.0/0"
        assert "10.0.0.0/8" in peer["ipBlock"]["except"]
        return "wechatpay"
    namespace = peer.get("namespaceSelector", {}).get("matchLabels", {})
    pods = peer.get("podSelector", {}).get("matchLabels", {})
    if namespace == {"paystream.io/client": "true"}:
        return "clients"
    match namespace.get("kubernetes.io/metadata.name"):
        case None:
            return str(pods["app.kubernetes.io/name"])
        case "ingress-nginx":
            return "ingress"
        case "monitoring":
            monitoring = {"prometheus": "prometheus", "prometheus-pushgateway": "pushgateway"}
            return monitoring[pods["app.kubernetes.io/name"]]
        case other:
            return str(other)


def _ports(rule: Doc) -> set[int]:
    assert rule["ports"], "a rule must name its ports"
    return {int(p["port"]) for p in rule["ports"]}


def _policies(docs: Sequence[Doc]) -> dict[str, Doc]:
    return {
        p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: p
        for p in of_kind(docs, "NetworkPolicy")
        if p["spec"]["podSelector"]
    }


def test_everything_is_denied_unless_allowed(overlay: list[Doc]) -> None:
    deny = named(overlay, "NetworkPolicy", "deny-all")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = named(overlay, "NetworkPolicy", "allow-dns")["spec"]
    assert dns["podSelector"] == {}
    assert "ingress" not in dns
    assert [_ports(rule) for rule in dns["egress"]] == [{53}]


def test_each_workload_has_one_policy_for_both_directions(overlay: list[Doc]) -> None:
    policies = _policies(overlay)
    assert set(policies) == set(INGRESS)
    for policy in policies.values():
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]


def test_ingress_rules_are_exactly_the_architecture_flows(overlay: list[Doc]) -> None:
    ports = {app_name(c.workload): c.ports() for c in containers(overlay)}
    for workload, policy in _policies(overlay).items():
        allowed = set()
        for rule in policy["spec"].get("ingress", []):
            for peer in rule["from"]:
                for port in _ports(rule):
                    named_port = {v: k for k, v in ports[workload].items()}.get(port)
                    assert named_port, f"{workload} allows port {port}, where nothing listens"
                    allowed.add((_peer(peer), named_port))
        assert allowed == INGRESS[workload], workload


def test_egress_rules_are_exactly_the_architecture_flows(overlay: list[Doc]) -> None:
    ports = {app_name(c.workload): c.ports() for c in containers(overlay)}
    has_pushgateway = any(
        e["name"] == "PUSHGATEWAY_URL" for c in containers(overlay) for e in c.spec.get("env", [])
    )
    for workload, policy in _policies(overlay).items():
        allowed = set()
        for rule in policy["spec"].get("egress", []):
            for peer in rule["to"]:
                name = _peer(peer)
                expected_port = ports[name]["grpc"] if name in ports else SERVICE_PORTS[name]
                assert _ports(rule) == {expected_port}, f"{workload} -> {name}"
                allowed.add(name)
        expected = EGRESS[workload] | (
            {"pushgateway"} if workload == "order-reconcile" and has_pushgateway else set()
        )
        assert allowed == expected, workload


def test_only_the_notify_paths_are_public_and_only_over_tls(overlay: list[Doc]) -> None:
    ingresses = of_kind(overlay, "Ingress")
    assert [i["metadata"]["name"] for i in ingresses] == ["callback-gateway"]
    spec = ingresses[0]["spec"]
    hosts = {rule["host"] for rule in spec["rules"]}
    assert hosts <= {h for tls in spec["tls"] for h in tls["hosts"]}
    paths = [p for rule in spec["rules"] for p in rule["http"]["paths"]]
    assert {p["path"] for p in paths} == NOTIFY_PATHS
    for path in paths:
        assert path["pathType"] == "Exact"
        assert path["backend"]["service"] == {"name": "callback-gateway", "port": {"name": "http"}}


def test_the_notify_urls_given_to_wechat_are_served_by_the_ingress(overlay: list[Doc]) -> None:
    config = next(iter(of_kind(overlay, "ConfigMap")))["data"]
    spec = named(overlay, "Ingress", "callback-gateway")["spec"]
    public = {f"https://{r['host']}{p['path']}" for r in spec["rules"] for p in r["http"]["paths"]}
    notify_urls = {key: url for key, url in config.items() if key.endswith("NOTIFY_URL")}
    assert set(notify_urls) == {"WECHATPAY_NOTIFY_URL", "WECHATPAY_REFUND_NOTIFY_URL"}
    for key, url in notify_urls.items():
        assert url in public, f"{key}={url} is not served by the ingress ({sorted(public)})"
