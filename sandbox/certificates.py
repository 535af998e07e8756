"""The sandbox's TLS material, generated on first start into the state folder.

- ``ca.pem``: the sandbox CA. Clients trust it (``ca_bundle_path``) to verify the sandbox.
- ``server.pem`` / ``server.key``: the HTTPS listener's certificate, for localhost, 127.0.0.1,
  ::1 and the configured host.
- ``apiclient_cert.pem`` / ``apiclient_key.pem``: the merchant's client certificate, like the
  files WeChat's merchant platform hands out; the HTTPS listener requires it.

Files are written atomically under a lock, so concurrent first starts agree on one CA.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "PRIVATE_FILE_MODE",
    "TlsFiles",
    "ensure_tls_files",
    "issue_certificate",
    "locked",
    "private_key_pem",
    "sandbox_name",
    "write_file",
]

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_VALIDITY = timedelta(days=3650)
PRIVATE_FILE_MODE = 0o600


@dataclass(frozen=True, slots=True)
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    @classmethod
    def under(cls, folder: Path) -> TlsFiles:
        return cls(
            ca_cert=folder / "ca.pem",
            server_cert=folder / "server.pem",
            server_key=folder / "server.key",
            client_cert=folder / "apiclient_cert.pem",
            client_key=folder / "apiclient_key.pem",
        )

    def all_exist(self) -> bool:
        return all(
            p.exists()
            for p in (
                self.ca_cert,
                self.server_cert,
                self.server_key,
                self.client_cert,
                self.client_key,
            )
        )


def write_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Writes atomically (a temporary file, then a rename)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def private_key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def sandbox_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "paystream WeChat Pay sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue_certificate(
    subject: x509.Name,
    key: PrivateKey,
    issuer: x509.Name,
    issuer_key: PrivateKey,
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _alt_names(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        names.append(x509.DNSName(host))
    else:
        if not address.is_unspecified:
            names.append(x509.IPAddress(address))
    return list(dict.fromkeys(names))


def _generate(files: TlsFiles, host: str, mch_id: str) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = sandbox_name("paystream sandbox CA")
    ca = issue_certificate(
        ca_name,
        ca_key,
        ca_name,
        ca_key,
        [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                True,
            ),
        ],
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = issue_certificate(
        sandbox_name("sandbox.localhost"),
        server_key,
        ca_name,
        ca_key,
        [
            (x509.SubjectAlternativeName(_alt_names(host)), False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = issue_certificate(
        sandbox_name(mch_id),
        client_key,
        ca_name,
        ca_key,
        [
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        ],
    )
    pem = serialization.Encoding.PEM
    write_file(files.server_key, private_key_pem(server_key), PRIVATE_FILE_MODE)
    write_file(files.server_cert, server.public_bytes(pem) + ca.public_bytes(pem))
    write_file(files.client_key, private_key_pem(client_key), PRIVATE_FILE_MODE)
    write_file(files.client_cert, client.public_bytes(pem))
    write_file(files.ca_cert, ca.public_bytes(pem))


def _covers(server_cert: Path, host: str) -> bool:
    certificate = x509.load_pem_x509_certificate(server_cert.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return all(name in names for name in _alt_names(host))


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Holds the state folder's lock: concurrent first starts generate files once."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_tls_files(folder: Path, *, host: str, mch_id: str) -> TlsFiles:
    """The TLS files under ``folder``, generated when missing or not covering ``host``."""
    files = TlsFiles.under(folder)
    with locked(folder):
        if not files.all_exist() or not _covers(files.server_cert, host):
            _generate(files, host, mch_id)
    return files
