"""deploy/k8s/components/wechatpay-v3 on top of the production overlay, as an enabling overlay
would use it: every variable it sets is a setting, and payment gets a complete v3 configuration
and the gateway one that verifies v3 notifies."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import yaml
from pydantic_settings import BaseSettings

from callback_gateway.settings import GatewaySettings
from devstack import grpc_certs, k8s
from devstack.grpc_certs import Authority
from payment.settings import ApiVersion, PaymentSettings
from tests.unit.deploy.manifests import Container, Doc, containers, resolved_env
from tests.unit.deploy.processes import env_names

# What the enabling overlay adds to paystream-config (the component's own comment says so).
V3_CONFIG = [
    "WECHATPAY_V3_CERT_SERIAL=5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
    "WECHATPAY_V3_PUBLIC_KEY_ID=PUB_KEY_ID_0114232134912410000000000000",
    "WECHATPAY_NOTIFY_URL=https://pay.example.com/wechatpay/v3/notify",
]


@pytest.fixture(scope="module")
def enabled() -> list[Doc]:
    with tempfile.TemporaryDirectory() as tmp:

        def relative(path: Path) -> str:
            return os.path.relpath(path, tmp)

        Path(tmp, "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "resources": [relative(k8s.OVERLAYS / "production")],
                    "components": [relative(k8s.COMPONENTS / "wechatpay-v3")],
                    "configMapGenerator": [
                        {"name": "paystream-config", "behavior": "merge", "literals": V3_CONFIG}
                    ],
                }
            )
        )
        return k8s.documents(k8s.render(Path(tmp)))


def _container(docs: list[Doc], module: str) -> Container:
    (found,) = [c for c in containers(docs) if c.module == module]
    return found


def _settings(
    docs: list[Doc],
    module: str,
    settings_class: type[BaseSettings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> BaseSettings:
    container = _container(docs, module)
    env = resolved_env(container, docs)
    unknown = set(env) - set(env_names(settings_class))
    assert not unknown, f"{module}: {sorted(unknown)} are not settings"
    provided = container.secret_files()
    for var, value in env.items():
        if value in provided:  # a file of a mounted Secret: a stand-in file
            stand_in = tmp_path / provided[value] / Path(value).name
            if provided[value].startswith("paystream-grpc-"):  # cert-manager's: a real one
                ca = Authority.create()
                grpc_certs.write(stand_in.parent, ca.issue([grpc_certs.PAYMENT]), ca.pem)
            else:
                stand_in.parent.mkdir(parents=True, exist_ok=True)
                stand_in.write_text("stand-in\n")
            env[var] = str(stand_in)
    for var in env_names(settings_class):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    return settings_class()


def test_payment_gets_a_complete_v3_configuration(
    enabled: list[Doc], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = _settings(enabled, "payment", PaymentSettings, monkeypatch, tmp_path)
    assert isinstance(settings, PaymentSettings)
    assert settings.wechatpay_api_version is ApiVersion.V3
    assert settings.missing_v3(signing=True) == []


def test_the_gateway_verifies_v3_without_the_merchants_private_key(
    enabled: list[Doc], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = _settings(enabled, "callback_gateway", GatewaySettings, monkeypatch, tmp_path)
    assert isinstance(settings, GatewaySettings)
    assert settings.v3_configured
    assert settings.wechatpay_v3_private_key is None
    assert settings.wechatpay_v3_public_key is not None
