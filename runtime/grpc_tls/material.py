"""The certificate files a process serves and calls with, and the identity they carry.

**Identity** is the one SPIFFE URI in a certificate's subject alternative names,
``spiffe://<trust domain>/ns/<namespace>/sa/<service account>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

SPIFFE_ID = re.compile(
    r"^spiffe://([a-z0-9.\-_]{1,255})/ns/([a-z0-9\-]{1,63})/sa/([a-z0-9.\-]{1,253})$"
)


class TlsConfigError(ValueError):
    """Certificate files that are missing, unreadable, or do not fit together."""


def spiffe_trust_domain(identity: str) -> str | None:
    """The trust domain of a SPIFFE ID of the ns/<ns>/sa/<sa> form, or None."""
    found = SPIFFE_ID.match(identity)
    return found.group(1) if found else None


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path
    ca: Path

    def stamp(self) -> tuple[tuple[int, int, int], ...]:
        """Changes whenever one of the files is replaced or rewritten (symlinks followed)."""
        stats = [path.stat() for path in (self.cert, self.key, self.ca)]
        return tuple((s.st_ino, s.st_mtime_ns, s.st_size) for s in stats)

    def load(self) -> KeyMaterial:
        """Reads and checks the three files: raises TlsConfigError naming what is wrong."""
        try:
            cert, key, ca = (p.read_bytes() for p in (self.cert, self.key, self.ca))
        except OSError as error:
            raise TlsConfigError(f"cannot read {error.filename}: {error.strerror}") from None
        try:
            chain = x509.load_pem_x509_certificates(cert)
            private_key = serialization.load_pem_private_key(key, password=None)
            x509.load_pem_x509_certificates(ca)
        except ValueError as error:
            raise TlsConfigError(f"not a PEM certificate or unencrypted key: {error}") from None
        own = (
            chain[0]
            .public_key()
            .public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        if own != private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ):
            raise TlsConfigError(f"{self.key} is not the key of {self.cert}")
        identities = certificate_identities(chain[0])
        if len(identities) != 1:
            raise TlsConfigError(
                f"{self.cert} must name one spiffe://<domain>/ns/<ns>/sa/<sa> URI, "
                f"found {identities or 'none'}"
            )
        return KeyMaterial(cert, key, ca, identities[0])


def certificate_identities(cert: x509.Certificate) -> list[str]:
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    uris = names.get_values_for_type(x509.UniformResourceIdentifier)
    return [uri for uri in uris if SPIFFE_ID.match(uri)]


@dataclass(frozen=True)
class KeyMaterial:
    cert: bytes
    key: bytes
    ca: bytes
    identity: str

    @property
    def trust_domain(self) -> str:
        domain = spiffe_trust_domain(self.identity)
        assert domain is not None  # TlsFiles.load admits only such identities
        return domain
