"""WeChat Pay API v2 notifies: XML in, XML out (reference §1.8, §1.9).

A payment notify is trusted once its signature verifies with our API key and its appid and
mch_id are ours; a refund notify once its `req_info` decrypts with our key. Anything else is
answered FAIL, so that WeChat delivers again, and nothing is produced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr

from callback_gateway.protocol import Rejection, Reply
from callback_gateway.settings import GatewaySettings
from payment.proto_mapping import refund_status_to_proto, trade_state_to_proto
from payment.wechatpay.notify import fail_reply, parse_payment_notify, success_reply
from payment.wechatpay.notify_errors import (
    MerchantMismatchError,
    NotifyRejectedError,
    NotifySignatureError,
)
from payment.wechatpay.refund_notify import parse_refund_notify
from payment.wechatpay.types import PaymentNotify, RefundNotify
from paystream.events.v1 import events_pb2
from paystream.payment.v1 import types_pb2
from runtime.observations import timestamp, with_trade_id

XML = "text/xml; charset=utf-8"
RAW_FORMAT = "wechatpay.v2.xml"


@dataclass(frozen=True, slots=True)
class Merchant:
    """Our identity and key, as the notify checks need them (payment.wechatpay.MerchantKeys)."""

    appid: str
    mch_id: str
    api_key: SecretStr


def _rejection(error: NotifyRejectedError) -> Rejection:
    if isinstance(error, NotifySignatureError):
        status = 401
    elif isinstance(error, MerchantMismatchError):
        status = 403
    else:
        status = 400
    return Rejection(error.reason, status, str(error))


class _V2Replies:
    def success(self) -> Reply:
        return Reply(200, XML, success_reply())

    def failure(self, status: int, reason: str) -> Reply:
        return Reply(status, XML, fail_reply(reason))


class V2PaymentNotify(_V2Replies):
    """`POST /wechatpay/v2/notify`: a payment result (result_code SUCCESS or FAIL)."""

    endpoint = "v2_notify"

    def __init__(self, merchant: Merchant, max_body_bytes: int) -> None:
        self._merchant = merchant
        self._max_body = max_body_bytes

    def accept(self, body: bytes, headers: Mapping[str, str]) -> events_pb2.PaymentObserved:
        try:
            notify = parse_payment_notify(body, self._merchant, max_bytes=self._max_body)
        except NotifyRejectedError as error:
            raise _rejection(error) from error
        return payment_observed(notify, datetime.now(UTC))


class V2RefundNotify(_V2Replies):
    """`POST /wechatpay/v2/refund-notify`: a refund's outcome, encrypted in `req_info`."""

    endpoint = "v2_refund_notify"

    def __init__(self, merchant: Merchant, max_body_bytes: int) -> None:
        self._merchant = merchant
        self._max_body = max_body_bytes

    def accept(self, body: bytes, headers: Mapping[str, str]) -> events_pb2.PaymentObserved:
        try:
            notify = parse_refund_notify(body, self._merchant, max_bytes=self._max_body)
        except NotifyRejectedError as error:
            raise _rejection(error) from error
        return refund_observed(notify, datetime.now(UTC))


class V2NotifyUnconfigured(_V2Replies):
    """A v2 path on a gateway without the v2 API key (a v3-only merchant): 503 and FAIL, so
    WeChat keeps the notify and delivers it again (for 24h4m) while the configuration is fixed."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def accept(self, body: bytes, headers: Mapping[str, str]) -> events_pb2.PaymentObserved:
        raise Rejection("not_configured", 503, "API v2 is not configured on this gateway")


@dataclass(frozen=True)
class V2Protocols:
    payment: V2PaymentNotify | V2NotifyUnconfigured
    refund: V2RefundNotify | V2NotifyUnconfigured


def v2_protocols(settings: GatewaySettings) -> V2Protocols:
    """The two v2 paths: verifying with the API key, or refusing with 503 when there is none."""
    key = settings.wechatpay_api_key
    if key is None:
        return V2Protocols(
            V2NotifyUnconfigured(V2PaymentNotify.endpoint),
            V2NotifyUnconfigured(V2RefundNotify.endpoint),
        )
    merchant = Merchant(settings.wechatpay_appid, settings.wechatpay_mch_id, key)
    cap = settings.gateway_max_body_bytes
    return V2Protocols(V2PaymentNotify(merchant, cap), V2RefundNotify(merchant, cap))


def payment_observed(notify: PaymentNotify, observed_at: datetime) -> events_pb2.PaymentObserved:
    """A verified payment notify as the observation the order worker will judge."""
    observed = events_pb2.PaymentObserved(
        source=events_pb2.OBSERVATION_SOURCE_NOTIFY,
        out_trade_no=notify.out_trade_no,
        transaction_id=notify.transaction_id or "",
        trade_state=trade_state_to_proto(notify.trade_state),
        total_fee=notify.total_fee,
        cash_fee=notify.cash_fee or 0,
        appid=notify.appid,
        mch_id=notify.mch_id,
        success_time=timestamp(notify.success_time),
        observed_time=timestamp(observed_at),
        attach=notify.attach or "",
        raw_payload=notify.raw_body,
        raw_payload_format=RAW_FORMAT,
        err_code=notify.err_code or "",
        err_code_des=notify.err_code_des or "",
        currency=notify.currency or "",
        cash_currency=notify.cash_currency or "",
    )
    return with_trade_id(observed)


def refund_observed(notify: RefundNotify, observed_at: datetime) -> events_pb2.PaymentObserved:
    """A decrypted refund notify as an observation of the refund."""
    observed = events_pb2.PaymentObserved(
        source=events_pb2.OBSERVATION_SOURCE_NOTIFY,
        out_trade_no=notify.out_trade_no,
        transaction_id=notify.transaction_id,
        trade_state=types_pb2.TRADE_STATE_REFUND,
        total_fee=notify.total_fee,
        appid=notify.appid,
        mch_id=notify.mch_id,
        observed_time=timestamp(observed_at),
        raw_payload=notify.raw_body,
        raw_payload_format=RAW_FORMAT,
        refund=events_pb2.RefundObserved(
            out_refund_no=notify.out_refund_no,
            refund_id=notify.refund_id,
            refund_status=refund_status_to_proto(notify.refund_status),
            refund_fee=notify.refund_fee,
            success_time=timestamp(notify.success_time),
        ),
    )
    return with_trade_id(observed)
