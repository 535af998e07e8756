"""The mutual-TLS settings fail loudly at start: a missing or unusable variable is named and the
process exits 78 (EX_CONFIG), as every other setting does; unset, everything stays plaintext."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack import grpc_certs
from devstack.grpc_certs import Authority
from order.api.settings import ApiSettings
from runtime.grpc_tls import TlsFiles
from runtime.settings import EXIT_CONFIG, load

BASE = {
    "DATABASE_URL": "postgresql://u:p@db.example:5432/paystream",
    "REDIS_URL": "redis://redis.example:6379/0",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka.example:9092",
}
TABLE = json.dumps({name: [grpc_certs.CHECKOUT] for name in ApiSettings.grpc_methods})


@pytest.fixture
def files(tmp_path: Path) -> TlsFiles:
    ca = Authority.create()
    return grpc_certs.write(tmp_path / "order-api", ca.issue([grpc_certs.ORDER_API]), ca.pem)


def _tls(files: TlsFiles) -> dict[str, str]:
    return grpc_certs.environment(files)


def _fails_naming(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    for name, value in {**BASE, **env}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        load(ApiSettings, "order.api")
    assert exited.value.code == EXIT_CONFIG
    return capsys.readouterr().err


def test_unset_means_plaintext(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    settings = load(ApiSettings, "order.api")
    assert (settings.grpc_tls(), settings.authz_table()) == (None, None)


def test_tls_with_its_table_loads(files: TlsFiles, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**BASE, **_tls(files), "GRPC_AUTHZ": TABLE}.items():
        monkeypatch.setenv(name, value)
    settings = load(ApiSettings, "order.api")
    assert settings.grpc_tls() == files
    table = settings.authz_table()
    assert table is not None
    assert table["CancelOrder"] == frozenset([grpc_certs.CHECKOUT])


def test_a_missing_file_variable_is_named(
    files: TlsFiles, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {**_tls(files), "GRPC_AUTHZ": TABLE}
    del env["GRPC_TLS_CA"]
    assert "GRPC_TLS_CA is not set" in _fails_naming(env, monkeypatch, capsys)


def test_tls_without_a_table_is_refused(
    files: TlsFiles, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "GRPC_AUTHZ is not set" in _fails_naming(_tls(files), monkeypatch, capsys)


def test_a_table_without_tls_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _fails_naming({"GRPC_AUTHZ": TABLE}, monkeypatch, capsys)
    assert "GRPC_AUTHZ is invalid" in err
    assert "needs GRPC_TLS_CERT" in err


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ("{not json", "not JSON"),
        ('["CreateOrder"]', "must be a JSON object"),
        (json.dumps({"CreateOrder": ["*"]}), "missing"),
        (
            json.dumps({**json.loads(TABLE), "Refund": ["*"]}),
            "unknown ['Refund']",
        ),
        (json.dumps({**json.loads(TABLE), "GetOrder": ["checkout"]}), "not spiffe://"),
        (json.dumps({**json.loads(TABLE), "GetOrder": "*"}), "must be a list"),
    ],
    ids=[
        "not JSON",
        "not an object",
        "a method missing",
        "an unknown method",
        "a bare name",
        "a string",
    ],
)
def test_a_bad_table_is_named_with_what_is_wrong(
    files: TlsFiles,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    table: str,
    says: str,
) -> None:
    err = _fails_naming({**_tls(files), "GRPC_AUTHZ": table}, monkeypatch, capsys)
    assert "GRPC_AUTHZ is invalid" in err
    assert says in err


def test_a_key_that_is_not_the_certificates_is_refused(
    files: TlsFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = Authority.create().issue([grpc_certs.ORDER_API])
    stray = tmp_path / "stray.key"
    stray.write_bytes(other.key)
    env = {**_tls(files), "GRPC_TLS_KEY": str(stray), "GRPC_AUTHZ": TABLE}
    err = _fails_naming(env, monkeypatch, capsys)
    assert "GRPC_TLS_CERT is invalid" in err
    assert "is not the key of" in err


@pytest.mark.parametrize("content", [b"", b"stand-in\n"])
def test_a_certificate_file_that_is_no_certificate_is_refused(
    files: TlsFiles,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
) -> None:
    files.cert.write_bytes(content)
    err = _fails_naming({**_tls(files), "GRPC_AUTHZ": TABLE}, monkeypatch, capsys)
    assert "GRPC_TLS_CERT is invalid" in err


def test_a_certificate_without_an_identity_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = Authority.create()
    files = grpc_certs.write(tmp_path / "nameless", ca.issue([]), ca.pem)
    err = _fails_naming({**_tls(files), "GRPC_AUTHZ": TABLE}, monkeypatch, capsys)
    assert "must name one spiffe://" in err
