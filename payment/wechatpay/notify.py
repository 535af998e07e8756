"""Parsing and verifying WeChat Pay v2 payment notifies (reference §1.8), and the replies.

:func:`parse_payment_notify` is a pure function over the body bytes and the merchant's keys,
made for the notify gateway's hot path. Checks, in order: size and XML safety, return_code,
WeChat's signature probe, sign_type, the signature (type from ``sign_type``, else from the
signature's length), appid and mch_id, then the fields. The amount still has to be compared
with the merchant's own order by whoever owns orders.
"""

from __future__ import annotations

from payment.wechatpay import constants as c
from payment.wechatpay import mapping, xml_codec
from payment.wechatpay.config import MerchantKeys
from payment.wechatpay.notify_errors import (
    MerchantMismatchError,
    NotifyFieldError,
    NotifyNotSuccessError,
    NotifySignatureError,
    NotifySignTypeError,
    NotifyXmlError,
    SignatureProbeError,
)
from payment.wechatpay.signing import (
    UnknownSignTypeError,
    signature_type_of,
    signed_fields,
    verify,
)
from payment.wechatpay.types import PaymentNotify, TradeState

__all__ = ["check_merchant", "fail_reply", "parse_payment_notify", "parse_xml", "success_reply"]

_SUCCESS_REPLY = xml_codec.encode({c.RETURN_CODE: c.SUCCESS, c.RETURN_MSG: c.SUCCESS_REPLY_MSG})


def success_reply() -> bytes:
    """``<xml><return_code>SUCCESS</return_code><return_msg>OK</return_msg></xml>``: received
    and verified; WeChat stops delivering."""
    return _SUCCESS_REPLY


def fail_reply(reason: str) -> bytes:
    """A FAIL answer: WeChat will deliver the notify again on its schedule."""
    return xml_codec.encode({c.RETURN_CODE: c.FAIL, c.RETURN_MSG: reason[:128]})


def parse_xml(body: bytes, max_bytes: int) -> dict[str, str]:
    try:
        return xml_codec.parse(body, max_bytes=max_bytes)
    except xml_codec.XmlError as error:
        raise NotifyXmlError(str(error), error.reason) from error


def check_merchant(fields: dict[str, str], keys: MerchantKeys) -> None:
    if fields.get("appid") != keys.appid:
        raise MerchantMismatchError("appid")
    if fields.get("mch_id") != keys.mch_id:
        raise MerchantMismatchError("mch_id")


def parse_payment_notify(
    body: bytes, keys: MerchantKeys, *, max_bytes: int = xml_codec.DEFAULT_MAX_BYTES
) -> PaymentNotify:
    """The verified notify, or a :class:`NotifyRejectedError` saying why not."""
    fields = signed_fields(parse_xml(body, max_bytes))
    if fields.get(c.RETURN_CODE) != c.SUCCESS:
        raise NotifyNotSuccessError("return_code is not SUCCESS")
    signature = fields.get(c.SIGN, "")
    if not signature:
        raise NotifySignatureError("the notify is not signed")
    if signature.startswith(c.SIGNATURE_PROBE_PREFIX):
        raise SignatureProbeError("WeChat's wrong-signature probe")
    try:
        sign_type = signature_type_of(fields)
    except UnknownSignTypeError as error:
        raise NotifySignTypeError(str(error)) from None
    if not verify(fields, keys.api_key.get_secret_value(), sign_type):
        raise NotifySignatureError("the signature does not verify")
    check_merchant(fields, keys)
    try:
        return _payment_notify(fields, body, sign_type.value)
    except mapping.MappingError as error:
        raise NotifyFieldError(str(error)) from None


def _payment_notify(fields: dict[str, str], body: bytes, sign_type: str) -> PaymentNotify:
    succeeded = fields.get(c.RESULT_CODE) == c.SUCCESS
    return PaymentNotify(
        appid=fields["appid"],
        mch_id=fields["mch_id"],
        out_trade_no=mapping.required(fields, "out_trade_no"),
        result_code=mapping.required(fields, c.RESULT_CODE),
        trade_state=TradeState.SUCCESS if succeeded else TradeState.PAYERROR,
        total_fee=mapping.fen(mapping.required(fields, "total_fee"), "total_fee"),
        transaction_id=(
            mapping.required(fields, "transaction_id")
            if succeeded
            else fields.get("transaction_id") or None
        ),
        cash_fee=mapping.optional_fen(fields, "cash_fee"),
        success_time=(
            mapping.parse_beijing_compact(mapping.required(fields, "time_end"))
            if succeeded
            else None
        ),
        attach=fields.get("attach") or None,
        trade_type=fields.get("trade_type") or None,
        bank_type=fields.get("bank_type") or None,
        openid=fields.get("openid") or None,
        err_code=fields.get(c.ERR_CODE) or None,
        err_code_des=fields.get(c.ERR_CODE_DES) or None,
        currency=fields.get("fee_type") or None,
        cash_currency=fields.get("cash_fee_type") or None,
        sign_type=sign_type,
        fields=fields,
        raw_body=body,
    )
