"""WeChat Pay API v3 wire constants, each with the section of the reference that defines it.

Reference: ../shared/reference/wechatpay-api.md (sections quoted as §n.n). Hosts, the notify
retry schedule, the probe prefix and the v2 error names shared with v2 live in
:mod:`payment.wechatpay.constants`.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Final

# §0: v3 paths (direct merchant). `{}` is the out_trade_no / transaction_id / out_refund_no.
PATH_NATIVE: Final = "/v3/pay/transactions/native"
PATH_QUERY_BY_OUT_TRADE_NO: Final = "/v3/pay/transactions/out-trade-no/{}"
PATH_QUERY_BY_TRANSACTION_ID: Final = "/v3/pay/transactions/id/{}"
PATH_CLOSE: Final = "/v3/pay/transactions/out-trade-no/{}/close"
PATH_REFUNDS: Final = "/v3/refund/domestic/refunds"
PATH_REFUND: Final = "/v3/refund/domestic/refunds/{}"
PATH_CERTIFICATES: Final = "/v3/certificates"
PATH_TRADE_BILL: Final = "/v3/bill/tradebill"
PATH_BILL_DOWNLOAD: Final = "/v3/billdownload/file"  # the download_url's path (bills ref §3)
BILL_HASH_TYPE_SHA1: Final = "SHA1"

# §2.1: JSON, UTF-8.
JSON: Final = "application/json"

# §2.2: the request signature and the Authorization header.
AUTH_SCHEME: Final = "WECHATPAY2-SHA256-RSA2048"
NONCE_LENGTH: Final = 32  # SDKs use 32 characters of [0-9A-Za-z]

# §2.3: the headers of a signed answer or notify.
HEADER_TIMESTAMP: Final = "Wechatpay-Timestamp"
HEADER_NONCE: Final = "Wechatpay-Nonce"
HEADER_SIGNATURE: Final = "Wechatpay-Signature"
HEADER_SERIAL: Final = "Wechatpay-Serial"
HEADER_SIGNATURE_TYPE: Final = "Wechatpay-Signature-Type"
HEADER_REQUEST_ID: Final = "Request-ID"
SIGNATURE_TYPE: Final = AUTH_SCHEME  # the only Wechatpay-Signature-Type there is
# ±5 minutes; like the official Java validator, a difference of exactly 5 minutes is too much.
TIMESTAMP_WINDOW_SECONDS: Final = 300

# §2.4: a "WeChat Pay public key" is named by its id instead of a certificate serial.
PUBLIC_KEY_ID_PREFIX: Final = "PUB_KEY_ID_"

# §2.4, §2.9: AES-256-GCM resources (certificates and notifies).
AEAD_ALGORITHM: Final = "AEAD_AES_256_GCM"
APIV3_KEY_BYTES: Final = 32
GCM_NONCE_BYTES: Final = 12
GCM_TAG_BYTES: Final = 16
CERTIFICATE_ASSOCIATED_DATA: Final = "certificate"

# §2.9: notifies.
RESOURCE_TYPE: Final = "encrypt-resource"
EVENT_TRANSACTION_SUCCESS: Final = "TRANSACTION.SUCCESS"
EVENT_REFUND_PREFIX: Final = "REFUND."  # REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED
ORIGINAL_TYPE_TRANSACTION: Final = "transaction"
ORIGINAL_TYPE_REFUND: Final = "refund"

# §2.1, §2.5, §2.6: RFC 3339 times; WeChat writes them in Beijing time.
BEIJING: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
CURRENCY_CNY: Final = "CNY"

# §2.1: the error body of a v3 answer.
ERROR_CODE: Final = "code"
ERROR_MESSAGE: Final = "message"

# §2.1, §2.10: v3 error codes (the underscore spellings; §2.10 lists the legacy ones beside them).
SYSTEM_ERROR: Final = "SYSTEM_ERROR"
BANK_ERROR: Final = "BANK_ERROR"
SERVICE_UNAVAILABLE: Final = "SERVICE_UNAVAILABLE"
PARAM_ERROR: Final = "PARAM_ERROR"
INVALID_REQUEST: Final = "INVALID_REQUEST"
SIGN_ERROR: Final = "SIGN_ERROR"
NO_AUTH: Final = "NO_AUTH"
NOT_ENOUGH: Final = "NOT_ENOUGH"
ORDER_NOT_EXIST: Final = "ORDER_NOT_EXIST"
ORDER_CLOSED: Final = "ORDER_CLOSED"
NO_STATEMENT_EXIST: Final = "NO_STATEMENT_EXIST"  # bills: no trades that day (final)
STATEMENT_CREATING: Final = "STATEMENT_CREATING"  # bills: not made yet (retry after 10:00)
ORDER_PAID: Final = "ORDER_PAID"
RESOURCE_NOT_EXISTS: Final = "RESOURCE_NOT_EXISTS"
MCH_NOT_EXISTS: Final = "MCH_NOT_EXISTS"
APPID_MCHID_NOT_MATCH: Final = "APPID_MCHID_NOT_MATCH"
OUT_TRADE_NO_USED: Final = "OUT_TRADE_NO_USED"
FREQUENCY_LIMITED: Final = "FREQUENCY_LIMITED"
RATELIMIT_EXCEEDED: Final = "RATELIMIT_EXCEEDED"
RULE_LIMIT: Final = "RULE_LIMIT"
TRADE_ERROR: Final = "TRADE_ERROR"
ACCOUNT_ERROR: Final = "ACCOUNT_ERROR"
USER_PAYING: Final = "USER_PAYING"
USER_ACCOUNT_ABNORMAL: Final = "USER_ACCOUNT_ABNORMAL"
INVALID_TRANSACTIONID: Final = "INVALID_TRANSACTIONID"
