"""The sandbox's own v2 XML (reference §1.1, §1.2 "XML parsing hardening"): flat
``<xml><field>value</field>…</xml>`` in and out, independent of the client's codec.

Reading refuses any DOCTYPE or entity declaration before the parser sees the body (the
reference's advice), anything that is not UTF-8, nested fields, a field twice, and anything
that does not parse; it keeps the root's direct children only, like ``WXPayUtil.xmlToMap``.
Writing puts every value in CDATA, as WeChat writes its answers.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

__all__ = ["EncodingError", "XmlError", "read_fields", "write_fields"]

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class XmlError(ValueError):
    """Not one flat, declaration-free UTF-8 XML document."""


class EncodingError(XmlError):
    """Not UTF-8 (or declared as something else)."""


def read_fields(body: bytes, *, max_bytes: int) -> dict[str, str]:
    if len(body) > max_bytes:
        raise XmlError("too large")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise EncodingError("not UTF-8") from None
    declared = _ENCODING.match(body)
    if declared and declared.group(1).lower().replace(b"-", b"") != b"utf8":
        raise EncodingError("declared encoding is not UTF-8")
    if _DECLARATION.search(body):
        raise XmlError("DOCTYPE or ENTITY declaration")
    try:
        root = ET.fromstring(body)  # noqa: S314 - no declarations can reach the parser
    except ET.ParseError:
        raise XmlError("not well-formed") from None
    fields: dict[str, str] = {}
    for child in root:
        if len(child) or child.tag in fields:
            raise XmlError(f"field {child.tag[:32]!r} is nested or repeated")
        fields[child.tag] = child.text or ""
    return fields


def _cdata(value: str) -> str:
    if "\r" in value:  # a raw CR would come back as LF: write it escaped instead
        escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return escaped.replace("\r", "&#13;")
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def write_fields(fields: Mapping[str, str], *, root: str = "xml") -> bytes:
    parts = [f"<{root}>"]
    for name, value in fields.items():
        if not _FIELD_NAME.fullmatch(name) or _UNWRITABLE.search(value):
            raise ValueError(f"cannot write field {name[:32]!r} as XML")
        parts.append(f"<{name}>{_cdata(value)}</{name}>")
    parts.append(f"</{root}>")
    return "".join(parts).encode()
