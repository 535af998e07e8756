"""Our v2 ``sign`` (the client's) and the sandbox's equal what the course's own SDK computes:
``WXPayUtil.generateSignature`` of com.github.wxpay:wxpay-sdk 0.0.3, run as it is in a JVM, MD5
and HMAC-SHA256, with empty values, non-ASCII text and values the SDK trims. The SDK also accepts
each signature with ``isSignatureValid``."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest

from devstack.sdks import wxpay_sdk_classpath
from payment.wechatpay import signing as client
from sandbox import v2_sign

pytestmark = pytest.mark.integration

KEY = "192006250b4c09247ec02edce69f6a2d"
FIELD_SETS: list[dict[str, str]] = [
    {
        "appid": "wxd930ea5d5a258f4f",
        "mch_id": "10000100",
        "device_info": "1000",
        "body": "test",
        "nonce_str": "ibuaiVcKdpRxkhJA",
    },
    {"body": "腾讯充值中心-QQ会员充值", "attach": "", "total_fee": "88", "nonce_str": "n"},
    {"body": "  padded \t", "detail": " \n ", "attach": "\u3000ideographic space", "n": "1"},
    {"Zeta": "upper case sorts first", "alpha": "a", "sign_type": "HMAC-SHA256", "x": "é"},
    {"only": "", "blank": "   "},
]
TYPES = {"MD5": client.SignType.MD5, "HMACSHA256": client.SignType.HMAC_SHA256}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(scope="module")
def sdk_signatures() -> dict[tuple[str, int], tuple[str, bool]]:
    if shutil.which("java") is None:
        pytest.fail("java is not installed: ./dev installs the JDK")
    blocks = []
    order = []
    for java_type in TYPES:
        for index, fields in enumerate(FIELD_SETS):
            lines = [f"{java_type} {_b64(KEY)}"]
            lines += [f"{_b64(name)} {_b64(value)}" for name, value in fields.items()]
            blocks.append("\n".join(lines))
            order.append((java_type, index))
    result = subprocess.run(
        ["java", "-cp", wxpay_sdk_classpath(), "SignWithWxPaySdk"],
        input="\n\n".join(blocks) + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    lines = result.stdout.splitlines()
    assert len(lines) == len(order), result.stderr
    answers = {}
    for key, line in zip(order, lines, strict=True):
        sign, valid = line.split(" ")
        answers[key] = (sign, valid == "true")
    return answers


@pytest.mark.parametrize("java_type", list(TYPES))
@pytest.mark.parametrize("index", range(len(FIELD_SETS)))
def test_our_v2_sign_equals_wxpayutil_generate_signature(
    sdk_signatures: dict[tuple[str, int], tuple[str, bool]], java_type: str, index: int
) -> None:
    fields = FIELD_SETS[index]
    sdk_sign, sdk_accepts = sdk_signatures[(java_type, index)]
    assert sdk_accepts
    assert client.sign(fields, KEY, TYPES[java_type]) == sdk_sign
    assert v2_sign.signature(fields, KEY, v2_sign.SignType(TYPES[java_type].value)) == sdk_sign
