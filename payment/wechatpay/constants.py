"""WeChat Pay API v2 wire constants, each with the section of the reference that defines it.

Reference: ../shared/reference/wechatpay-api.md (sections quoted as §n.n).
"""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Final

# §0: hosts and v2 paths.
PRODUCTION_BASE_URL: Final = "https://api.mch.weixin.qq.com"
BACKUP_BASE_URL: Final = "https://api2.mch.weixin.qq.com"
PATH_UNIFIED_ORDER: Final = "/pay/unifiedorder"
PATH_ORDER_QUERY: Final = "/pay/orderquery"
PATH_CLOSE_ORDER: Final = "/pay/closeorder"
PATH_REFUND: Final = "/secapi/pay/refund"  # mutual TLS with the merchant certificate (§1.6)
PATH_REFUND_QUERY: Final = "/pay/refundquery"
PATH_DOWNLOAD_BILL: Final = "/pay/downloadbill"  # no client certificate (bills reference §2)

# Bills reference §2: a downloadbill failure is unsigned XML with error_code 20002 and one of
# these return_msg strings (WxJava WxPayErrorCode.DownloadBill; "No" with a lowercase "o").
BILL_ERROR_CODE: Final = "error_code"
BILL_ERROR_CODE_VALUE: Final = "20002"
BILL_NO_BILL: Final = "No Bill Exist"
BILL_CREATING: Final = "Bill Creating"
BILL_INVALID_TYPE: Final = "invalid bill_type"
BILL_DATA_FORMAT_ERROR: Final = "data format error"
BILL_MISSING_PARAMETER: Final = "missing parameter"
BILL_SIGN_ERROR: Final = "SIGN ERROR"
BILL_SYSTEMERROR: Final = "SYSTEMERROR"
TAR_TYPE_GZIP: Final = "GZIP"
# Both protocols' bill refusals carry v3's names here (v2 has only the return_msg).
STATEMENT_CREATING: Final = "STATEMENT_CREATING"
NO_STATEMENT_EXIST: Final = "NO_STATEMENT_EXIST"
INVALID_BILL_DATE: Final = "INVALID_BILL_DATE"  # ours: a bill request refused for its date

# §1.1: the two-level result.
SUCCESS: Final = "SUCCESS"
FAIL: Final = "FAIL"
RETURN_CODE: Final = "return_code"
RETURN_MSG: Final = "return_msg"
RESULT_CODE: Final = "result_code"
ERR_CODE: Final = "err_code"
ERR_CODE_DES: Final = "err_code_des"

# §1.2: signature fields.
SIGN: Final = "sign"
SIGN_TYPE: Final = "sign_type"
NONCE_STR: Final = "nonce_str"
NONCE_LENGTH: Final = 32  # nonce_str is String(32); the official SDK uses 32 of [0-9a-zA-Z]
HMAC_SIGNATURE_LENGTH: Final = 64  # §1.2: a 64-hex signature is HMAC-SHA256, else MD5

# §1.3: trade type of a Native (QR code) order.
TRADE_TYPE_NATIVE: Final = "NATIVE"
FEE_TYPE_CNY: Final = "CNY"

# §1.3 / §3: code_url and prepay_id are valid two hours after they are issued.
CODE_URL_VALIDITY: Final = timedelta(hours=2)

# §3 / S16: v2 times are Beijing time (UTC+8), `yyyyMMddHHmmss`; refund times `yyyy-MM-dd HH:mm:ss`.
BEIJING: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
COMPACT_TIME_FORMAT: Final = "%Y%m%d%H%M%S"
REFUND_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"

# §1.8: WeChat's payment notify retry schedule in seconds (24h4m in all) and the reply deadline.
NOTIFY_RETRY_SCHEDULE: Final = (
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
)  # fmt: skip
NOTIFY_REPLY_TIMEOUT_SECONDS: Final = 5.0

# §2.3: WeChat's deliberately wrongly signed probe notifies carry a signature with this prefix.
# (Documented for v3; the sandbox sends v2 probes the same way.)
SIGNATURE_PROBE_PREFIX: Final = "WECHATPAY/SIGNTEST/"

# §1.9: the refund notify's encrypted field.
REQ_INFO: Final = "req_info"

# §1.3-§1.7 and §1.10: err_code values.
SYSTEMERROR: Final = "SYSTEMERROR"
BIZERR_NEED_RETRY: Final = "BIZERR_NEED_RETRY"
FREQUENCY_LIMITED: Final = "FREQUENCY_LIMITED"
INVALID_REQ_TOO_MUCH: Final = "INVALID_REQ_TOO_MUCH"
ORDERPAID: Final = "ORDERPAID"
ORDERCLOSED: Final = "ORDERCLOSED"
ORDERNOTEXIST: Final = "ORDERNOTEXIST"
REFUNDNOTEXIST: Final = "REFUNDNOTEXIST"
OUT_TRADE_NO_USED: Final = "OUT_TRADE_NO_USED"
INVALID_REQUEST: Final = "INVALID_REQUEST"
NOTENOUGH: Final = "NOTENOUGH"
ERROR: Final = "ERROR"
TRADE_OVERDUE: Final = "TRADE_OVERDUE"
USER_ACCOUNT_ABNORMAL: Final = "USER_ACCOUNT_ABNORMAL"
INVALID_TRANSACTIONID: Final = "INVALID_TRANSACTIONID"
SIGNERROR: Final = "SIGNERROR"
LACK_PARAMS: Final = "LACK_PARAMS"
XML_FORMAT_ERROR: Final = "XML_FORMAT_ERROR"
REQUIRE_POST_METHOD: Final = "REQUIRE_POST_METHOD"
POST_DATA_EMPTY: Final = "POST_DATA_EMPTY"
NOT_UTF8: Final = "NOT_UTF8"
PARAM_ERROR: Final = "PARAM_ERROR"
NOAUTH: Final = "NOAUTH"
APPID_NOT_EXIST: Final = "APPID_NOT_EXIST"
MCHID_NOT_EXIST: Final = "MCHID_NOT_EXIST"
APPID_MCHID_NOT_MATCH: Final = "APPID_MCHID_NOT_MATCH"

# §8.2: protocol errors often arrive as return_code=FAIL with only a Chinese return_msg. These
# phrases (checked in order, by substring) recover the err_code; anything else is RETURN_FAIL.
RETURN_FAIL: Final = "RETURN_FAIL"
RETURN_MSG_CODES: Final = (
    ("签名错误", SIGNERROR),
    ("XML格式错误", XML_FORMAT_ERROR),
    ("缺少参数", LACK_PARAMS),
    ("编码格式错误", NOT_UTF8),
    ("post数据为空", POST_DATA_EMPTY),
    ("请使用post方法", REQUIRE_POST_METHOD),
    ("appid和mch_id不匹配", APPID_MCHID_NOT_MATCH),
    ("appid不存在", APPID_NOT_EXIST),
    ("mch_id不存在", MCHID_NOT_EXIST),
    ("商户号不存在", MCHID_NOT_EXIST),
    ("参数格式", PARAM_ERROR),
    ("系统繁忙", SYSTEMERROR),
    ("系统错误", SYSTEMERROR),
)

# The merchant's answers to a notify (§1.8, §6).
SUCCESS_REPLY_MSG: Final = "OK"
