"""The XML codec: round trips (hypothesis) and every hostile body, each with its typed error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payment.wechatpay import xml_codec
from payment.wechatpay.xml_codec import (
    DoctypeError,
    DuplicateFieldError,
    EncodingError,
    MalformedXmlError,
    MultipleRootsError,
    NestedElementError,
    OversizeError,
    XmlError,
    encode,
    parse,
)

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True).filter(
    lambda n: not n.lower().startswith("xml")
)
xml_text = st.text(
    st.characters(
        exclude_categories=["Cs"],
        exclude_characters="".join(chr(c) for c in range(0x20) if c not in (9, 10, 13))
        + "\ufffe\uffff",
    ),
    max_size=60,
)
field_maps = st.dictionaries(names, xml_text, max_size=15)


@given(field_maps)
def test_encode_then_parse_gives_the_same_fields(fields: dict[str, str]) -> None:
    assert parse(encode(fields)) == fields


@given(st.dictionaries(names, st.integers(min_value=0, max_value=10**12), max_size=8))
def test_integers_are_written_bare_and_read_back_as_text(fields: dict[str, int]) -> None:
    body = encode(fields)
    assert b"CDATA" not in body
    assert parse(body) == {name: str(value) for name, value in fields.items()}


@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_raise_a_typed_error(body: bytes) -> None:
    try:
        fields = parse(body)
    except XmlError:
        return
    assert isinstance(fields, dict)


def test_cdata_terminator_inside_a_value_survives() -> None:
    assert parse(encode({"a": "x]]>y]]>"})) == {"a": "x]]>y]]>"}


def test_carriage_returns_survive() -> None:
    assert parse(encode({"a": "1\r\n2\r"})) == {"a": "1\r\n2\r"}


def test_plain_and_cdata_text_read_the_same() -> None:
    body = b"<xml><a>1</a><b><![CDATA[<&>]]></b><c>&lt;&amp;</c><d/></xml>"
    assert parse(body) == {"a": "1", "b": "<&>", "c": "<&", "d": ""}


def test_a_utf8_declaration_and_bom_are_fine() -> None:
    body = '\ufeff<?xml version="1.0" encoding="UTF-8"?><xml><a>支付</a></xml>'.encode()
    assert parse(body) == {"a": "支付"}


def test_encoder_refuses_characters_xml_cannot_carry() -> None:
    with pytest.raises(ValueError, match="cannot carry"):
        encode({"a": "nul\x00"})


def test_encoder_refuses_names_that_are_not_xml_names() -> None:
    with pytest.raises(ValueError, match="field name"):
        encode({"a b": "1"})


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><appid>&xxe;</appid></xml>"""
XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<xml><a>1</a></xml>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xml><a>&lol9;</a></xml>"""
QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "'
    + b"A" * 20_000
    + b'">]><xml><b>'
    + b"&a;" * 2_000
    + b"</b></xml>"
)
EXTERNAL_DTD = b'<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd"><xml><a>1</a></xml>'


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(XXE, DoctypeError, id="xxe"),
        pytest.param(XXE_PARAMETER, DoctypeError, id="xxe-parameter-entity"),
        pytest.param(BILLION_LAUGHS, DoctypeError, id="billion-laughs"),
        pytest.param(QUADRATIC_BLOWUP, DoctypeError, id="quadratic-blowup"),
        pytest.param(EXTERNAL_DTD, DoctypeError, id="external-dtd"),
        pytest.param(
            b"<xml>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</xml>",
            NestedElementError,
            id="deep-nesting",
        ),
        pytest.param(b"<xml><a><b>1</b></a></xml>", NestedElementError, id="nested-field"),
        pytest.param(b"<xml><a>1</a><a>2</a></xml>", DuplicateFieldError, id="duplicate-field"),
        pytest.param(b"<xml><a>1</a></xml><xml><a>2</a></xml>", MultipleRootsError, id="two-roots"),
        pytest.param(b"<xml><a>1</a></xml>trailing", MultipleRootsError, id="text-after-root"),
        pytest.param(b"<xml><a>1</a><b>2", MalformedXmlError, id="truncated"),
        pytest.param(b"<xml><a>1</b></xml>", MalformedXmlError, id="mismatched-tag"),
        pytest.param(b'{"return_code": "SUCCESS"}', MalformedXmlError, id="json"),
        pytest.param(b"<html><body>502</body>", MalformedXmlError, id="html-truncated"),
        pytest.param(b"", MalformedXmlError, id="empty"),
        pytest.param(b"success", MalformedXmlError, id="plain-success"),
        pytest.param(b"<xml><a>&undefined;</a></xml>", MalformedXmlError, id="undefined-entity"),
        pytest.param("<xml><a>支付</a></xml>".encode("gbk"), EncodingError, id="gbk-bytes"),
        pytest.param(
            b'<?xml version="1.0" encoding="GBK"?><xml><a>1</a></xml>',
            EncodingError,
            id="gbk-declared",
        ),
        pytest.param("<xml><a>1</a></xml>".encode("utf-16"), EncodingError, id="utf-16"),
        pytest.param("<xml><a>1</a></xml>".encode("utf-16-le"), EncodingError, id="utf-16-no-bom"),
        pytest.param(b"<xml><a>\xff\xfe</a></xml>", EncodingError, id="invalid-utf8"),
        pytest.param(b"<xml><a>" + b"x" * 70_000 + b"</a></xml>", OversizeError, id="oversized"),
    ],
)
def test_hostile_bodies_raise_their_typed_error(body: bytes, error: type[XmlError]) -> None:
    with pytest.raises(error):
        parse(body)


def test_the_size_cap_is_checked_before_parsing() -> None:
    with pytest.raises(OversizeError):
        parse(XXE, max_bytes=len(XXE) - 1)


def test_every_reason_has_its_own_name() -> None:
    classes = [
        OversizeError,
        DoctypeError,
        EncodingError,
        NestedElementError,
        MultipleRootsError,
        DuplicateFieldError,
        MalformedXmlError,
    ]
    assert len({cls.reason for cls in classes}) == len(classes)
    assert xml_codec.DEFAULT_MAX_BYTES == 64 * 1024
