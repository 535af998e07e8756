"""``WeChatPayV3Client``: the Native-payment APIs of WeChat Pay v3, behind the same port as v2.

It has the v2 client's methods, returns the same types and raises the same error classes
(:mod:`payment.wechatpay.errors`, codes in their v2 names), so the PaymentService cannot tell
which protocol is underneath. Every request is signed (:mod:`.auth`), every answer verified
(:mod:`.verification`); retryable failures are retried with the same parameters within
``deadline`` (a ``time.monotonic()`` value), like v2.

Where v3 differs, by WeChat's design:

- a Native order's answer is only ``code_url``: :attr:`NativeOrder.prepay_id` is empty;
- there is no ``product_id`` or ``time_start``; no client certificate is needed for refunds;
- refunds are found by out_refund_no only: asked for an order's refunds, the client answers
  REFUNDNOTEXIST when the order has none (it is not in state REFUND), and otherwise raises
  :class:`RefundNotFoundError` with err_code ``REFUND_QUERY_NEEDS_OUT_REFUND_NO``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime
from typing import Any, Self
from urllib.parse import quote

import structlog

from payment.wechatpay import constants as v2
from payment.wechatpay.arguments import positive_fen, require
from payment.wechatpay.attempts import AttemptRecord, observed_call
from payment.wechatpay.bills import (
    GZIP_MAGIC,
    MAX_BILL_BYTES,
    BillType,
    TradeBill,
    check_sha1,
    gunzip,
    parse_bill,
)
from payment.wechatpay.errors import (
    CallerError,
    OrderNotFoundError,
    RefundNotFoundError,
    ResponseFormatError,
)
from payment.wechatpay.http import HttpPoster
from payment.wechatpay.mapping import MappingError
from payment.wechatpay.retry import RetryPolicy, Timing
from payment.wechatpay.transport import build_poster
from payment.wechatpay.types import (
    NativeOrder,
    RefundQueryResult,
    RefundResult,
    TradeState,
    TradeStatus,
)
from payment.wechatpay_v3 import constants as c
from payment.wechatpay_v3 import mapping
from payment.wechatpay_v3.auth import WeChatPayV3Auth
from payment.wechatpay_v3.config import WeChatPayV3Config
from payment.wechatpay_v3.errors import Api
from payment.wechatpay_v3.exchange import Answer, Exchange
from payment.wechatpay_v3.key_sources import trusted_keys
from payment.wechatpay_v3.platform_certificates import refresher_for
from payment.wechatpay_v3.signing import new_nonce
from payment.wechatpay_v3.verification import SignatureVerifier, Verifier

__all__ = ["REFUND_QUERY_NEEDS_OUT_REFUND_NO", "WeChatPayV3Client"]

log = structlog.get_logger("payment.wechatpay_v3")

REFUND_QUERY_NEEDS_OUT_REFUND_NO = "REFUND_QUERY_NEEDS_OUT_REFUND_NO"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _segment(value: str) -> str:
    return quote(value, safe="")


class WeChatPayV3Client:
    """The v3 client. Build it in the composition root with the process's one HTTP port
    (:func:`payment.wechatpay.transport.build_poster`) and run it inside :meth:`running`
    (which keeps platform certificates fresh, if the configuration uses them), or use
    :meth:`open`."""

    def __init__(
        self,
        config: WeChatPayV3Config,
        http: HttpPoster,
        *,
        clock: Callable[[], datetime] = _utcnow,
        nonce: Callable[[], str] = new_nonce,
        retry: RetryPolicy | None = None,
        timing: Timing | None = None,
        observer: Callable[[AttemptRecord], None] | None = None,
        verifier: Verifier | None = None,
    ) -> None:
        self._config = config
        self._clock = clock
        keys, self.certificates = trusted_keys(config.trust)
        self.verifier: Verifier = verifier or SignatureVerifier(
            keys, clock=lambda: clock().timestamp()
        )
        auth = WeChatPayV3Auth(
            config.merchant,
            public_key_id=config.trust.public_key_id,
            clock=lambda: int(clock().timestamp()),
            nonce=nonce,
        )
        self._exchange = Exchange(http, config, auth, self.verifier)
        self._retry = retry or RetryPolicy()
        self._timing = timing or Timing()
        self._observer = observer
        self.refresher = (
            refresher_for(
                self._exchange,
                config.trust,
                keys,
                self.certificates,
                clock=lambda: clock().timestamp(),
            )
            if self.certificates is not None
            else None
        )

    @classmethod
    @asynccontextmanager
    async def open(cls, config: WeChatPayV3Config, **options: Any) -> AsyncIterator[Self]:
        """A running client with its own pooled HTTP client, closed on exit."""
        http = build_poster(config)
        try:
            client = cls(config, http, **options)
            async with client.running():
                yield client
        finally:
            await http.aclose()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Downloads the platform certificates and refreshes them in the background until the
        block ends (nothing to do in public-key mode)."""
        if self.refresher is None:
            yield
            return
        async with self.refresher.running(first_timeout=self._config.read_timeout):
            yield

    @property
    def config(self) -> WeChatPayV3Config:
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
        """``POST /v3/pay/transactions/native`` (§2.5). The same arguments again return the
        same code; other arguments for the same out_trade_no raise OutTradeNoReusedError.
        ``product_id`` and ``time_start`` have no v3 field and are not sent."""
        require(out_trade_no=out_trade_no, body=body)
        positive_fen(total_fee=total_fee)
        config = self._config
        payload: dict[str, Any] = {
            "appid": config.appid,
            "mchid": config.mch_id,
            "description": body,
            "out_trade_no": out_trade_no,
            "notify_url": notify_url or config.notify_url,
            "amount": {"total": total_fee, "currency": c.CURRENCY_CNY},
        }
        if attach:
            payload["attach"] = attach
        if time_expire is not None:
            payload["time_expire"] = mapping.rfc3339(time_expire)
        answer = await self._call(Api.NATIVE, "POST", c.PATH_NATIVE, payload, deadline)
        issued_at = self._clock()
        expires_at = issued_at + v2.CODE_URL_VALIDITY
        if time_expire is not None:
            expires_at = min(expires_at, mapping.parse_time(payload["time_expire"]))
        with _format_errors():
            return NativeOrder(
                out_trade_no=out_trade_no,
                code_url=mapping.text(mapping.json_object(answer.json()), "code_url"),
                prepay_id="",
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
        """``GET /v3/pay/transactions/out-trade-no/{…}`` or ``/id/{…}`` (§2.6)."""
        if out_trade_no:
            path = c.PATH_QUERY_BY_OUT_TRADE_NO.format(_segment(out_trade_no))
        elif transaction_id:
            path = c.PATH_QUERY_BY_TRANSACTION_ID.format(_segment(transaction_id))
        else:
            raise CallerError(v2.PARAM_ERROR, "out_trade_no or transaction_id is required")
        path += f"?mchid={_segment(self._config.mch_id)}"
        answer = await self._call(Api.QUERY, "GET", path, None, deadline)
        with _format_errors():
            return mapping.trade_status(mapping.json_object(answer.json()))

    async def close_order(self, out_trade_no: str, *, deadline: float | None = None) -> None:
        """``POST …/close`` (§2.7), answered 204. A paid order raises OrderPaidError, a closed
        one OrderClosedError, an unknown one OrderNotFoundError."""
        require(out_trade_no=out_trade_no)
        path = c.PATH_CLOSE.format(_segment(out_trade_no))
        await self._call(Api.CLOSE, "POST", path, {"mchid": self._config.mch_id}, deadline)

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
        """``POST /v3/refund/domestic/refunds`` (§2.8): idempotent on out_refund_no; the answer
        only means accepted. Signed like every v3 request: no client certificate."""
        require(out_trade_no=out_trade_no, out_refund_no=out_refund_no)
        positive_fen(total_fee=total_fee, refund_fee=refund_fee)
        payload: dict[str, Any] = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "amount": {"refund": refund_fee, "total": total_fee, "currency": c.CURRENCY_CNY},
        }
        if refund_desc:
            payload["reason"] = refund_desc
        url = notify_url or self._config.refund_notify_url
        if url:
            payload["notify_url"] = url
        answer = await self._call(Api.REFUND, "POST", c.PATH_REFUNDS, payload, deadline)
        with _format_errors():
            return mapping.refund_result(mapping.json_object(answer.json()))

    async def refund_query(
        self,
        *,
        out_trade_no: str | None = None,
        out_refund_no: str | None = None,
        refund_id: str | None = None,
        transaction_id: str | None = None,
        deadline: float | None = None,
    ) -> RefundQueryResult:
        """``GET /v3/refund/domestic/refunds/{out_refund_no}`` (§2.8). v3 has no query by
        refund_id and none that lists an order's refunds (see the module's notes)."""
        if out_refund_no:
            path = c.PATH_REFUND.format(_segment(out_refund_no))
            answer = await self._call(Api.REFUND_QUERY, "GET", path, None, deadline)
            with _format_errors():
                refund = mapping.json_object(answer.json())
                return RefundQueryResult(
                    out_trade_no=mapping.text(refund, "out_trade_no"),
                    transaction_id=mapping.text(refund, "transaction_id"),
                    total_fee=mapping.amount(refund, "amount.total"),
                    refunds=(mapping.refund_record(refund),),
                    cash_fee=mapping.integer(refund, "amount.payer_total"),
                )
        if refund_id:
            raise CallerError(v2.PARAM_ERROR, "API v3 finds a refund by out_refund_no only")
        if not out_trade_no and not transaction_id:
            raise CallerError(v2.PARAM_ERROR, "name the refund or the order to query")
        try:
            trade = await self.order_query(
                out_trade_no, transaction_id=transaction_id, deadline=deadline
            )
        except OrderNotFoundError as error:
            raise RefundNotFoundError(v2.REFUNDNOTEXIST, error.err_code_des) from None
        if trade.trade_state is not TradeState.REFUND:
            raise RefundNotFoundError(v2.REFUNDNOTEXIST, "the order has no refund")
        raise RefundNotFoundError(
            REFUND_QUERY_NEEDS_OUT_REFUND_NO,
            "the order has refunds, but API v3 lists none by order: query by out_refund_no",
        )

    async def download_bill(
        self,
        bill_date: date,
        bill_type: BillType = BillType.ALL,
        *,
        gzip: bool = True,
        deadline: float | None = None,
    ) -> TradeBill:
        """``GET /v3/bill/tradebill`` then its ``download_url`` (bills reference §3): the day's
        bill (a Beijing day), its SHA-1 checked after gunzip against the verified answer's
        hash_value, parsed and its totals checked. NoBillError, BillNotReadyError and
        BillRejectedError as for v2. A retry asks for a new link: a link lives 30 s."""
        query = f"bill_date={bill_date.isoformat()}&bill_type={bill_type.value}"
        if gzip:
            query += f"&tar_type={v2.TAR_TYPE_GZIP}"
        path = f"{c.PATH_TRADE_BILL}?{query}"

        async def attempt(remaining: float | None) -> tuple[str, bytes]:
            answer = await self._exchange.call(Api.TRADE_BILL, "GET", path, None, remaining)
            with _format_errors():
                meta = mapping.json_object(answer.json())
                hash_type = mapping.text(meta, "hash_type")
                hash_value = mapping.text(meta, "hash_value")
                url = mapping.text(meta, "download_url")
            if hash_type != c.BILL_HASH_TYPE_SHA1:
                raise ResponseFormatError("RESPONSE_FORMAT", f"hash_type {hash_type!r}")
            return hash_value, await self._exchange.download(url, remaining, MAX_BILL_BYTES)

        hash_value, raw = await observed_call(
            Api.TRADE_BILL.value,
            bill_date.isoformat(),
            attempt,
            policy=self._retry,
            deadline=deadline,
            timing=self._timing,
            observer=self._observer,
        )
        if raw[:2] == GZIP_MAGIC:
            raw = gunzip(raw)
        check_sha1(raw, hash_value)
        return parse_bill(raw, bill_date, bill_type)

    async def _call(
        self,
        api: Api,
        method: str,
        path: str,
        payload: Mapping[str, Any] | None,
        deadline: float | None,
    ) -> Answer:
        target = ""
        if payload is not None:
            target = str(payload.get("out_trade_no") or payload.get("out_refund_no") or "")
        return await observed_call(
            api.value,
            target,
            lambda remaining: self._exchange.call(api, method, path, payload, remaining),
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
    except (MappingError, ValueError) as error:
        raise ResponseFormatError("RESPONSE_FORMAT", str(error)[:200]) from error
