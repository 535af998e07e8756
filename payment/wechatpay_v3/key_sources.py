"""The key sources a :class:`payment.wechatpay_v3.verification.Verifier` picks from, by
``Wechatpay-Serial`` (reference §2.4):

- :class:`PublicKeySource`: the "WeChat Pay public key" (``pub_key.pem``) and its id
  ``PUB_KEY_ID_…``, configured once; what merchants onboarded recently have.
- :class:`PlatformCertificates`: the platform certificates downloaded from ``/v3/certificates``;
  replaced as a whole by the refresher, read by the verifier (no I/O, no lock needed on one loop).
- :class:`CombinedKeySource`: both, during a switch from certificates to the public key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import rsa

from payment.wechatpay_v3.config import PlatformTrust
from payment.wechatpay_v3.verification import KeySource

__all__ = [
    "CombinedKeySource",
    "PlatformCertificate",
    "PlatformCertificates",
    "PublicKeySource",
    "trusted_keys",
]


class PublicKeySource:
    """One configured public key, named by its id."""

    def __init__(self, key_id: str, key: rsa.RSAPublicKey) -> None:
        self.key_id = key_id
        self._key = key

    def public_key(self, serial: str) -> rsa.RSAPublicKey | None:
        return self._key if serial == self.key_id else None


@dataclass(frozen=True, slots=True)
class PlatformCertificate:
    """One decrypted platform certificate: its serial, its key and its validity."""

    serial: str
    key: rsa.RSAPublicKey
    effective_time: datetime | None = None
    expire_time: datetime | None = None


class PlatformCertificates:
    """The platform certificates known now, by serial (upper-case hex)."""

    def __init__(self, certificates: Iterable[PlatformCertificate] = ()) -> None:
        self._by_serial: Mapping[str, PlatformCertificate] = {}
        self.replace(certificates)

    def replace(self, certificates: Iterable[PlatformCertificate]) -> None:
        """Installs a new set in one assignment: a verification sees the old set or the new."""
        self._by_serial = {cert.serial.upper(): cert for cert in certificates}

    @property
    def serials(self) -> list[str]:
        return sorted(self._by_serial)

    def public_key(self, serial: str) -> rsa.RSAPublicKey | None:
        found = self._by_serial.get(serial.upper())
        return found.key if found is not None else None


class CombinedKeySource:
    """The first source that knows the serial wins (certificate serials and public-key ids never
    collide: the latter start with ``PUB_KEY_ID_``)."""

    def __init__(self, *sources: KeySource) -> None:
        self._sources = sources

    def public_key(self, serial: str) -> rsa.RSAPublicKey | None:
        for source in self._sources:
            key = source.public_key(serial)
            if key is not None:
                return key
        return None


def trusted_keys(trust: PlatformTrust) -> tuple[KeySource, PlatformCertificates | None]:
    """The key source a configuration asks for, and the certificate store a refresher must keep
    filled (None in public-key mode)."""
    sources: list[KeySource] = []
    if trust.public_key is not None and trust.public_key_id is not None:
        sources.append(PublicKeySource(trust.public_key_id, trust.public_key))
    store = PlatformCertificates() if trust.platform_certificates else None
    if store is not None:
        sources.append(store)
    return CombinedKeySource(*sources), store
