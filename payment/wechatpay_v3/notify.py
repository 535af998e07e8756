"""WeChat Pay v3 notifies (reference §2.3, §2.8, §2.9): verified, then decrypted, then mapped.

:func:`open_notification` checks the ``Wechatpay-*`` headers and the RSA signature over the
**raw body** before anything else (a probe, a stale timestamp, an unknown serial and a tampered
body all stop here), then reads the envelope and decrypts its AES-256-GCM resource with the
APIv3 key (a bad tag or nonce stops here). :func:`payment_notify` and :func:`refund_notify`
turn the resource into the v2 library's :class:`PaymentNotify` / :class:`RefundNotify` after
checking that it is for our merchant. The amount must still be compared with the order by whoever
owns orders.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from payment.wechatpay.constants import SUCCESS
from payment.wechatpay.mapping import MappingError, trade_state
from payment.wechatpay.notify_errors import (
    MerchantMismatchError,
    NotifyFieldError,
    SignatureProbeError,
)
from payment.wechatpay.types import PaymentNotify, RefundNotify, TradeState
from payment.wechatpay_v3 import aead, fields, mapping
from payment.wechatpay_v3 import constants as c
from payment.wechatpay_v3.notify_errors import (
    NotifyEventTypeError,
    NotifyJsonError,
    NotifyUnverifiedError,
    ResourceDecryptError,
)
from payment.wechatpay_v3.verification import (
    ProbeSignatureError,
    SignedMessage,
    VerificationError,
    Verifier,
)

__all__ = [
    "Notification",
    "flatten",
    "open_notification",
    "payment_notify",
    "refund_notify",
]


@dataclass(frozen=True, slots=True)
class Notification:
    """A verified, decrypted notify: its envelope and its resource (plaintext JSON)."""

    id: str
    event_type: str
    create_time: str
    summary: str
    original_type: str
    resource: Mapping[str, Any]
    raw_body: bytes = field(repr=False)

    @property
    def is_refund(self) -> bool:
        return self.event_type.startswith(c.EVENT_REFUND_PREFIX)


def _verify(verifier: Verifier, headers: Mapping[str, str], body: bytes) -> None:
    try:
        verifier.verify(SignedMessage.from_headers(headers, body))
    except ProbeSignatureError as error:
        raise SignatureProbeError(str(error)) from None
    except VerificationError as error:
        raise NotifyUnverifiedError(error) from None


def open_notification(
    body: bytes, headers: Mapping[str, str], verifier: Verifier, apiv3_key: bytes
) -> Notification:
    """The verified and decrypted notify, or a :class:`NotifyRejectedError` saying why not."""
    _verify(verifier, headers, body)
    try:
        envelope = fields.document(body, "the body")
        resource = mapping.json_object(envelope.get("resource"), "resource")
        if mapping.text(envelope, "resource_type") != c.RESOURCE_TYPE:
            raise MappingError("resource_type is not encrypt-resource")
        if mapping.text(resource, "algorithm") != c.AEAD_ALGORITHM:
            raise MappingError("resource.algorithm is not AEAD_AES_256_GCM")
        nonce = mapping.text(resource, "nonce")
        ciphertext = mapping.text(resource, "ciphertext")
        associated_data = mapping.optional_text(resource, "associated_data") or ""
        event_type = mapping.text(envelope, "event_type")
        notification_id = mapping.optional_text(envelope, "id") or ""
        create_time = mapping.optional_text(envelope, "create_time") or ""
        summary = mapping.optional_text(envelope, "summary") or ""
        original_type = mapping.optional_text(resource, "original_type") or ""
    except MappingError as error:
        raise NotifyJsonError(str(error)[:200]) from None
    try:
        plaintext = aead.decrypt(apiv3_key, nonce, ciphertext, associated_data)
    except aead.DecryptionError as error:
        raise ResourceDecryptError(str(error)) from None
    try:
        decrypted = fields.document(plaintext, "the decrypted resource")
    except MappingError as error:
        raise NotifyJsonError(str(error)[:200]) from None
    return Notification(
        id=notification_id,
        event_type=event_type,
        create_time=create_time,
        summary=summary,
        original_type=original_type,
        resource=decrypted,
        raw_body=body,
    )


def flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """A JSON object as flat ``a.b`` → text fields (what ``PaymentNotify.fields`` holds)."""
    flat: dict[str, str] = {}
    for name, value in obj.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{key}."))
        elif isinstance(value, list | bool) or value is None:
            flat[key] = json.dumps(value, ensure_ascii=False)
        else:
            flat[key] = str(value)
    return flat


def _check_merchant(resource: Mapping[str, Any], appid: str | None, mch_id: str) -> None:
    if resource.get("mchid") != mch_id:
        raise MerchantMismatchError("mchid")
    if appid is not None and resource.get("appid") != appid:
        raise MerchantMismatchError("appid")


def payment_notify(notification: Notification, *, appid: str, mch_id: str) -> PaymentNotify:
    """A ``TRANSACTION.SUCCESS`` notify (§2.9) for our appid and mchid."""
    if notification.event_type != c.EVENT_TRANSACTION_SUCCESS:
        raise NotifyEventTypeError(f"{notification.event_type[:32]} is not a payment result")
    resource = notification.resource
    _check_merchant(resource, appid, mch_id)
    try:
        state = trade_state(mapping.text(resource, "trade_state"))
        succeeded = state is TradeState.SUCCESS
        return PaymentNotify(
            appid=appid,
            mch_id=mch_id,
            out_trade_no=mapping.identifier(resource, "out_trade_no"),
            result_code=SUCCESS if succeeded else "FAIL",
            trade_state=state,
            total_fee=mapping.amount(resource, "amount.total"),
            transaction_id=(
                mapping.identifier(resource, "transaction_id")
                if succeeded
                else mapping.optional_identifier(resource, "transaction_id")
            ),
            cash_fee=mapping.integer(resource, "amount.payer_total"),
            success_time=(mapping.time(resource, "success_time") if succeeded else None),
            attach=mapping.optional_text(resource, "attach"),
            trade_type=mapping.optional_text(resource, "trade_type"),
            bank_type=mapping.optional_text(resource, "bank_type"),
            openid=mapping.optional_text(resource, "payer.openid"),
            err_code=None,
            err_code_des=None,
            currency=mapping.currency(resource, "amount.currency"),
            cash_currency=mapping.currency(resource, "amount.payer_currency"),
            sign_type=c.SIGNATURE_TYPE,
            fields=flatten(resource),
            raw_body=notification.raw_body,
        )
    except MappingError as error:
        raise NotifyFieldError(str(error)) from None


def refund_notify(notification: Notification, *, mch_id: str) -> RefundNotify:
    """A ``REFUND.SUCCESS`` / ``REFUND.ABNORMAL`` / ``REFUND.CLOSED`` notify (§2.8) for our
    mchid. Its resource names no appid, so ``appid`` is empty."""
    if not notification.is_refund:
        raise NotifyEventTypeError(f"{notification.event_type[:32]} is not a refund result")
    resource = notification.resource
    _check_merchant(resource, None, mch_id)
    try:
        return RefundNotify(
            appid="",
            mch_id=mch_id,
            out_trade_no=mapping.identifier(resource, "out_trade_no"),
            out_refund_no=mapping.identifier(resource, "out_refund_no"),
            refund_id=mapping.identifier(resource, "refund_id"),
            transaction_id=mapping.identifier(resource, "transaction_id"),
            total_fee=mapping.amount(resource, "amount.total"),
            refund_fee=mapping.amount(resource, "amount.refund"),
            refund_status=mapping.refund_status(mapping.text(resource, "refund_status")),
            success_time=mapping.optional_time(resource, "success_time"),
            settlement_refund_fee=mapping.integer(resource, "amount.settlement_refund"),
            recv_account=mapping.optional_text(resource, "user_received_account"),
            fields=flatten(resource),
            raw_body=notification.raw_body,
        )
    except MappingError as error:
        raise NotifyFieldError(str(error)) from None
