"""Reading a merchant's v2 request and writing WeChat's answer (reference §1.1, §1.2).

WeChat looks the merchant up by mch_id, then checks the signature with that merchant's key and
the request's declared ``sign_type`` (MD5 when absent), then the appid. Answers are signed with
the request's sign type; protocol failures are unsigned ``return_code=FAIL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import Request

from payment.wechatpay import constants as c
from sandbox.failures import ReturnFailError
from sandbox.ids import Ids
from sandbox.v2_sign import SignType, signature, signature_valid
from sandbox.xml_form import EncodingError, XmlError, read_fields, write_fields

__all__ = ["MAX_REQUEST_BYTES", "Merchant", "SignedRequest", "read_capped", "read_request"]

MAX_REQUEST_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Merchant:
    appid: str
    mch_id: str
    api_key: str


@dataclass(frozen=True, slots=True)
class SignedRequest:
    fields: dict[str, str]
    sign_type: SignType


async def read_capped(request: Request) -> bytes | None:
    """The request body, or None once it is over :data:`MAX_REQUEST_BYTES` (v2 and v3)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def read_request(body: bytes, merchant: Merchant) -> SignedRequest:
    """The verified request, or :class:`ReturnFailError` with the text WeChat would answer."""
    if not body:
        raise ReturnFailError("post数据为空")
    try:
        fields = read_fields(body, max_bytes=MAX_REQUEST_BYTES)
    except EncodingError:
        raise ReturnFailError("编码格式错误，请使用UTF-8") from None
    except XmlError:
        raise ReturnFailError("XML格式错误") from None
    for name in ("appid", "mch_id", c.NONCE_STR, c.SIGN):
        if not fields.get(name):
            raise ReturnFailError(f"缺少参数{name}")
    if fields["mch_id"] != merchant.mch_id:
        raise ReturnFailError("mch_id不存在")
    try:
        sign_type = SignType(fields.get(c.SIGN_TYPE) or SignType.MD5)
    except ValueError:
        raise ReturnFailError("sign_type参数格式错误") from None
    if not signature_valid(fields, merchant.api_key, sign_type):
        raise ReturnFailError("签名错误")
    if fields["appid"] != merchant.appid:
        raise ReturnFailError("appid和mch_id不匹配")
    return SignedRequest(fields=fields, sign_type=sign_type)


def success_answer(
    merchant: Merchant, sign_type: SignType, business: Mapping[str, str], ids: Ids
) -> bytes:
    return _signed(merchant, sign_type, {c.RESULT_CODE: c.SUCCESS, **business}, ids)


def business_fail_answer(
    merchant: Merchant, sign_type: SignType, err_code: str, err_code_des: str, ids: Ids
) -> bytes:
    fields = {c.RESULT_CODE: c.FAIL, c.ERR_CODE: err_code, c.ERR_CODE_DES: err_code_des}
    return _signed(merchant, sign_type, fields, ids)


def return_fail_answer(return_msg: str) -> bytes:
    return write_fields({c.RETURN_CODE: c.FAIL, c.RETURN_MSG: return_msg})


def _signed(merchant: Merchant, sign_type: SignType, fields: Mapping[str, str], ids: Ids) -> bytes:
    answer = {
        c.RETURN_CODE: c.SUCCESS,
        c.RETURN_MSG: "OK",
        "appid": merchant.appid,
        "mch_id": merchant.mch_id,
        c.NONCE_STR: ids.nonce(),
        **fields,
    }
    answer[c.SIGN] = signature(answer, merchant.api_key, sign_type)
    return write_fields(answer)
