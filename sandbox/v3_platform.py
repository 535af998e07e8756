"""WeChat's side of API v3 in the sandbox: the keys it signs answers and notifies with, in the
two key modes of reference §2.4, and the merchant's key it checks requests against.

- ``certificate``: signs with the platform certificate's key; ``Wechatpay-Serial`` is the
  certificate's serial; ``/v3/certificates`` serves the certificates (encrypted).
- ``public_key``: signs with the "WeChat Pay public key"; ``Wechatpay-Serial`` is its
  ``PUB_KEY_ID_…``; ``/v3/certificates`` answers 404 RESOURCE_NOT_EXISTS.
- ``both`` (a merchant switching over): an answer is signed with the key the request named in
  its ``Wechatpay-Serial`` header (the certificate when it names none or a certificate);
  notifies alternate between the two, one by one. The certificates are still served.

Every signed message carries ``Wechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048``.

A rotation overlaps, as WeChat's does (Corrections): :meth:`Platform.rotate` *publishes* a new
certificate (``/v3/certificates`` lists both, the old one still signs);
:meth:`Platform.start_signing` switches signing to the newest one; :meth:`Platform.retire`
drops every certificate but the signing one.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from payment.wechatpay_v3 import constants as c
from sandbox.v3_crypto import (
    answer_message,
    read_certificate,
    read_private_key,
    read_public_key,
    rsa_sign,
    serial_of,
)
from sandbox.v3_keys import V3KeyFiles, new_platform_certificate

__all__ = ["KeyMode", "Platform", "SigningKey", "V3Merchant", "V3Side", "load_v3"]


class KeyMode(StrEnum):
    CERTIFICATE = "certificate"
    PUBLIC_KEY = "public_key"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class SigningKey:
    serial: str
    private_key: rsa.RSAPrivateKey = field(repr=False)
    certificate: x509.Certificate | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class V3Merchant:
    """The one merchant, as WeChat knows it for v3: its ids, its certificate and APIv3 key."""

    appid: str
    mch_id: str
    serial: str
    public_key: rsa.RSAPublicKey = field(repr=False)
    apiv3_key: bytes = field(repr=False)


class Platform:
    """The platform's signing keys and the current key mode."""

    def __init__(
        self,
        certificate: SigningKey,
        public_key: SigningKey,
        mode: KeyMode,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._initial = certificate
        self._default_mode = mode
        self.public_key = public_key
        self.certificates = [certificate]
        """Every certificate /v3/certificates lists, oldest first."""
        self._signing = certificate
        self.mode = mode
        self.legacy_error_codes = False
        """Spell error codes the v2-era way (SYSTEMERROR, ORDERNOTEXIST…), as some answers
        and documents still do (reference §2.10)."""
        self._clock = clock
        self._turn = itertools.count()

    @property
    def current_certificate(self) -> SigningKey:
        """The certificate that signs (during a rotation, not yet the newest listed)."""
        return self._signing

    def signing_key(self) -> SigningKey:
        """The key a notify is signed with: in ``both``, the two take turns."""
        if self.mode is KeyMode.CERTIFICATE:
            return self._signing
        if self.mode is KeyMode.PUBLIC_KEY:
            return self.public_key
        return self.public_key if next(self._turn) % 2 else self._signing

    def answer_key(self, requested_serial: str | None) -> SigningKey:
        """The key an answer is signed with: in ``both``, the one the request named."""
        if self.mode is KeyMode.BOTH:
            return self.public_key if requested_serial == self.public_key.serial else self._signing
        return self.signing_key()

    def headers(
        self,
        body: bytes,
        *,
        key: SigningKey | None = None,
        serial: str | None = None,
        timestamp: int | None = None,
    ) -> dict[str, str]:
        """The ``Wechatpay-*`` headers of an answer or notify. The keyword arguments exist to
        make wrong ones (fault injection): another key, serial or time."""
        signer = key or self.signing_key()
        stamp = str(timestamp if timestamp is not None else int(self._clock()))
        nonce = secrets.token_hex(16)
        return {
            c.HEADER_TIMESTAMP: stamp,
            c.HEADER_NONCE: nonce,
            c.HEADER_SIGNATURE: rsa_sign(answer_message(stamp, nonce, body), signer.private_key),
            c.HEADER_SIGNATURE_TYPE: c.SIGNATURE_TYPE,
            c.HEADER_SERIAL: serial or signer.serial,
        }

    def listed_certificates(self) -> list[SigningKey]:
        """What ``/v3/certificates`` lists: nothing for a public-key-only merchant."""
        return [] if self.mode is KeyMode.PUBLIC_KEY else list(self.certificates)

    def rotate(self) -> SigningKey:
        """Publishes a new certificate; the one signing now goes on signing."""
        key, certificate = new_platform_certificate()
        published = SigningKey(serial_of(certificate), key, certificate)
        self.certificates.append(published)
        return published

    def start_signing(self) -> SigningKey:
        """Signs with the newest published certificate from now on."""
        self._signing = self.certificates[-1]
        return self._signing

    def retire(self) -> None:
        """Lists only the signing certificate (the old one has expired)."""
        self.certificates = [self._signing]

    def reset(self) -> None:
        self.certificates = [self._initial]
        self._signing = self._initial
        self.mode = self._default_mode
        self.legacy_error_codes = False

    def describe(self) -> dict[str, object]:
        return {
            "key_mode": self.mode.value,
            "legacy_error_codes": self.legacy_error_codes,
            "certificate_serials": [k.serial for k in self.certificates],
            "signing_certificate_serial": self._signing.serial,
            "newest_certificate_serial": self.certificates[-1].serial,
            "public_key_id": self.public_key.serial,
        }


@dataclass(frozen=True, slots=True)
class V3Side:
    """Everything v3 in the sandbox: the merchant as WeChat knows it, and WeChat's keys."""

    merchant: V3Merchant
    platform: Platform


def load_v3(files: V3KeyFiles, *, appid: str, mch_id: str, apiv3_key: str, mode: KeyMode) -> V3Side:
    """The merchant and the platform from the files :func:`sandbox.v3_keys.ensure_v3_files`
    made."""
    merchant = V3Merchant(
        appid=appid,
        mch_id=mch_id,
        serial=files.read_serial(),
        public_key=read_public_key(files.merchant_cert.read_bytes()),
        apiv3_key=apiv3_key.encode(),
    )
    platform_cert = read_certificate(files.platform_cert.read_bytes())
    platform = Platform(
        certificate=SigningKey(
            serial_of(platform_cert),
            read_private_key(files.platform_key.read_bytes()),
            platform_cert,
        ),
        public_key=SigningKey(
            files.read_public_key_id(),
            read_private_key(files.public_key_private.read_bytes()),
        ),
        mode=mode,
    )
    return V3Side(merchant, platform)
