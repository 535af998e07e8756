"""The sandbox's API v3 key material, generated on first start into ``<state dir>/v3/``
(RSA 2048, like WeChat's), next to the v2 TLS files of :mod:`sandbox.certificates`.

For the merchant (what the merchant platform hands out; point the v3 settings at them):

- ``apiclient_key.pem`` — the merchant API private key (``WECHATPAY_V3_PRIVATE_KEY``);
- ``apiclient_cert.pem`` and ``apiclient_serial.txt`` — its certificate and serial
  (``WECHATPAY_V3_CERT_SERIAL``);
- ``pub_key.pem`` and ``pub_key_id.txt`` — the "WeChat Pay public key" and its id
  ``PUB_KEY_ID_…`` (``WECHATPAY_V3_PUBLIC_KEY``, ``WECHATPAY_V3_PUBLIC_KEY_ID``).

The sandbox's own (WeChat's side, never the merchant's): ``platform_key.pem`` /
``platform_cert.pem`` (the platform certificate served by ``/v3/certificates``) and
``pub_key_private.pem`` (the private half of the WeChat Pay public key).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.certificates import (
    PRIVATE_FILE_MODE,
    issue_certificate,
    locked,
    private_key_pem,
    sandbox_name,
    write_file,
)
from sandbox.v3_crypto import serial_of

__all__ = ["V3KeyFiles", "ensure_v3_files", "merchant_environment", "new_platform_certificate"]

RSA_BITS = 2048


@dataclass(frozen=True, slots=True)
class V3KeyFiles:
    merchant_key: Path
    merchant_cert: Path
    merchant_serial: Path
    public_key: Path
    public_key_id: Path
    public_key_private: Path
    platform_key: Path
    platform_cert: Path

    @classmethod
    def under(cls, folder: Path) -> V3KeyFiles:
        return cls(
            merchant_key=folder / "apiclient_key.pem",
            merchant_cert=folder / "apiclient_cert.pem",
            merchant_serial=folder / "apiclient_serial.txt",
            public_key=folder / "pub_key.pem",
            public_key_id=folder / "pub_key_id.txt",
            public_key_private=folder / "pub_key_private.pem",
            platform_key=folder / "platform_key.pem",
            platform_cert=folder / "platform_cert.pem",
        )

    def all_exist(self) -> bool:
        return all(getattr(self, name).exists() for name in self.__slots__)

    def read_serial(self) -> str:
        return self.merchant_serial.read_text().strip()

    def read_public_key_id(self) -> str:
        return self.public_key_id.read_text().strip()


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def _self_signed(common_name: str, key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = sandbox_name(common_name)
    return issue_certificate(name, key, name, key, [])


def new_platform_certificate() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A fresh platform key and certificate (also what a rotation makes)."""
    key = _rsa()
    return key, _self_signed("Tenpay.com Root CA (sandbox platform)", key)


def _generate(files: V3KeyFiles, mch_id: str) -> None:
    pem = serialization.Encoding.PEM
    merchant_key = _rsa()
    merchant_cert = _self_signed(mch_id, merchant_key)
    write_file(files.merchant_key, private_key_pem(merchant_key), PRIVATE_FILE_MODE)
    write_file(files.merchant_cert, merchant_cert.public_bytes(pem))
    write_file(files.merchant_serial, f"{serial_of(merchant_cert)}\n".encode())
    wechat_key = _rsa()
    public_pem = wechat_key.public_key().public_bytes(
        pem, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_id = f"PUB_KEY_ID_01{mch_id}{secrets.randbelow(10**16):016d}"
    write_file(files.public_key_private, private_key_pem(wechat_key), PRIVATE_FILE_MODE)
    write_file(files.public_key, public_pem)
    write_file(files.public_key_id, f"{key_id}\n".encode())
    platform_key, platform_cert = new_platform_certificate()
    write_file(files.platform_key, private_key_pem(platform_key), PRIVATE_FILE_MODE)
    write_file(files.platform_cert, platform_cert.public_bytes(pem))


def ensure_v3_files(state_dir: Path, *, mch_id: str) -> V3KeyFiles:
    """The v3 files under ``state_dir/v3``, generated when any is missing."""
    folder = state_dir / "v3"
    files = V3KeyFiles.under(folder)
    with locked(folder):
        if not files.all_exist():
            _generate(files, mch_id)
        serial = serial_of(x509.load_pem_x509_certificate(files.merchant_cert.read_bytes()))
        if files.read_serial() != serial:  # written by a sandbox that dropped a leading zero
            write_file(files.merchant_serial, f"{serial}\n".encode())
    return files


def merchant_environment(
    files: V3KeyFiles, apiv3_key: str, *, certificates: bool = False
) -> dict[str, str]:
    """The ``WECHATPAY_V3_*`` variables a merchant of this sandbox sets (the payment service
    adds ``WECHATPAY_API_VERSION=v3``; the gateway needs the private key only with
    ``certificates``): what the demo and the fault run pass to their processes in v3 mode."""
    environment = {
        "WECHATPAY_V3_API_KEY": apiv3_key,
        "WECHATPAY_V3_PRIVATE_KEY": str(files.merchant_key),
        "WECHATPAY_V3_CERT_SERIAL": files.read_serial(),
        "WECHATPAY_V3_PUBLIC_KEY": str(files.public_key),
        "WECHATPAY_V3_PUBLIC_KEY_ID": files.read_public_key_id(),
    }
    if certificates:
        environment["WECHATPAY_V3_PLATFORM_CERTIFICATES"] = "true"
    return environment
