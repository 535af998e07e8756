"""Properties of sign/verify over arbitrary messages (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payment.wechatpay.signing import (
    SignType,
    UnknownSignTypeError,
    new_nonce,
    sign,
    signature_type_of,
    verify,
)

names = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True).filter(lambda n: n != "sign")
values = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
messages = st.dictionaries(names, values, min_size=1, max_size=12)
keys = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=32, max_size=32)
sign_types = st.sampled_from(SignType)


@given(messages, keys, sign_types)
def test_a_signed_message_verifies(message: dict[str, str], key: str, sign_type: SignType) -> None:
    signed = {**message, "sign": sign(message, key, sign_type)}
    assert verify(signed, key, sign_type)


@given(messages, keys, sign_types)
def test_the_signature_length_names_the_algorithm(
    message: dict[str, str], key: str, sign_type: SignType
) -> None:
    message.pop("sign_type", None)
    signed = {**message, "sign": sign(message, key, sign_type)}
    assert signature_type_of(signed) is sign_type
    assert verify(signed, key)


@given(messages, keys, sign_types, st.data())
def test_changing_any_signed_value_breaks_the_signature(
    message: dict[str, str], key: str, sign_type: SignType, data: st.DataObject
) -> None:
    signed = {**message, "sign": sign(message, key, sign_type)}
    name = data.draw(st.sampled_from(sorted(message)))
    signed[name] = message[name].strip() + "x"
    assert not verify(signed, key, sign_type)


@given(messages, keys, keys, sign_types)
def test_another_key_does_not_verify(
    message: dict[str, str], key: str, other: str, sign_type: SignType
) -> None:
    signed = {**message, "sign": sign(message, key, sign_type)}
    assert verify(signed, other, sign_type) is (other == key)


@given(messages, keys, sign_types)
def test_field_order_and_empty_fields_do_not_matter(
    message: dict[str, str], key: str, sign_type: SignType
) -> None:
    reordered = dict(reversed(list(message.items())))
    reordered["zz_empty"] = ""
    assert sign(reordered, key, sign_type) == sign(message, key, sign_type)


@given(messages, keys)
def test_a_signature_that_is_not_ascii_is_refused_not_crashed(
    message: dict[str, str], key: str
) -> None:
    assert not verify({**message, "sign": "签名" * 16}, key)


def test_a_missing_signature_never_verifies() -> None:
    assert not verify({"a": "1"}, "k" * 32, SignType.MD5)


def test_an_unknown_sign_type_is_an_error_not_a_guess() -> None:
    with pytest.raises(UnknownSignTypeError):
        verify({"a": "1", "sign_type": "SHA1", "sign": "00"}, "k" * 32)


def test_a_declared_sign_type_wins_over_the_signature_length() -> None:
    message = {"a": "1", "sign_type": "MD5"}
    hmac_signature = sign(message, "k" * 32, SignType.HMAC_SHA256)
    assert not verify({**message, "sign": hmac_signature}, "k" * 32)


def test_nonces_are_32_characters_and_fresh() -> None:
    nonces = {new_nonce() for _ in range(100)}
    assert len(nonces) == 100
    assert all(len(n) == 32 and n.isalnum() for n in nonces)
