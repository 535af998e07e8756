"""Certificates for the gRPC services' mutual TLS off Kubernetes (dev tooling, never shipped):
a CA and one certificate per workload, as cert-manager issues them in the cluster
(deploy/k8s/components/grpc-mtls), with the workload's SPIFFE ID as URI SAN and localhost /
127.0.0.1 for the server side. `./dev demo --tls`, the tests and the benchmarks use them.

Identities: ``spiffe://paystream.local/ns/<namespace>/sa/<service account>``. The local tables
(:func:`local_tables`) let the shop and the demo driver place orders and QR codes, and only
order-api and the reconciler move money (Refund, CloseOrder), as in the cluster.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from order.api.settings import ApiSettings
from runtime.grpc_tls import TlsFiles

TRUST_DOMAIN = "paystream.local"
NAMESPACE = "paystream"
SHOP_NAMESPACE = "shop"
DAY = datetime.timedelta(days=1)


def spiffe_id(account: str, namespace: str = NAMESPACE, domain: str = TRUST_DOMAIN) -> str:
    return f"spiffe://{domain}/ns/{namespace}/sa/{account}"


PAYMENT = spiffe_id("payment")
ORDER_API = spiffe_id("order-api")
RECONCILER = spiffe_id("order-reconcile")
CHECKOUT = spiffe_id("checkout", SHOP_NAMESPACE)
"""The demo shop's cashier (sandbox.shop), a shop service in its own namespace."""
DEMO = spiffe_id("demo", SHOP_NAMESPACE)
"""`./dev demo`'s own calls, as one more shop service."""
WORKLOADS = {
    "payment": PAYMENT,
    "order-api": ORDER_API,
    "order-reconcile": RECONCILER,
    "checkout": CHECKOUT,
    "demo": DEMO,
}


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Issued:
    cert: bytes
    key: bytes


@dataclass(frozen=True)
class Authority:
    """A CA that signs workload certificates (ECDSA P-256, as cert-manager's component asks)."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, name: str = "paystream local gRPC CA") -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - DAY)
            .not_valid_after(_now() + 3650 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @property
    def pem(self) -> bytes:
        return _pem(self.cert)

    def issue(
        self,
        uris: Iterable[str],
        *,
        dns: Iterable[str] = ("localhost",),
        ips: Iterable[str] = ("127.0.0.1",),
        not_before: datetime.datetime | None = None,
        not_after: datetime.datetime | None = None,
    ) -> Issued:
        """A leaf for both ends of a connection (server and client auth)."""
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(u) for u in uris]
        names += [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "paystream")]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or _now() - DAY)
            .not_valid_after(not_after or _now() + 90 * DAY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return Issued(_pem(cert), key_pem)


def write(directory: Path, issued: Issued, ca_pem: bytes) -> TlsFiles:
    """tls.crt, tls.key and ca.crt (the names cert-manager's Secrets use), key private."""
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "tls.crt", directory / "tls.key", directory / "ca.crt")
    for path, data in ((files.cert, issued.cert), (files.key, issued.key), (files.ca, ca_pem)):
        temporary = path.with_suffix(".new")
        temporary.write_bytes(data)
        temporary.chmod(0o600)
        temporary.replace(path)  # atomic, as a rotated Secret's files change
    return files


def ensure_local(home: Path) -> dict[str, TlsFiles]:
    """A CA and one certificate per workload under ``home/grpc-tls`` (kept while they have a
    week to live; otherwise made again)."""
    root = home / "grpc-tls"
    found = {name: _files(root / name) for name in WORKLOADS}
    if all(_fresh(files) for files in found.values()):
        return found
    ca = Authority.create()
    return {name: write(root / name, ca.issue([uri]), ca.pem) for name, uri in WORKLOADS.items()}


def _files(directory: Path) -> TlsFiles:
    return TlsFiles(directory / "tls.crt", directory / "tls.key", directory / "ca.crt")


def _fresh(files: TlsFiles) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        files.load()
    except (OSError, ValueError):
        return False
    return cert.not_valid_after_utc - _now() > 7 * DAY


def local_tables() -> dict[str, str]:
    """GRPC_AUTHZ for each server, by workload name: the shop places orders and QR codes and
    may cancel; only order-api and the reconciler close and refund at WeChat, and only the
    reconciler reads trade bills."""
    shop = [CHECKOUT, DEMO]
    payment = {
        "CreateNative": shop,
        "QueryStatus": [*shop, ORDER_API, RECONCILER],
        "CloseOrder": [ORDER_API, RECONCILER],
        "Refund": [ORDER_API, RECONCILER],
        "QueryRefund": [ORDER_API, RECONCILER],
        "DownloadTradeBill": [RECONCILER],
    }
    order = {name: shop for name in sorted(ApiSettings.grpc_methods)}
    return {"payment": json.dumps(payment), "order-api": json.dumps(order)}


def environment(files: TlsFiles, table: str | None = None) -> dict[str, str]:
    """The GRPC_TLS_* variables for one process (and GRPC_AUTHZ for a server)."""
    env = {
        "GRPC_TLS_CERT": str(files.cert),
        "GRPC_TLS_KEY": str(files.key),
        "GRPC_TLS_CA": str(files.ca),
    }
    return env | ({"GRPC_AUTHZ": table} if table is not None else {})
