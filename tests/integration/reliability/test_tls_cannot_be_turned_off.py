"""Outbound TLS to WeChat cannot be turned off: the payment service's settings have no such
knob, production demands https, and a client built from production settings — with every
"skip verification" variable people try set in its environment — refuses a self-signed server
and a server whose certificate names another host, while a properly issued certificate works
(so the refusals are the verification, not a broken test server)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from payment.bootstrap import wechat_config
from payment.settings import PaymentSettings
from payment.wechatpay import TlsVerificationError, WeChatPayV2Client, build_ssl_context, xml_codec
from payment.wechatpay.signing import SignType, sign

API_KEY = "tlsTestKey0123456789abcdefABCDEF"
KNOBS = {
    "WECHATPAY_VERIFY": "false",
    "WECHATPAY_VERIFY_TLS": "0",
    "WECHATPAY_TLS_VERIFY": "false",
    "WECHATPAY_SSL_VERIFY": "false",
    "WECHATPAY_INSECURE": "true",
    "WECHATPAY_SKIP_VERIFY": "1",
    "PYTHONHTTPSVERIFY": "0",
    "CURL_CA_BUNDLE": "",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTPX_SSL_VERIFY": "0",
}


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
    names: list[x509.GeneralName],
    ca: bool,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (subject, key)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Issued | Path]:
    """A CA of our own; a leaf it issued for 127.0.0.1, one it issued for another host, and a
    self-signed leaf for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("test CA", ca_key, None, [], ca=True)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    loopback: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    elsewhere: list[x509.GeneralName] = [x509.DNSName("api.mch.weixin.qq.com")]
    made: dict[str, Issued | Path] = {"ca": folder / "ca.pem"}
    for name, names, issuer in (
        ("good", loopback, ("test CA", ca_key)),
        ("other_host", elsewhere, ("test CA", ca_key)),
        ("self_signed", loopback, None),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(name, key, issuer, names, ca=False)
        (folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / f"{name}.key").write_bytes(_key_pem(key))
        made[name] = Issued(folder / f"{name}.pem", folder / f"{name}.key")
    return made


def _answer() -> bytes:
    fields = {
        "return_code": "SUCCESS",
        "result_code": "SUCCESS",
        "appid": "wx0a1b2c3d4e5f6a7b",
        "mch_id": "1900012345",
        "nonce_str": "n" * 32,
        "out_trade_no": "order-tls-1",
        "trade_state": "NOTPAY",
    }
    fields["sign"] = sign(fields, API_KEY, SignType.HMAC_SHA256)
    return xml_codec.encode(fields)


@contextlib.asynccontextmanager
async def tls_server(issued: Issued) -> AsyncIterator[int]:
    """An HTTPS server on a free loopback port presenting `issued`; answers every request with
    a signed NOTPAY order query."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(issued.cert, issued.key)
    body = _answer()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError):
            pass  # the client refused our certificate: exactly what is tested
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
def hostile_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KNOBS.items():
        monkeypatch.setenv(name, value)


def _production_settings(port: int, ca_bundle: Path | None) -> PaymentSettings:
    values: dict[str, object] = {
        "paystream_env": "production",
        "wechatpay_base_url": f"https://127.0.0.1:{port}",
        "wechatpay_appid": "wx0a1b2c3d4e5f6a7b",
        "wechatpay_mch_id": "1900012345",
        "wechatpay_api_key": API_KEY,
        "wechatpay_notify_url": "https://shop.example/wechatpay/v2/notify",
        "wechatpay_connect_timeout_seconds": 5,
        "wechatpay_read_timeout_seconds": 5,
    }
    if ca_bundle is not None:
        values["wechatpay_ca_bundle"] = ca_bundle
    return PaymentSettings.model_validate(values)


async def _query(settings: PaymentSettings) -> str:
    async with WeChatPayV2Client.open(wechat_config(settings)) as client:
        return (await client.order_query("order-tls-1")).trade_state.value


@pytest.mark.usefixtures("hostile_environment")
async def test_a_self_signed_server_is_refused_whatever_the_environment_says(
    pki: dict[str, Issued | Path],
) -> None:
    issued = pki["self_signed"]
    assert isinstance(issued, Issued)
    async with tls_server(issued) as port:
        with pytest.raises(TlsVerificationError):
            await _query(_production_settings(port, ca_bundle=None))


@pytest.mark.usefixtures("hostile_environment")
async def test_a_certificate_for_another_host_is_refused_even_from_a_trusted_ca(
    pki: dict[str, Issued | Path],
) -> None:
    issued, ca = pki["other_host"], pki["ca"]
    assert isinstance(issued, Issued)
    assert isinstance(ca, Path)
    async with tls_server(issued) as port:
        with pytest.raises(TlsVerificationError):
            await _query(_production_settings(port, ca_bundle=ca))


@pytest.mark.usefixtures("hostile_environment")
async def test_a_properly_issued_certificate_is_accepted(pki: dict[str, Issued | Path]) -> None:
    issued, ca = pki["good"], pki["ca"]
    assert isinstance(issued, Issued)
    assert isinstance(ca, Path)
    async with tls_server(issued) as port:
        assert await _query(_production_settings(port, ca_bundle=ca)) == "NOTPAY"


def test_production_demands_https_to_wechat_and_for_the_notify_url() -> None:
    with pytest.raises(ValidationError, match="must be https"):
        PaymentSettings.model_validate(
            _production_settings(1, None).model_dump() | {"wechatpay_base_url": "http://x"}
        )
    with pytest.raises(ValidationError, match="must be https"):
        PaymentSettings.model_validate(
            _production_settings(1, None).model_dump()
            | {"wechatpay_notify_url": "http://shop.example/n"}
        )


def test_no_setting_names_tls_verification() -> None:
    """The only TLS settings are what to trust (a CA bundle) and the merchant's own
    certificate; nothing says whether to verify."""
    # GRPC_TLS_CERT/KEY/CA name the service's own mutual-TLS certificate and CA
    # (runtime.grpc_tls), which is always verified: what to present and trust, not whether.
    names = set(PaymentSettings.model_fields) - {"grpc_tls_cert", "grpc_tls_key", "grpc_tls_ca"}
    suspicious = {
        n for n in names if any(w in n for w in ("verify", "insecure", "ssl", "tls", "skip"))
    }
    assert suspicious == set()
    context = build_ssl_context(wechat_config(_production_settings(1, None)))
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
