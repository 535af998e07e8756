"""Trade bills byte by byte, written from the bills reference (§4, §6)."""

from __future__ import annotations

ALL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
    "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
SUMMARY_HEADER = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)
_REAL_LINE = (
    "`2021-01-28 {time},`wx81be3101902f7cb2,`1601959334,`0,`,`{transaction_id},`{out_trade_no},"
    "`ofyak5qR_1wYsC99CsWA6R9MJazA,`NATIVE,`SUCCESS,`OTHERS,`CNY,`0.01,`0.00,`0,`0,`0.00,`0.00,"
    "`,`,`for testing,`cipher code,`0.00000,`1.00%,`0.01,`0.00,`"
)
REAL_V3_LINES = [
    ALL_HEADER,
    _REAL_LINE.format(
        time="17:07:11",
        transaction_id="4200000925202101284997714292",
        out_trade_no="S20210128170702357723",
    ),
    _REAL_LINE.format(
        time="15:35:18",
        transaction_id="4200000910202101282955148400",
        out_trade_no="S20210128153505214586",
    ),
    _REAL_LINE.format(
        time="16:59:46",
        transaction_id="4200000926202101281412639609",
        out_trade_no="S20210128165824499930",
    ),
    SUMMARY_HEADER,
    "`3,`0.03,`0.00,`0.00,`0.00000,`0.03,`0.00",
]
"""A real v3 ALL bill (gunsluo/wechatpay-go helper_test.go, January 2021)."""
REAL_V3_SHA1 = "dcd7ceb3d382a1181798368bb15d8437de46c00f"
"""Its hash_value as WeChat answered it: over BOM + the lines, each ended by CRLF."""

REFUND_LINE_2024 = (
    "`2024-07-09 16:47:58,`wxe1696e7c7db8e7f4,`1579507281,`0,`,`4200002166202406250324636876,"
    "`5617363390111199232,`oVgf…,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,"
    "`50302709992024070991956632208,`5622435300878286848,`50.00,`0.00,`ORIGINAL,`SUCCESS,"
    '`2024-06-28 18:30 客户付款,`{\\"statement_id\\":\\"5617363390111199232\\"},`-0.27000,'
    "`0.54%,`0.00,`50.00,`"
)
"""A refund line of a real 2024 ALL bill (xjryanse/logic Strings.php), attach escaped."""

LEGACY_HEADER = (
    "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,"
    "代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率"
)
LEGACY_SUMMARY_HEADER = "总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额"
LEGACY_LINES = [
    LEGACY_HEADER,
    "`2017-03-01 10:00:00,`wx2421b1c4370ec43b,`10000100,`0,`,`4007752001201703011234567890,"
    "`L2017030100001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`CMB_CREDIT,`CNY,`0.29,`0.00,"
    "`0,`0,`0.00,`0.00,`,`,`legacy, with a comma,`,`0.00000,`0.60%",
    "`2017-03-01 11:00:00,`wx2421b1c4370ec43b,`10000100,`0,`,`4007752001201703011234567890,"
    "`L2017030100001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`REFUND,`CMB_CREDIT,`CNY,`0.00,`0.00,"
    "`50000000382017030100001,`LR2017030100001,`0.10,`0.00,`ORIGINAL,`PROCESSING,"
    "`legacy, with a comma,`,`-0.00000,`0.60%",
    LEGACY_SUMMARY_HEADER,
    "`2,`0.29,`0.10,`0.00,`0.00000",
]
"""A bill in the pre-2018 24-column layout: other names (总金额, 子商户号), a 5-field summary."""


def bill_bytes(lines: list[str], *, bom: bool = True, newline: str = "\r\n") -> bytes:
    return (("\ufeff" if bom else "") + "".join(line + newline for line in lines)).encode()
