"""Property-based fuzzing of the v2 XML codec beyond its round trips
(tests/unit/wechatpay/test_xml_codec.py): mutated notifies, grammar-built hostile documents
(DOCTYPE and entities anywhere, deep nesting, many fields, comments, processing instructions,
CDATA tricks, other encodings). Every body parses to flat string fields or raises the codec's
own XmlError — never anything else — and what parses never holds an expanded entity."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from payment.wechatpay import xml_codec
from tests.fixtures.gateway import notify_fields, signed_body
from tests.unit.fuzz.profiles import FUZZ, TIMEOUT
from tests.unit.fuzz.strategies import mutated

pytestmark = pytest.mark.timeout(TIMEOUT)

VALID = signed_body(notify_fields("order-codec-1", 100, attach="商品 & <b>"))


def _parse_or_typed_error(body: bytes) -> dict[str, str] | None:
    try:
        fields = xml_codec.parse(body)
    except xml_codec.XmlError:
        return None
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
    return fields


@FUZZ
@given(mutated(VALID))
def test_mutated_notifies_parse_flat_or_raise_a_typed_error(body: bytes) -> None:
    _parse_or_typed_error(body)


names = st.sampled_from(["xml", "appid", "a", "sign", "x-y", "_", "ns:el"])
text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@st.composite
def hostile_documents(draw: st.DrawFn) -> bytes:
    """A document built from the pieces XML attacks are made of."""
    pieces: list[str] = []
    if draw(st.booleans()):
        encoding = draw(st.sampled_from(["UTF-8", "utf-8", "UTF-16", "GB18030", "latin-1", ""]))
        pieces.append(f'<?xml version="1.0"{f" encoding={encoding!r}" if encoding else ""}?>')
    if draw(st.booleans()):
        entity = draw(
            st.sampled_from(
                [
                    '<!ENTITY e "' + "x" * 1000 + '">',
                    '<!ENTITY e SYSTEM "file:///etc/passwd">',
                    '<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;',
                    '<!ENTITY e "&e;">',
                ]
            )
        )
        pieces.append(f"<!DOCTYPE xml [{entity}]>")
    body: list[str] = []
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(
            st.sampled_from(["field", "cdata", "entity", "charref", "comment", "pi", "nested"])
        )
        name = draw(names)
        value = draw(text).replace("<", "").replace("&", "")
        if kind == "field":
            body.append(f"<{name}>{value}</{name}>")
        elif kind == "cdata":
            body.append(f"<{name}><![CDATA[{value}]]></{name}>")
        elif kind == "entity":
            body.append(f"<{name}>&{draw(st.sampled_from(['e', 'lt', 'amp', 'nope']))};</{name}>")
        elif kind == "charref":
            code = draw(st.sampled_from([0, 9, 65, 0xD800, 0x10FFFF, 0x110000]))
            body.append(f"<{name}>&#{code};</{name}>")
        elif kind == "comment":
            body.append(f"<!--{value}-->")
        elif kind == "pi":
            body.append(f"<?target {value}?>")
        else:
            depth = draw(st.integers(2, 2000))
            body.append("<a>" * depth + value + "</a>" * depth)
    pieces.append("<xml>" + "".join(body) + "</xml>")
    document = "".join(pieces)
    codec = draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "gb18030"]))
    return document.encode(codec, "replace")


@FUZZ
@given(hostile_documents())
@example(b"<xml>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</xml>")
@example(b"<xml>" + b"".join(b"<f%d>1</f%d>" % (n, n) for n in range(5000)) + b"</xml>")
def test_hostile_documents_parse_flat_or_raise_a_typed_error(body: bytes) -> None:
    fields = _parse_or_typed_error(body)
    if fields is not None:
        assert b"<!DOCTYPE" not in body
        assert b"<!ENTITY" not in body
        assert not any("x" * 1000 in value or "root:" in value for value in fields.values())
