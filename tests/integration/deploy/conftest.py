"""The rendered dev overlay, and the ConfigMap and Secrets its pods resolve against."""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devstack import k8s
from devstack.ports import free_port
from tests.conftest import _drop_database, _with_database, service_url
from tests.integration.deploy import pods

REDIS_DB = 15  # the fixtures' per-worker databases are 1..15 only with 15 xdist workers


def _image() -> str:
    image = os.environ.get("PAYSTREAM_IMAGE")
    if not image:
        pytest.fail("PAYSTREAM_IMAGE is not set: build it with `./dev image` or run `./dev test`")
    return image


@pytest.fixture(scope="module")
def manifests() -> dict[str, pods.Doc]:
    docs = k8s.documents(k8s.render(k8s.OVERLAYS / "dev"))
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs}


def _self_signed() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "1900000109")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return {
        "tls.crt": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "tls.key": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    }


def _create_database(template: str | None) -> str:
    base = service_url("DATABASE_URL")
    name = f"test_pods_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{clause}')
    return name


@pytest.fixture(scope="module")
def cluster(
    manifests: dict[str, pods.Doc], template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[pods.Cluster]:
    base = service_url("DATABASE_URL")
    services_db, empty_db = _create_database(template_database), _create_database(None)
    redis_url = f"{service_url('REDIS_URL').rstrip('/').rsplit('/', 1)[0]}/{REDIS_DB}"
    redis.Redis.from_url(redis_url).flushdb()
    config_maps = {
        name.removeprefix("ConfigMap/"): dict(doc["data"])
        for name, doc in manifests.items()
        if name.startswith("ConfigMap/")
    }
    for data in config_maps.values():
        data["KAFKA_BOOTSTRAP_SERVERS"] = service_url("KAFKA_BOOTSTRAP_SERVERS")
        data["PAYMENT_GRPC_TARGET"] = "127.0.0.1:50051"
        data["WECHATPAY_BASE_URL"] = f"https://127.0.0.1:{free_port()}"
    files = tmp_path_factory.mktemp("pods")
    files.chmod(0o755)
    yield pods.Cluster(
        config_maps=config_maps,
        secrets={
            "paystream-wechatpay": {"api-key": uuid.uuid4().hex},
            "paystream-database": {"url": _with_database(base, services_db)},
            "paystream-database-migrate": {"url": _with_database(base, empty_db)},
            "paystream-redis": {"url": redis_url},
            "paystream-wechatpay-client-cert": _self_signed(),
        },
        image=_image(),
        files=files,
    )
    redis.Redis.from_url(redis_url).flushdb()
    _drop_database(base, services_db)
    _drop_database(base, empty_db)
