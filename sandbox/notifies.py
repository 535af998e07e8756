"""The bodies WeChat POSTs to the merchant: payment notifies (§1.8) and refund notifies (§1.9).

A payment notify is signed with the order's sign type. Like real WeChat's, an MD5 notify carries
no ``sign_type`` and an HMAC-SHA256 one does, unless ``omit_sign_type`` asks for the gotcha of
§1.8: HMAC-SHA256-signed with no ``sign_type`` at all.
"""

from __future__ import annotations

from payment.wechatpay import constants as c
from sandbox.formats import beijing_compact
from sandbox.ids import Ids
from sandbox.refunds import RECV_ACCOUNT, REFUND_ACCOUNT, refund_time
from sandbox.req_info import seal_req_info
from sandbox.store import Order, Refund
from sandbox.v2_sign import SignType, signature
from sandbox.wire import Merchant
from sandbox.xml_form import write_fields

__all__ = ["payment_notify", "probe_notify", "refund_notify"]

FAILED_PAYMENT = ("PAYERROR", "支付失败")


def _payment_fields(order: Order, merchant: Merchant, ids: Ids, succeeded: bool) -> dict[str, str]:
    fields = {
        c.RETURN_CODE: c.SUCCESS,
        "appid": merchant.appid,
        "mch_id": merchant.mch_id,
        c.NONCE_STR: ids.nonce(),
        c.RESULT_CODE: c.SUCCESS if succeeded else c.FAIL,
        "openid": order.openid or ids.openid(),
        "is_subscribe": "N",
        "trade_type": c.TRADE_TYPE_NATIVE,
        "bank_type": order.bank_type,
        "total_fee": str(order.total_fee),
        "fee_type": c.FEE_TYPE_CNY,
        "cash_fee": str(order.total_fee),
        "out_trade_no": order.out_trade_no,
        "attach": order.attach,
    }
    if succeeded and order.transaction_id and order.time_end:
        fields["transaction_id"] = order.transaction_id
        fields["time_end"] = beijing_compact(order.time_end)
    else:
        fields[c.ERR_CODE], fields[c.ERR_CODE_DES] = FAILED_PAYMENT
    return fields


def payment_notify(
    order: Order, merchant: Merchant, ids: Ids, *, succeeded: bool, omit_sign_type: bool
) -> bytes:
    fields = _payment_fields(order, merchant, ids, succeeded)
    sign_type = SignType.HMAC_SHA256 if omit_sign_type else order.sign_type
    if sign_type == SignType.HMAC_SHA256 and not omit_sign_type:
        fields[c.SIGN_TYPE] = sign_type.value
    fields[c.SIGN] = signature(fields, merchant.api_key, sign_type)
    return write_fields(fields)


def probe_notify(order: Order, merchant: Merchant, ids: Ids) -> bytes:
    """A notify with WeChat's deliberately wrong signature: a receiver must refuse it."""
    fields = _payment_fields(order, merchant, ids, succeeded=True)
    fields[c.SIGN] = c.SIGNATURE_PROBE_PREFIX + ids.nonce().upper()
    return write_fields(fields)


def refund_notify(refund: Refund, merchant: Merchant, ids: Ids) -> bytes:
    inner = {
        "transaction_id": refund.transaction_id,
        "out_trade_no": refund.out_trade_no,
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "total_fee": str(refund.total_fee),
        "settlement_total_fee": str(refund.total_fee),
        "refund_fee": str(refund.refund_fee),
        "settlement_refund_fee": str(refund.refund_fee),
        "refund_status": refund.status.value,
        "success_time": refund_time(refund.success_time) if refund.success_time else "",
        "refund_recv_accout": RECV_ACCOUNT,  # sic: WeChat's spelling
        "refund_account": REFUND_ACCOUNT,
        "refund_request_source": "API",
    }
    plaintext = write_fields(inner, root="root")
    return write_fields(
        {
            c.RETURN_CODE: c.SUCCESS,
            "appid": merchant.appid,
            "mch_id": merchant.mch_id,
            c.NONCE_STR: ids.nonce(),
            c.REQ_INFO: seal_req_info(plaintext, merchant.api_key),
        }
    )
