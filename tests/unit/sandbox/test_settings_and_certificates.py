"""The sandbox's settings fail loudly; its TLS files are made once and cover its host."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.certificates import ensure_tls_files
from sandbox.settings import SandboxSettings

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SANDBOX_PORT", "eighty"),
        ("SANDBOX_NOTIFY_TIME_SCALE", "0"),
        ("SANDBOX_API_KEY", "too-short"),
    ],
)
def test_a_bad_setting_stops_the_sandbox_naming_the_variable(name: str, value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", name: value},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 78
    assert f"{name} is invalid" in result.stderr


def test_the_defaults_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "TLS_PORT", "STATE_DIR", "NOTIFY_TIME_SCALE"):
        monkeypatch.delenv(f"SANDBOX_{name}", raising=False)
    settings = SandboxSettings()
    assert (settings.host, settings.port, settings.tls_port) == ("127.0.0.1", 8090, 8091)
    assert (settings.state_dir, settings.notify_time_scale) == (Path(".stack/sandbox"), 1.0)
    assert settings.api_key.get_secret_value() not in repr(settings)


def test_tls_files_are_made_once_and_chain_to_the_ca(tmp_path: Path) -> None:
    files = ensure_tls_files(tmp_path, host="127.0.0.1", mch_id="1900000931")
    ca = files.ca_cert.read_bytes()
    again = ensure_tls_files(tmp_path, host="127.0.0.1", mch_id="1900000931")
    assert again.ca_cert.read_bytes() == ca
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=files.ca_cert)
    server.load_cert_chain(files.server_cert, files.server_key)
    client = ssl.create_default_context(cafile=files.ca_cert)
    client.load_cert_chain(files.client_cert, files.client_key)
    assert files.client_key.stat().st_mode & 0o077 == 0


def test_a_new_host_gets_a_server_certificate_that_names_it(tmp_path: Path) -> None:
    first = ensure_tls_files(tmp_path, host="127.0.0.1", mch_id="1").server_cert.read_bytes()
    second = ensure_tls_files(tmp_path, host="sandbox.internal", mch_id="1")
    assert second.server_cert.read_bytes() != first
    assert ensure_tls_files(
        tmp_path, host="sandbox.internal", mch_id="1"
    ).server_cert.read_bytes() == (second.server_cert.read_bytes())
