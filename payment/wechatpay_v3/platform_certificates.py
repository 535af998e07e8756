"""Platform certificates (reference §2.4): downloaded, decrypted with the APIv3 key, and
refreshed on a schedule by a background task — never inside a verification.

``GET /v3/certificates`` answers ``{"data": [{"serial_no", "effective_time", "expire_time",
"encrypt_certificate": {"algorithm", "nonce", "associated_data", "ciphertext"}}]}``. Each
certificate is AES-256-GCM-encrypted with the APIv3 key, which only WeChat and the merchant
know: that authenticates it. The answer's own signature is then checked with the keys already
trusted plus the certificates it brings (the first download has nothing else to check with;
wechatpay-go does the same). A merchant in public-key mode gets 404 ``RESOURCE_NOT_EXISTS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import structlog
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from payment.wechatpay.errors import ResponseFormatError, ResponseSignatureError
from payment.wechatpay.mapping import MappingError
from payment.wechatpay_v3 import aead, fields, mapping
from payment.wechatpay_v3 import constants as c
from payment.wechatpay_v3.config import PlatformTrust
from payment.wechatpay_v3.errors import Api
from payment.wechatpay_v3.exchange import Exchange
from payment.wechatpay_v3.key_sources import (
    CombinedKeySource,
    PlatformCertificate,
    PlatformCertificates,
)
from payment.wechatpay_v3.verification import (
    KeySource,
    SignatureVerifier,
    SignedMessage,
    VerificationError,
)

__all__ = [
    "CertificateRefresher",
    "decrypt_certificate",
    "download_certificates",
    "refresher_for",
]

log = structlog.get_logger("payment.wechatpay_v3.certificates")

RETRY_SECONDS = 30.0
"""After a failed download, the next try comes this soon (or at the interval, if sooner)."""


def decrypt_certificate(item: Mapping[str, Any], apiv3_key: bytes) -> PlatformCertificate:
    """One entry of ``data``: decrypted, parsed, and checked against its ``serial_no``."""
    serial = fields.hex_serial(item.get("serial_no"), "serial_no")
    sealed = mapping.json_object(item.get("encrypt_certificate"), "encrypt_certificate")
    if mapping.text(sealed, "algorithm") != c.AEAD_ALGORITHM:
        raise MappingError("encrypt_certificate.algorithm is not AEAD_AES_256_GCM")
    try:
        pem = aead.decrypt(
            apiv3_key,
            mapping.text(sealed, "nonce"),
            mapping.text(sealed, "ciphertext"),
            mapping.optional_text(sealed, "associated_data") or "",
        )
    except aead.DecryptionError as error:
        raise ResponseSignatureError("CERTIFICATE_DECRYPT", f"{serial}: {error}") from None
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise MappingError(f"certificate {serial} is not PEM") from None
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise MappingError(f"certificate {serial} has no RSA key")
    if int(serial, 16) != certificate.serial_number:
        raise MappingError(f"certificate {serial[:40]} carries another serial")
    return PlatformCertificate(
        serial=serial.upper(),
        key=key,
        effective_time=mapping.optional_time(item, "effective_time"),
        expire_time=mapping.optional_time(item, "expire_time"),
    )


async def download_certificates(
    exchange: Exchange,
    apiv3_key: bytes,
    trusted: KeySource,
    *,
    clock: Callable[[], float] = time.time,
    remaining: float | None = None,
) -> list[PlatformCertificate]:
    """The platform certificates WeChat lists now, decrypted and with the answer verified."""
    answer = await exchange.call(
        Api.CERTIFICATES, "GET", c.PATH_CERTIFICATES, None, remaining, verify=False
    )
    try:
        listing = mapping.json_object(answer.json())
        entries = listing.get("data")
        if not isinstance(entries, list) or not entries:
            raise MappingError("data is not a non-empty list")
        certificates = [decrypt_certificate(mapping.json_object(e), apiv3_key) for e in entries]
    except (ValueError, MappingError) as error:
        raise ResponseFormatError("RESPONSE_FORMAT", f"/v3/certificates: {error}") from None
    keys = CombinedKeySource(trusted, PlatformCertificates(certificates))
    try:
        SignatureVerifier(keys, clock=clock).verify(
            SignedMessage.from_headers(answer.headers, answer.body)
        )
    except VerificationError as error:
        raise ResponseSignatureError(f"RESPONSE_{error.reason.upper()}", str(error)) from None
    return certificates


class CertificateRefresher:
    """Keeps a :class:`PlatformCertificates` current: one download at start, then one every
    ``interval`` seconds (sooner again after a failure). Failures are logged; the certificates
    already installed stay in use."""

    def __init__(
        self,
        download: Callable[[], Awaitable[list[PlatformCertificate]]],
        store: PlatformCertificates,
        *,
        interval: float,
        retry_interval: float = RETRY_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._download = download
        self._store = store
        self._interval = interval
        self._retry = min(retry_interval, interval)
        self._sleep = sleep
        self.refreshes = 0

    async def refresh(self) -> None:
        """One download, installed as a whole."""
        certificates = await self._download()
        self._store.replace(certificates)
        self.refreshes += 1
        log.info("platform_certificates_refreshed", serials=self._store.serials)

    async def _refresh_logged(self) -> bool:
        try:
            await self.refresh()
        except Exception as error:
            log.warning(
                "platform_certificates_refresh_failed",
                error=type(error).__name__,
                detail=str(error)[:200],
            )
            return False
        return True

    async def run(self, *, refreshed: bool = True) -> None:
        """Refreshes forever; ``refreshed`` says whether the last attempt worked."""
        while True:
            await self._sleep(self._interval if refreshed else self._retry)
            refreshed = await self._refresh_logged()

    @contextlib.asynccontextmanager
    async def running(self, first_timeout: float = 10.0) -> AsyncIterator[None]:
        """Downloads once (waiting up to ``first_timeout``), then refreshes in the background
        until the block ends. A failed first download does not stop the start: until a
        download works, answers signed with a platform certificate do not verify."""
        try:
            async with asyncio.timeout(first_timeout):
                refreshed = await self._refresh_logged()
        except TimeoutError:
            log.warning("platform_certificates_refresh_failed", error="TimeoutError")
            refreshed = False
        task = asyncio.get_running_loop().create_task(self.run(refreshed=refreshed))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def refresher_for(
    exchange: Exchange,
    trust: PlatformTrust,
    trusted: KeySource,
    store: PlatformCertificates,
    *,
    clock: Callable[[], float] = time.time,
) -> CertificateRefresher:
    """The refresher that keeps ``store`` filled through ``exchange`` (signed requests)."""

    async def download() -> list[PlatformCertificate]:
        return await download_certificates(exchange, trust.apiv3_key_bytes, trusted, clock=clock)

    return CertificateRefresher(download, store, interval=trust.certificate_refresh_seconds)
