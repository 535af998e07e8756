"""``WeChatPayV2Client``: the Native-payment APIs of WeChat Pay v2 over one pooled HTTP client.

Every method signs its request (the configured sign type, a fresh nonce), verifies the answer,
returns our types, and raises from :mod:`payment.wechatpay.errors`. Retryable failures are
retried with the same parameters, a bounded number of times, within ``deadline`` (a
``time.monotonic()`` value; ``None`` bounds the call by the attempts and timeouts alone).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime
from typing import Any, Self

import structlog

from payment.wechatpay import constants as c
from payment.wechatpay import mapping
from payment.wechatpay.arguments import positive_fen, require
from payment.wechatpay.attempts import AttemptRecord, observed_call
from payment.wechatpay.bills import (
    GZIP_MAGIC,
    MAX_BILL_BYTES,
    BillType,
    TradeBill,
    gunzip,
    parse_bill,
)
from payment.wechatpay.config import WeChatPayConfig
from payment.wechatpay.errors import (
    CallerError,
    ConfigurationError,
    ResponseFormatError,
)
from payment.wechatpay.exchange import Exchange
from payment.wechatpay.http import HttpPoster
from payment.wechatpay.retry import RetryPolicy, Timing
from payment.wechatpay.signing import new_nonce
from payment.wechatpay.transport import build_poster
from payment.wechatpay.types import NativeOrder, RefundQueryResult, RefundResult, TradeStatus

__all__ = ["WeChatPayV2Client"]

log = structlog.get_logger("payment.wechatpay")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WeChatPayV2Client:
    """The v2 client. Build it in the composition root with the process's one HTTP port
    (:func:`payment.wechatpay.transport.build_poster`), or use :meth:`open`."""

    def __init__(
        self,
        config: WeChatPayConfig,
        http: HttpPoster,
        *,
        nonce: Callable[[], str] = new_nonce,
        clock: Callable[[], datetime] = _utcnow,
        retry: RetryPolicy | None = None,
        timing: Timing | None = None,
        observer: Callable[[AttemptRecord], None] | None = None,
    ) -> None:
        self._config = config
        self._exchange = Exchange(http, config, nonce)
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._timing = timing or Timing()
        self._observer = observer

    @classmethod
    @asynccontextmanager
    async def open(cls, config: WeChatPayConfig, **options: Any) -> AsyncIterator[Self]:
        """A client with its own pooled HTTP client, closed on exit."""
        poster = build_poster(config)
        try:
            yield cls(config, poster, **options)
        finally:
            await poster.aclose()

    @property
    def config(self) -> WeChatPayConfig:
        return self._config

    async def unified_order_native(
        self,
        *,
        out_trade_no: str,
        total_fee: int,
        body: str,
        product_id: str | None = None,
        attach: str | None = None,
        time_expire: datetime | None = None,
        time_start: datetime | None = None,
        notify_url: str | None = None,
        deadline: float | None = None,
    ) -> NativeOrder:
        """``/pay/unifiedorder`` with trade_type NATIVE (§1.3). Calling again with identical
        arguments is WeChat's re-entry and returns the same code; other arguments for the same
        out_trade_no raise :class:`OutTradeNoReusedError`."""
        require(out_trade_no=out_trade_no, body=body)
        positive_fen(total_fee=total_fee)
        fields = {
            "body": body,
            "attach": attach or "",
            "out_trade_no": out_trade_no,
            "fee_type": c.FEE_TYPE_CNY,
            "total_fee": str(total_fee),
            "spbill_create_ip": self._config.spbill_create_ip,
            "time_start": mapping.beijing_compact(time_start) if time_start else "",
            "time_expire": mapping.beijing_compact(time_expire) if time_expire else "",
            "notify_url": notify_url or self._config.notify_url,
            "trade_type": c.TRADE_TYPE_NATIVE,
            "product_id": product_id or out_trade_no,
        }
        answer = await self._call("unifiedorder", c.PATH_UNIFIED_ORDER, fields, deadline)
        issued_at = self._clock()
        expires_at = issued_at + c.CODE_URL_VALIDITY
        if time_expire is not None:
            expires_at = min(expires_at, mapping.parse_beijing_compact(fields["time_expire"]))
        with _format_errors():
            return NativeOrder(
                out_trade_no=out_trade_no,
                code_url=mapping.required(answer, "code_url"),
                prepay_id=mapping.required(answer, "prepay_id"),
                issued_at=issued_at,
                expires_at=expires_at,
            )

    async def order_query(
        self,
        out_trade_no: str | None = None,
        *,
        transaction_id: str | None = None,
        deadline: float | None = None,
    ) -> TradeStatus:
        """``/pay/orderquery`` (§1.4) by out_trade_no or WeChat's transaction_id."""
        if not out_trade_no and not transaction_id:
            raise CallerError(c.PARAM_ERROR, "out_trade_no or transaction_id is required")
        fields = {"out_trade_no": out_trade_no or "", "transaction_id": transaction_id or ""}
        answer = await self._call("orderquery", c.PATH_ORDER_QUERY, fields, deadline)
        with _format_errors():
            return mapping.trade_status(answer)

    async def close_order(self, out_trade_no: str, *, deadline: float | None = None) -> None:
        """``/pay/closeorder`` (§1.5). Raises :class:`OrderPaidError` for a paid order (it is
        paid: query it) and :class:`OrderClosedError` for one already closed."""
        require(out_trade_no=out_trade_no)
        await self._call("closeorder", c.PATH_CLOSE_ORDER, {"out_trade_no": out_trade_no}, deadline)

    async def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        total_fee: int,
        refund_fee: int,
        refund_desc: str | None = None,
        notify_url: str | None = None,
        deadline: float | None = None,
    ) -> RefundResult:
        """``/secapi/pay/refund`` over mutual TLS (§1.6). Idempotent on out_refund_no: a retry
        or a repeat with the same out_refund_no never refunds twice. The answer only means
        accepted; the outcome comes from :meth:`refund_query` or the refund notify."""
        if not self._config.has_client_certificate:
            raise ConfigurationError(
                c.NOAUTH, "refunds need the merchant's client certificate (client_cert_path)"
            )
        require(out_trade_no=out_trade_no, out_refund_no=out_refund_no)
        positive_fen(total_fee=total_fee, refund_fee=refund_fee)
        fields = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "total_fee": str(total_fee),
            "refund_fee": str(refund_fee),
            "refund_fee_type": c.FEE_TYPE_CNY,
            "refund_desc": refund_desc or "",
            "notify_url": notify_url or self._config.refund_notify_url or "",
        }
        answer = await self._call("refund", c.PATH_REFUND, fields, deadline)
        with _format_errors():
            return mapping.refund_result(answer)

    async def refund_query(
        self,
        *,
        out_trade_no: str | None = None,
        out_refund_no: str | None = None,
        refund_id: str | None = None,
        transaction_id: str | None = None,
        deadline: float | None = None,
    ) -> RefundQueryResult:
        """``/pay/refundquery`` (§1.7). WeChat uses the first of refund_id, out_refund_no,
        transaction_id, out_trade_no that is given."""
        fields = {
            "refund_id": refund_id or "",
            "out_refund_no": out_refund_no or "",
            "transaction_id": transaction_id or "",
            "out_trade_no": out_trade_no or "",
        }
        if not any(fields.values()):
            raise CallerError(c.PARAM_ERROR, "name the refund or the order to query")
        answer = await self._call("refundquery", c.PATH_REFUND_QUERY, fields, deadline)
        with _format_errors():
            return mapping.refund_query_result(answer)

    async def download_bill(
        self,
        bill_date: date,
        bill_type: BillType = BillType.ALL,
        *,
        gzip: bool = True,
        deadline: float | None = None,
    ) -> TradeBill:
        """``POST /pay/downloadbill`` (bills reference §2): the day's bill (a Beijing day),
        parsed and checked — summary against lines — or NoBillError (no trades that day),
        BillNotReadyError (before 10:00 the next day), BillRejectedError (unreadable or its
        totals do not add up: nothing of it is returned)."""
        fields = {
            "bill_date": bill_date.strftime("%Y%m%d"),
            "bill_type": bill_type.value,
            "tar_type": c.TAR_TYPE_GZIP if gzip else "",
        }
        raw = await observed_call(
            "downloadbill",
            fields["bill_date"],
            lambda remaining: self._exchange.download_bill(fields, remaining, MAX_BILL_BYTES),
            policy=self._retry,
            deadline=deadline,
            timing=self._timing,
            observer=self._observer,
        )
        if raw[:2] == GZIP_MAGIC:
            raw = gunzip(raw)
        return parse_bill(raw, bill_date, bill_type)

    async def _call(
        self, api: str, path: str, fields: Mapping[str, str], deadline: float | None
    ) -> Mapping[str, str]:
        return await observed_call(
            api,
            fields.get("out_trade_no") or fields.get("out_refund_no") or "",
            lambda remaining: self._exchange.call(path, fields, remaining),
            policy=self._retry,
            deadline=deadline,
            timing=self._timing,
            observer=self._observer,
        )


@contextmanager
def _format_errors() -> Iterator[None]:
    """Turns a mapping failure on a verified answer into :class:`ResponseFormatError`."""
    try:
        yield
    except mapping.MappingError as error:
        raise ResponseFormatError("RESPONSE_FORMAT", str(error)) from error
