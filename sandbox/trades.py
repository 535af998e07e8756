"""WeChat's rules for Native orders: unifiedorder, orderquery, closeorder, and the customer paying.

Reference §1.3-§1.5 and §4. Every function here is synchronous: it checks and changes the store
in one step (see :mod:`sandbox.store`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from payment.wechatpay import constants as c
from payment.wechatpay.types import TradeState
from sandbox import validation as v
from sandbox.failures import BusinessFailError, PayRefusedError, ReturnFailError
from sandbox.formats import beijing_compact
from sandbox.ids import Ids
from sandbox.store import ApiVersion, Order, Store
from sandbox.v2_sign import SignType

__all__ = ["MIN_EXPIRE_AHEAD", "STATE_DESC", "OrderRequest", "Trades", "query_fields"]

UNIFIED_ORDER_REQUIRED = (
    "body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type",
)  # fmt: skip
# What is not part of "the same parameters" for re-entry: the envelope of each request.
ENVELOPE = frozenset({"appid", "mch_id", "nonce_str", "sign", "sign_type"})
MIN_EXPIRE_AHEAD = timedelta(minutes=1)
"""time_expire must leave at least this long to pay (newer docs: "建议…大于1分钟")."""

STATE_DESC = {
    TradeState.SUCCESS: "支付成功",
    TradeState.REFUND: "转入退款",
    TradeState.NOTPAY: "订单未支付",
    TradeState.CLOSED: "订单已关闭",
}


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A Native order as either protocol asks for it, validated by that protocol's reader."""

    out_trade_no: str
    params: Mapping[str, str]
    """The business parameters, as text: a re-entry must repeat them exactly."""
    total_fee: int
    body: str
    attach: str
    notify_url: str
    time_expire: datetime | None
    sign_type: SignType = SignType.MD5
    api_version: ApiVersion = ApiVersion.V2


def _refuse_if_settled(order: Order) -> None:
    if order.paid:
        raise BusinessFailError(c.ORDERPAID, "该订单已支付")
    if order.state is TradeState.CLOSED:
        raise BusinessFailError(c.ORDERCLOSED, "该订单已关闭")


@dataclass(frozen=True, slots=True)
class Trades:
    store: Store
    ids: Ids

    def unified_order(
        self, fields: Mapping[str, str], sign_type: SignType, now: datetime
    ) -> dict[str, str]:
        v.require(fields, UNIFIED_ORDER_REQUIRED)
        if fields["trade_type"] != c.TRADE_TYPE_NATIVE:
            raise BusinessFailError(c.PARAM_ERROR, "trade_type参数错误：沙箱只支持NATIVE")
        v.require(fields, ("product_id",))  # required for NATIVE
        out_trade_no = fields["out_trade_no"]
        v.check_out_trade_no(out_trade_no)
        total_fee = v.amount(fields, "total_fee")
        v.check_text(fields, "body", 128)
        v.check_text(fields, "attach", 128)
        v.check_ip(fields["spbill_create_ip"])
        v.check_notify_url(fields["notify_url"])
        if fields.get("fee_type", c.FEE_TYPE_CNY) != c.FEE_TYPE_CNY:
            raise BusinessFailError(c.PARAM_ERROR, "fee_type参数错误：只支持CNY")
        v.optional_time(fields, "time_start")
        request = OrderRequest(
            out_trade_no=out_trade_no,
            params={name: value for name, value in fields.items() if name not in ENVELOPE},
            total_fee=total_fee,
            body=fields["body"],
            attach=fields.get("attach", ""),
            notify_url=fields["notify_url"],
            time_expire=v.optional_time(fields, "time_expire"),
            sign_type=sign_type,
        )
        return _code_fields(self.place(request, now))

    def place(self, request: OrderRequest, now: datetime) -> Order:
        """A new order, or WeChat's re-entry of an existing one (§1.3, §4): the same
        parameters return the same code (a new one once it is two hours old), other
        parameters are INVALID_REQUEST, a paid or closed order cannot be ordered again.
        Whichever protocol asks, the rules are these."""
        order = self.store.orders.get(request.out_trade_no)
        if order is not None:
            _refuse_if_settled(order)
            if order.params != request.params:
                raise BusinessFailError(c.INVALID_REQUEST, "201 商户订单号重复")
            if now >= order.code_issued_at + c.CODE_URL_VALIDITY:
                self.store.reissue_code(order, self._code_url(), self.ids.prepay_id(now), now)
            return order
        if request.time_expire is not None and request.time_expire < now + MIN_EXPIRE_AHEAD:
            raise BusinessFailError(c.PARAM_ERROR, "time_expire时间过短，至少1分钟")
        order = Order(
            out_trade_no=request.out_trade_no,
            params=dict(request.params),
            sign_type=request.sign_type,
            total_fee=request.total_fee,
            body=request.body,
            attach=request.attach,
            notify_url=request.notify_url,
            created_at=now,
            code_url=self._code_url(),
            prepay_id=self.ids.prepay_id(now),
            code_issued_at=now,
            time_expire=request.time_expire,
            api_version=request.api_version,
        )
        self.store.add_order(order)
        return order

    def order_query(self, fields: Mapping[str, str]) -> dict[str, str]:
        if not fields.get("out_trade_no") and not fields.get("transaction_id"):
            raise ReturnFailError("缺少参数out_trade_no或transaction_id")
        order = self.store.order_of(
            fields.get("out_trade_no", ""), fields.get("transaction_id", "")
        )
        if order is None:
            raise BusinessFailError(c.ORDERNOTEXIST, "订单不存在")
        return query_fields(order)

    def close_order(self, fields: Mapping[str, str]) -> dict[str, str]:
        v.require(fields, ("out_trade_no",))
        self.close(fields["out_trade_no"])
        return {"result_msg": "OK"}

    def close(self, out_trade_no: str) -> None:
        """Unpaid → CLOSED; a paid, closed or unknown order cannot be closed (§1.5, §2.7)."""
        order = self.store.orders.get(out_trade_no)
        if order is None:
            raise BusinessFailError(c.ORDERNOTEXIST, "订单不存在")
        if order.paid:
            raise BusinessFailError(c.ORDERPAID, "订单已支付，不能发起关单")
        if order.state is TradeState.CLOSED:
            raise BusinessFailError(c.ORDERCLOSED, "订单已关闭")
        order.state = TradeState.CLOSED

    def find(self, *, out_trade_no: str | None, code_url: str | None) -> Order:
        order = (
            self.store.by_code_url.get(code_url)
            if code_url
            else self.store.orders.get(out_trade_no or "")
        )
        if order is None:
            raise PayRefusedError("ORDER_NOT_FOUND", "no order has this out_trade_no or code_url")
        return order

    def check_payable(self, order: Order, now: datetime) -> None:
        """What the customer's phone checks before taking the money."""
        if order.paid:
            raise PayRefusedError("ORDER_PAID", "the order is already paid")
        if order.state is TradeState.CLOSED:
            raise PayRefusedError("ORDER_CLOSED", "the order is closed")
        if order.time_expire is not None and now >= order.time_expire:
            raise PayRefusedError("ORDER_EXPIRED", "the order's time_expire has passed")
        if now >= order.code_issued_at + c.CODE_URL_VALIDITY:
            raise PayRefusedError("CODE_URL_EXPIRED", "the code_url is more than two hours old")

    def pay(self, order: Order, now: datetime) -> Order:
        self.check_payable(order, now)
        order.state = TradeState.SUCCESS
        order.time_end = now.replace(microsecond=0)
        order.openid = self.ids.openid()
        self.store.mark_paid(order, self.ids.transaction_id(now))
        return order

    @staticmethod
    def age(order: Order, seconds: float) -> None:
        """Moves the order's clock forward: as if ``seconds`` had passed for it."""
        delta = timedelta(seconds=seconds)
        order.created_at -= delta
        order.code_issued_at -= delta
        if order.time_expire is not None:
            order.time_expire -= delta

    def _code_url(self) -> str:
        while (code_url := self.ids.code_url()) in self.store.by_code_url:
            continue
        return code_url


def _code_fields(order: Order) -> dict[str, str]:
    return {
        "trade_type": c.TRADE_TYPE_NATIVE,
        "prepay_id": order.prepay_id,
        "code_url": order.code_url,
    }


def query_fields(order: Order) -> dict[str, str]:
    """An orderquery answer: everything once paid, else only the number, attach and state."""
    fields = {
        "out_trade_no": order.out_trade_no,
        "attach": order.attach,
        "trade_state": order.state.value,
        "trade_state_desc": STATE_DESC.get(order.state, ""),
    }
    if order.paid and order.transaction_id and order.time_end:
        fields.update(
            openid=order.openid or "",
            is_subscribe="N",
            trade_type=c.TRADE_TYPE_NATIVE,
            bank_type=order.bank_type,
            total_fee=str(order.total_fee),
            fee_type=c.FEE_TYPE_CNY,
            cash_fee=str(order.total_fee),
            transaction_id=order.transaction_id,
            time_end=beijing_compact(order.time_end),
        )
    return fields
