"""The sandbox's own crypto and codec (it imports none of the client's, import-linter contract)
checked against the client's: what one writes the other reads, and both sign alike. Two
implementations that agree, and agree with the official SDKs (tests/sdk), leave a shared
misunderstanding nowhere to hide."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from payment.wechatpay import signing as client_v2
from payment.wechatpay import xml_codec
from payment.wechatpay.refund_notify import decrypt_req_info
from payment.wechatpay_v3 import aead, certificate_serial
from payment.wechatpay_v3 import signing as client_v3
from sandbox import v3_crypto
from sandbox.req_info import seal_req_info
from sandbox.v2_sign import SignType, signature, signature_valid
from sandbox.xml_form import XmlError, read_fields, write_fields

KEY = "192006250b4c09247ec02edce69f6a2d"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

FIELD_SETS = [
    # The reference's worked example (§1.2, §7 V1).
    {
        "appid": "wxd930ea5d5a258f4f",
        "mch_id": "10000100",
        "device_info": "1000",
        "body": "test",
        "nonce_str": "ibuaiVcKdpRxkhJA",
    },
    # Empty and whitespace-only values, padding to trim, non-ASCII text, sign itself, case.
    {
        "body": "  腾讯充值中心-QQ会员充值\t",
        "attach": "",
        "detail": " \n ",
        "Zeta": "upper-case names sort first",
        "sign": "IGNORED",
        "total_fee": "88",
        "sign_type": "HMAC-SHA256",
    },
]


@pytest.mark.parametrize("fields", FIELD_SETS)
@pytest.mark.parametrize("sign_type", list(SignType))
def test_v2_signatures_agree(fields: dict[str, str], sign_type: SignType) -> None:
    ours = signature(fields, KEY, sign_type)
    assert ours == client_v2.sign(fields, KEY, client_v2.SignType(sign_type.value))
    assert signature_valid({**fields, "sign": ours}, KEY, sign_type)
    assert not signature_valid({**fields, "sign": ours.lower()}, KEY, sign_type)


def test_the_reference_example_signs_as_documented() -> None:
    assert signature(FIELD_SETS[0], KEY, SignType.MD5) == "9A0A8659F005D6984697E2CA0A9CF3B7"
    assert signature(FIELD_SETS[0], KEY, SignType.HMAC_SHA256) == (
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    )


def test_xml_written_by_either_is_read_by_the_other() -> None:
    fields = {"a": "x ]]> y", "b": "line\r\nbreak", "c": "<&>", "d": "中文"}
    assert xml_codec.parse(write_fields(fields)) == fields
    assert read_fields(xml_codec.encode(fields), max_bytes=4096) == fields


@pytest.mark.parametrize(
    "body",
    [
        b'<!DOCTYPE x [<!ENTITY e "boom">]><xml><a>&e;</a></xml>',
        b"<xml><a><b>nested</b></a></xml>",
        b"<xml><a>1</a><a>2</a></xml>",
        b"<xml><a>unclosed</xml>",
        b'<?xml version="1.0" encoding="GBK"?><xml><a>1</a></xml>',
        b"<xml><a>\xff</a></xml>",
    ],
)
def test_the_sandbox_refuses_what_the_client_refuses(body: bytes) -> None:
    with pytest.raises(XmlError):
        read_fields(body, max_bytes=4096)
    with pytest.raises(xml_codec.XmlError):
        xml_codec.parse(body)


def test_req_info_sealed_by_the_sandbox_opens_with_the_client() -> None:
    inner = write_fields({"out_refund_no": "r-1", "refund_status": "SUCCESS"}, root="root")
    opened = decrypt_req_info(seal_req_info(inner, KEY), KEY)
    assert opened == {"out_refund_no": "r-1", "refund_status": "SUCCESS"}


def test_v3_signatures_and_resources_cross_over() -> None:
    message = v3_crypto.answer_message("1700000000", "n0nce", b'{"a":1}')
    assert message == client_v3.response_message("1700000000", "n0nce", b'{"a":1}')
    request = v3_crypto.request_message("GET", "/v3/x?y=1", "1", "n", b"")
    assert request == client_v3.request_message("GET", "/v3/x?y=1", "1", "n", b"")
    signed = v3_crypto.rsa_sign(message, RSA_KEY)
    assert signed == client_v3.sign(message, RSA_KEY)  # PKCS#1 v1.5 is deterministic
    assert client_v3.signature_matches(message, signed, RSA_KEY.public_key())
    assert not v3_crypto.rsa_signature_valid(message + b" ", signed, RSA_KEY.public_key())
    sealed = v3_crypto.seal(b"k" * 32, "abcdefghijkl", b"plain", "transaction")
    assert aead.decrypt(b"k" * 32, "abcdefghijkl", sealed, "transaction") == b"plain"


def test_the_sandbox_reads_the_clients_authorization_header_in_any_order() -> None:
    auth = client_v3.Authorization("1900000931", "N" * 32, "1700000000", "0A1B", "c2ln")
    header = client_v3.authorization_header(auth)
    read = v3_crypto.read_authorization(header)
    assert (read.mchid, read.nonce_str, read.timestamp, read.serial_no, read.signature) == (
        "1900000931",
        "N" * 32,
        "1700000000",
        "0A1B",
        "c2ln",
    )
    scheme, _, pairs = header.partition(" ")
    reordered = f"{scheme} {','.join(reversed(pairs.split(',')))}"
    assert v3_crypto.read_authorization(reordered) == read
    for broken in ("Bearer x", header.replace("serial_no", "serial"), f'{header},mchid="1"'):
        with pytest.raises(v3_crypto.AuthorizationError):
            v3_crypto.read_authorization(broken)


def _certificate(serial_number: int) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "serial")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(RSA_KEY.public_key())
        .serial_number(serial_number)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(RSA_KEY, hashes.SHA256())
    )


@pytest.mark.parametrize(
    ("serial_number", "written"),
    [
        (0x0F1E2D3C4B5A69788796A5B4C3D2E1F001122334, "0F1E2D3C4B5A69788796A5B4C3D2E1F001122334"),
        (0x7A1E2D3C4B5A69788796A5B4C3D2E1F001122334, "7A1E2D3C4B5A69788796A5B4C3D2E1F001122334"),
        (0xABC, "0ABC"),
    ],
)
def test_a_serial_keeps_its_leading_zero_on_both_sides(serial_number: int, written: str) -> None:
    certificate = _certificate(serial_number)
    # The DER bytes of the serial, as wechatpay-go and openssl print them.
    assert v3_crypto.serial_of(certificate) == written
    assert certificate_serial(certificate) == written
    assert bytes.fromhex(written) == serial_number.to_bytes(len(written) // 2, "big")
    assert base64.b16encode(bytes.fromhex(written)).decode() == written
