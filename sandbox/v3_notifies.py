"""The v3 notifies WeChat POSTs to the merchant (reference §2.3, §2.8, §2.9): JSON envelopes
whose resource is AES-256-GCM-encrypted with the merchant's APIv3 key, signed in
``Wechatpay-*`` headers **at each attempt** (a retry hours later carries a fresh timestamp).

Besides the genuine notify, what a receiver must refuse (sent once each, before the genuine one,
when the control API asks): WeChat's ``WECHATPAY/SIGNTEST/`` probe, and the :class:`Tamper`
kinds — a stale or future timestamp, an unknown serial, a foreign key, a body changed after
signing, a tampered ciphertext or nonce, another merchant's mchid or appid, no signature.
"""

from __future__ import annotations

import functools
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from payment.wechatpay.constants import SIGNATURE_PROBE_PREFIX
from payment.wechatpay_v3 import constants as c
from sandbox.deliveries import Signer
from sandbox.formats import rfc3339
from sandbox.store import Order, Refund
from sandbox.v3_crypto import new_nonce, seal
from sandbox.v3_fields import refund_resource, transaction
from sandbox.v3_platform import Platform, SigningKey, V3Merchant

__all__ = ["NotifyMessage", "Tamper", "V3Notifies"]

SKEW_SECONDS = 360
"""How far a stale or future notify's timestamp is off: outside the ±5-minute window."""

_REFUND_EVENTS = {"SUCCESS": "退款成功", "ABNORMAL": "退款异常", "CLOSED": "退款关闭"}


class Tamper(StrEnum):
    STALE_TIMESTAMP = "stale_timestamp"
    FUTURE_TIMESTAMP = "future_timestamp"
    UNKNOWN_SERIAL = "unknown_serial"
    WRONG_KEY = "wrong_key"
    BODY = "body"
    CIPHERTEXT = "ciphertext"
    NONCE = "nonce"
    MCHID = "mchid"
    APPID = "appid"
    UNSIGNED = "unsigned"


@dataclass(frozen=True, slots=True)
class NotifyMessage:
    """A body, and how to sign it when it is sent (None: v2, the body signs itself)."""

    body: bytes
    signer: Signer | None = field(default=None, repr=False)


def _compact(value: Mapping[str, Any]) -> bytes:
    """JSON as WeChat writes it: compact UTF-8 (reference §7 T1)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@functools.cache
def _foreign_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class V3Notifies:
    def __init__(
        self,
        merchant: V3Merchant,
        platform: Platform,
        clock: Callable[[], datetime],
        unix_clock: Callable[[], float] = time.time,
    ) -> None:
        self._merchant = merchant
        self._platform = platform
        self._clock = clock
        self._unix = unix_clock

    def _envelope(
        self,
        event_type: str,
        summary: str,
        original_type: str,
        resource: Mapping[str, Any],
        *,
        nonce: str | None = None,
        tamper_ciphertext: bool = False,
    ) -> bytes:
        gcm_nonce = new_nonce(c.GCM_NONCE_BYTES)
        plaintext = _compact(resource)
        ciphertext = seal(self._merchant.apiv3_key, gcm_nonce, plaintext, original_type)
        if tamper_ciphertext:
            first = "B" if ciphertext[0] == "A" else "A"
            ciphertext = first + ciphertext[1:]
        envelope = {
            "id": str(uuid.uuid4()),
            "create_time": rfc3339(self._clock()),
            "resource_type": c.RESOURCE_TYPE,
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": c.AEAD_ALGORITHM,
                "ciphertext": ciphertext,
                "associated_data": original_type,
                "nonce": nonce or gcm_nonce,
            },
        }
        return _compact(envelope)

    def _signed(self, body: bytes) -> NotifyMessage:
        return NotifyMessage(body, self._platform.headers)

    def _transaction(self, order: Order, **changes: Any) -> dict[str, Any]:
        return transaction(order, self._merchant) | changes

    def payment(self, order: Order) -> NotifyMessage:
        """TRANSACTION.SUCCESS for a paid order (v3 sends nothing for a failed payment)."""
        body = self._envelope(
            c.EVENT_TRANSACTION_SUCCESS,
            "支付成功",
            c.ORIGINAL_TYPE_TRANSACTION,
            self._transaction(order),
        )
        return self._signed(body)

    def probe(self, order: Order) -> NotifyMessage:
        genuine = self.payment(order)

        def signer(body: bytes) -> Mapping[str, str]:
            probe = SIGNATURE_PROBE_PREFIX + secrets.token_hex(16).upper()
            return {**self._platform.headers(body), c.HEADER_SIGNATURE: probe}

        return NotifyMessage(genuine.body, signer)

    def tampered(self, order: Order, kind: Tamper) -> NotifyMessage:
        """What a receiver must refuse, made from the order's genuine notify."""
        platform = self._platform
        event, summary, kind_of = (
            c.EVENT_TRANSACTION_SUCCESS,
            "支付成功",
            c.ORIGINAL_TYPE_TRANSACTION,
        )
        if kind is Tamper.MCHID:
            resource = self._transaction(order, mchid="1999999999")
            return self._signed(self._envelope(event, summary, kind_of, resource))
        if kind is Tamper.APPID:
            resource = self._transaction(order, appid="wx9999999999999999")
            return self._signed(self._envelope(event, summary, kind_of, resource))
        if kind is Tamper.CIPHERTEXT:
            resource = self._transaction(order)
            body = self._envelope(event, summary, kind_of, resource, tamper_ciphertext=True)
            return self._signed(body)
        if kind is Tamper.NONCE:
            body = self._envelope(event, summary, kind_of, self._transaction(order), nonce="0" * 12)
            return self._signed(body)
        genuine = self.payment(order).body
        signers: dict[Tamper, Signer] = {
            Tamper.STALE_TIMESTAMP: lambda b: platform.headers(
                b, timestamp=int(self._unix()) - SKEW_SECONDS
            ),
            Tamper.FUTURE_TIMESTAMP: lambda b: platform.headers(
                b, timestamp=int(self._unix()) + SKEW_SECONDS
            ),
            Tamper.UNKNOWN_SERIAL: lambda b: platform.headers(
                b, serial=secrets.token_hex(20).upper()
            ),
            Tamper.WRONG_KEY: lambda b: platform.headers(
                b, key=SigningKey(platform.signing_key().serial, _foreign_key())
            ),
            Tamper.BODY: lambda _: platform.headers(genuine),
            Tamper.UNSIGNED: lambda _: {},
        }
        body = (
            genuine.replace(b'"summary":"', b'"summary":"0', 1) if kind is Tamper.BODY else genuine
        )
        return NotifyMessage(body, signers[kind])

    def refund(self, refund: Refund) -> NotifyMessage:
        status = refund_resource(refund, self._merchant)["refund_status"]
        body = self._envelope(
            f"{c.EVENT_REFUND_PREFIX}{status}",
            _REFUND_EVENTS.get(status, status),
            c.ORIGINAL_TYPE_REFUND,
            refund_resource(refund, self._merchant),
        )
        return self._signed(body)
