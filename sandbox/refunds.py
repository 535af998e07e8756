"""WeChat's refund rules: ``/secapi/pay/refund`` and ``/pay/refundquery`` (reference §1.6, §1.7).

Refunds add up to at most the order's total, at most 50 per order, and are idempotent on
out_refund_no. A refund is accepted as PROCESSING and settles to SUCCESS later
(:meth:`Refunds.settle`, scheduled by the composition root).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from payment.wechatpay import constants as c
from payment.wechatpay.constants import BEIJING, REFUND_TIME_FORMAT
from payment.wechatpay.types import RefundStatus, TradeState
from sandbox import validation as v
from sandbox.failures import BusinessFailError, ReturnFailError
from sandbox.ids import Ids
from sandbox.store import ApiVersion, Order, Refund, Store

__all__ = ["MAX_REFUNDS_PER_ORDER", "Refunds", "refund_fields", "refund_time"]

MAX_REFUNDS_PER_ORDER = 50
REFUND_ACCOUNT = "REFUND_SOURCE_UNSETTLED_FUNDS"
RECV_ACCOUNT = "支付用户零钱"


def refund_time(moment: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in Beijing time, as refund_success_time is written."""
    return moment.astimezone(BEIJING).strftime(REFUND_TIME_FORMAT)


@dataclass(frozen=True, slots=True)
class Refunds:
    store: Store
    ids: Ids

    def refund(
        self,
        fields: Mapping[str, str],
        now: datetime,
        api_version: ApiVersion = ApiVersion.V2,
    ) -> tuple[Refund, bool]:
        """Accepts a refund, or finds the one already made under this out_refund_no (then the
        second value is False). ``api_version`` is the protocol of its notify."""
        v.require(fields, ("out_refund_no", "total_fee", "refund_fee"))
        if not fields.get("out_trade_no") and not fields.get("transaction_id"):
            raise ReturnFailError("缺少参数out_trade_no或transaction_id")
        out_refund_no = fields["out_refund_no"]
        v.check_out_refund_no(out_refund_no)
        total_fee = v.amount(fields, "total_fee")
        refund_fee = v.amount(fields, "refund_fee")
        order = self._order(fields)
        existing = self.store.refunds.get(out_refund_no)
        if existing is not None:
            same = (existing.out_trade_no, existing.total_fee, existing.refund_fee)
            if same != (order.out_trade_no, total_fee, refund_fee):
                raise BusinessFailError(c.INVALID_REQUEST, "退款单号已使用，请求参数与原请求不一致")
            return existing, False
        if not order.paid:
            raise BusinessFailError(c.ERROR, "订单未支付，不能退款")
        if total_fee != order.total_fee:
            raise BusinessFailError(c.PARAM_ERROR, "订单金额total_fee与原订单不一致")
        if order.refunded_fee + refund_fee > order.total_fee:
            raise BusinessFailError(c.ERROR, "申请退款金额超过订单可退金额")
        if len(order.refunds) >= MAX_REFUNDS_PER_ORDER:
            raise BusinessFailError(c.ERROR, "退款次数超过限制")
        assert order.transaction_id is not None  # paid orders have one
        refund = Refund(
            out_refund_no=out_refund_no,
            refund_id=self.ids.refund_id(now),
            out_trade_no=order.out_trade_no,
            transaction_id=order.transaction_id,
            total_fee=total_fee,
            refund_fee=refund_fee,
            refund_desc=fields.get("refund_desc", ""),
            notify_url=fields.get("notify_url") or None,
            created_at=now,
            api_version=api_version,
        )
        self.store.add_refund(order, refund)
        order.state = TradeState.REFUND
        return refund, True

    def _order(self, fields: Mapping[str, str]) -> Order:
        transaction_id = fields.get("transaction_id", "")
        order = self.store.order_of(fields.get("out_trade_no", ""), transaction_id)
        if order is None and transaction_id:
            raise BusinessFailError(c.INVALID_TRANSACTIONID, "无效transaction_id")
        if order is None:
            raise BusinessFailError(c.ORDERNOTEXIST, "订单不存在")
        return order

    @staticmethod
    def settle(refund: Refund, now: datetime) -> bool:
        """PROCESSING → SUCCESS; False when it was not PROCESSING (already settled or reset)."""
        if refund.status is not RefundStatus.PROCESSING:
            return False
        refund.status = RefundStatus.SUCCESS
        refund.success_time = now.replace(microsecond=0)
        return True

    def refund_query(self, fields: Mapping[str, str]) -> dict[str, str]:
        """WeChat picks the first of refund_id, out_refund_no, transaction_id, out_trade_no."""
        refunds: list[Refund]
        if fields.get("refund_id"):
            found = self.store.refunds_by_id.get(fields["refund_id"])
            refunds = [found] if found else []
        elif fields.get("out_refund_no"):
            found = self.store.refunds.get(fields["out_refund_no"])
            refunds = [found] if found else []
        elif fields.get("transaction_id") or fields.get("out_trade_no"):
            order = self.store.order_of(
                fields.get("out_trade_no", ""), fields.get("transaction_id", "")
            )
            refunds = list(order.refunds) if order else []
        else:
            raise ReturnFailError("缺少参数out_refund_no、out_trade_no、transaction_id或refund_id")
        if not refunds:
            raise BusinessFailError(c.REFUNDNOTEXIST, "退款订单查询失败")
        order = self.store.orders[refunds[0].out_trade_no]
        answer = {
            "transaction_id": order.transaction_id or "",
            "out_trade_no": order.out_trade_no,
            "total_fee": str(order.total_fee),
            "cash_fee": str(order.total_fee),
            "fee_type": c.FEE_TYPE_CNY,
            "refund_count": str(len(refunds)),
        }
        for n, refund in enumerate(refunds):
            answer |= {
                f"out_refund_no_{n}": refund.out_refund_no,
                f"refund_id_{n}": refund.refund_id,
                f"refund_channel_{n}": "ORIGINAL",
                f"refund_fee_{n}": str(refund.refund_fee),
                f"settlement_refund_fee_{n}": str(refund.refund_fee),
                f"refund_status_{n}": refund.status.value,
                f"refund_account_{n}": REFUND_ACCOUNT,
                f"refund_recv_accout_{n}": RECV_ACCOUNT,  # sic: WeChat's spelling
            }
            if refund.success_time is not None:
                answer[f"refund_success_time_{n}"] = refund_time(refund.success_time)
        return answer


def refund_fields(refund: Refund) -> dict[str, str]:
    """The refund API's answer for an accepted refund."""
    return {
        "transaction_id": refund.transaction_id,
        "out_trade_no": refund.out_trade_no,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_fee": str(refund.refund_fee),
        "settlement_refund_fee": str(refund.refund_fee),
        "total_fee": str(refund.total_fee),
        "cash_fee": str(refund.total_fee),
        "cash_refund_fee": str(refund.refund_fee),
        "coupon_refund_fee": "0",
    }
