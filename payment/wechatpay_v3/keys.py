"""Reading the v3 key material: the merchant's private key, WeChat Pay's public key or
certificates (reference §2.2, §2.4). Only RSA keys of at least 2048 bits are accepted.

A problem reading a file raises :class:`payment.wechatpay.errors.ConfigurationError` naming the
file, never its contents.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from payment.wechatpay.errors import ConfigurationError

__all__ = [
    "MIN_RSA_BITS",
    "certificate_serial",
    "load_certificate",
    "load_private_key",
    "load_public_key",
    "parse_private_key",
    "parse_public_key",
]

MIN_RSA_BITS = 2048


def _invalid(what: str, problem: str) -> ConfigurationError:
    return ConfigurationError("CONFIGURATION", f"{what}: {problem}")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise _invalid(what, f"cannot read {path} ({error.strerror})") from None


def parse_private_key(pem: bytes, what: str = "private key") -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (PKCS#8, as the merchant platform hands out, or PKCS#1)."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise _invalid(what, "not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_RSA_BITS:
        raise _invalid(what, f"not an RSA key of at least {MIN_RSA_BITS} bits")
    return key


def parse_public_key(pem: bytes, what: str = "public key") -> rsa.RSAPublicKey:
    """An RSA public key from PEM: a bare public key (WeChat Pay's ``pub_key.pem``) or a
    certificate (a platform certificate)."""
    key: object
    try:
        if b"-----BEGIN CERTIFICATE-----" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise _invalid(what, "not a PEM public key or certificate") from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_RSA_BITS:
        raise _invalid(what, f"not an RSA key of at least {MIN_RSA_BITS} bits")
    return key


def load_private_key(path: Path, what: str = "merchant private key") -> rsa.RSAPrivateKey:
    return parse_private_key(_read(path, what), f"{what} {path}")


def load_public_key(path: Path, what: str = "WeChat Pay public key") -> rsa.RSAPublicKey:
    return parse_public_key(_read(path, what), f"{what} {path}")


def load_certificate(path: Path, what: str = "certificate") -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(_read(path, what))
    except ValueError:
        raise _invalid(f"{what} {path}", "not a PEM certificate") from None


def certificate_serial(certificate: x509.Certificate) -> str:
    """The serial as WeChat writes it: the upper-case hex of the serial number's big-endian
    bytes, a leading zero nibble kept (reference Corrections; what ``openssl x509 -serial``
    prints and wechatpay-go sends since v0.2.5). Formatting the number as an integer drops that
    zero for about one certificate in sixteen, and WeChat then answers 401 SIGN_ERROR."""
    digits = f"{certificate.serial_number:X}"
    return digits if len(digits) % 2 == 0 else f"0{digits}"
