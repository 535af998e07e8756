"""Property-based tests of the trade-bill reader (payment.wechatpay.bills): any bill written
in WeChat's format, with its columns in any order, reads back to exactly the lines written,
amounts in fen; and mutated bills or arbitrary bytes either read (with totals that add up) or
raise a BillRejectedError — never anything else."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payment.wechatpay.bills import BillLine, BillType, parse_bill
from payment.wechatpay.constants import BEIJING
from payment.wechatpay.errors import BillRejectedError
from tests.unit.fuzz.profiles import FUZZ, TIMEOUT
from tests.unit.fuzz.strategies import mutated
from tests.unit.wechatpay.bill_fixtures import (
    ALL_HEADER,
    REAL_V3_LINES,
    SUMMARY_HEADER,
    bill_bytes,
)

pytestmark = pytest.mark.timeout(TIMEOUT)

DAY = date(2026, 11, 27)
COLUMNS = ALL_HEADER.split(",")


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


# Merchant text: anything but what would end a value (",`") or a line, and no backslash-quote
# pairs (the bill escapes quotes; the reader unescapes them).
free_text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\r\n`\\\ufeff"),
    max_size=20,
)
ids = st.text(st.sampled_from("0123456789ABCabc_-"), min_size=1, max_size=32)
fen = st.integers(min_value=0, max_value=10**11)


@st.composite
def bill_lines(draw: st.DrawFn) -> BillLine:
    refund = draw(st.booleans())
    order_total = 0 if refund else draw(fen)
    refund_fen = draw(fen) if refund else 0
    fee = draw(st.integers(min_value=0, max_value=10**8))
    return BillLine(
        trade_time=datetime(2026, 11, 27, tzinfo=BEIJING)
        + timedelta(seconds=draw(st.integers(0, 86399))),
        appid=draw(ids),
        mch_id=draw(ids),
        sub_mch_id="0",
        transaction_id=draw(ids),
        out_trade_no=draw(ids),
        openid=draw(ids),
        trade_type="NATIVE",
        line_type="REFUND" if refund else "SUCCESS",
        bank_type="OTHERS",
        currency="CNY",
        settlement_total_fen=order_total,
        coupon_fen=0,
        refund_id=draw(ids) if refund else "0",
        out_refund_no=draw(ids) if refund else "0",
        refund_fen=refund_fen,
        refund_type="ORIGINAL" if refund else "",
        refund_status=draw(st.sampled_from(["SUCCESS", "PROCESSING"])) if refund else "",
        body=draw(free_text),
        attach=draw(free_text),
        fee_fen=-fee if refund else fee,
        rate="0.60%",
        order_total_fen=order_total,
        refund_requested_fen=refund_fen,
    )


def written(line: BillLine) -> dict[str, str]:
    return {
        "交易时间": line.trade_time.strftime("%Y-%m-%d %H:%M:%S"),
        "公众账号ID": line.appid,
        "商户号": line.mch_id,
        "特约商户号": line.sub_mch_id,
        "设备号": "",
        "微信订单号": line.transaction_id,
        "商户订单号": line.out_trade_no,
        "用户标识": line.openid,
        "交易类型": line.trade_type,
        "交易状态": line.line_type,
        "付款银行": line.bank_type,
        "货币种类": line.currency,
        "应结订单金额": yuan(line.settlement_total_fen),
        "代金券金额": yuan(line.coupon_fen),
        "微信退款单号": line.refund_id,
        "商户退款单号": line.out_refund_no,
        "退款金额": yuan(line.refund_fen),
        "充值券退款金额": "0.00",
        "退款类型": line.refund_type,
        "退款状态": line.refund_status,
        "商品名称": line.body.replace('"', '\\"'),
        "商户数据包": line.attach.replace('"', '\\"'),
        "手续费": yuan(line.fee_fen) + "000",
        "费率": line.rate,
        "订单金额": yuan(line.order_total_fen),
        "申请退款金额": yuan(line.refund_requested_fen),
        "费率备注": "",
    }


def render(lines: list[BillLine], columns: list[str]) -> list[str]:
    def total(attribute: str) -> int:
        return sum(getattr(line, attribute) for line in lines)

    summary = [
        str(len(lines)),
        yuan(total("settlement_total_fen")),
        yuan(total("refund_fen")),
        "0.00",
        yuan(total("fee_fen")) + "000",
        yuan(total("order_total_fen")),
        yuan(total("refund_requested_fen")),
    ]
    rows = [",".join("`" + written(line)[name] for name in columns) for line in lines]
    return [",".join(columns), *rows, SUMMARY_HEADER, ",".join("`" + v for v in summary)]


@settings(FUZZ, max_examples=max(100, (FUZZ.max_examples or 0) // 3))
@given(
    st.lists(bill_lines(), max_size=6),
    st.permutations(COLUMNS),
    st.sampled_from(["\r\n", "\n"]),
    st.booleans(),
)
def test_any_bill_in_any_column_order_reads_back_exactly(
    lines: list[BillLine], columns: list[str], newline: str, bom: bool
) -> None:
    raw = bill_bytes(render(lines, list(columns)), bom=bom, newline=newline)
    bill = parse_bill(raw, DAY, BillType.ALL)
    assert list(bill.lines) == lines
    assert bill.totals.lines == len(lines)


def _read_or_refused(raw: bytes) -> None:
    try:
        bill = parse_bill(raw, DAY, BillType.ALL)
    except BillRejectedError:
        return
    assert bill.totals.lines == len(bill.lines)
    assert bill.totals.settlement_total_fen == sum(b.settlement_total_fen for b in bill.lines)


@FUZZ
@given(mutated(bill_bytes(REAL_V3_LINES)))
def test_mutated_bills_read_with_matching_totals_or_are_refused(raw: bytes) -> None:
    _read_or_refused(raw)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_refused_or_read(raw: bytes) -> None:
    _read_or_refused(raw)
