"""The v2 XML codec: one root element of flat fields in, one out (reference §1.1, §1.2).

Parsing is hardened the way the official SDK hardens it (§1.2 "XML parsing hardening") and
stricter: a body over the size cap, any DOCTYPE or entity declaration, any byte that is not
UTF-8, a field with child elements, the same field twice, or anything but exactly one root
element is refused with its own :class:`XmlError` subclass. Nothing is ever half-parsed: either
every field comes back, or an error does.

This sits on the notify gateway's hot path, so it drives expat directly: one parser per body
(expat parsers cannot be reused), handlers bound to a small per-call state, no tree is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.parsers import expat

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DoctypeError",
    "DuplicateFieldError",
    "EncodingError",
    "MalformedXmlError",
    "MultipleRootsError",
    "NestedElementError",
    "OversizeError",
    "XmlError",
    "encode",
    "parse",
]

DEFAULT_MAX_BYTES = 64 * 1024
"""A notify is about 1 KiB; a refund query with 50 refunds about 40 KiB."""

_JUNK_AFTER_ROOT: int = expat.errors.codes[expat.errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class XmlError(ValueError):
    """The body is not one flat, safe, UTF-8 ``<xml>`` document."""

    reason = "malformed"


class OversizeError(XmlError):
    reason = "oversize"


class DoctypeError(XmlError):
    """A DOCTYPE, an entity declaration or an external entity: never expanded, always refused."""

    reason = "doctype"


class EncodingError(XmlError):
    reason = "encoding"


class NestedElementError(XmlError):
    reason = "nested"


class MultipleRootsError(XmlError):
    reason = "multiple_roots"


class DuplicateFieldError(XmlError):
    reason = "duplicate_field"


class MalformedXmlError(XmlError):
    """Not well-formed: truncated, not XML at all (JSON, HTML), or empty."""

    reason = "malformed"


class _Fields:
    """Per-body parse state; its bound methods are the expat handlers."""

    __slots__ = ("depth", "fields", "name", "text")

    def __init__(self) -> None:
        self.depth = 0
        self.fields: dict[str, str] = {}
        self.name = ""
        self.text: list[str] = []

    def start(self, name: str, _attributes: object) -> None:
        self.depth += 1
        if self.depth == 2:
            if name in self.fields:
                raise DuplicateFieldError(f"field {name[:64]!r} appears twice")
            self.name = name
            self.text = []
        elif self.depth > 2:
            raise NestedElementError(f"field {self.name[:64]!r} has child elements")

    def end(self, _name: str) -> None:
        if self.depth == 2:
            self.fields[self.name] = "".join(self.text)
        self.depth -= 1

    def characters(self, data: str) -> None:
        if self.depth == 2:
            self.text.append(data)


def _refuse_doctype(*_args: object) -> None:
    raise DoctypeError("DOCTYPE and entity declarations are not allowed")


def _refuse_external_entity(*_args: object) -> int:
    raise DoctypeError("external entities are not allowed")


def _refuse_encoding(_version: str, encoding: str | None, _standalone: int) -> None:
    if encoding is not None and encoding.lower().replace("-", "") != "utf8":
        raise EncodingError(f"declared encoding {encoding[:32]!r} is not UTF-8")


def parse(body: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, str]:
    """The fields of one flat XML document: ``{child element name: its text}`` of the root."""
    if len(body) > max_bytes:
        raise OversizeError(f"body of {len(body)} bytes is over the {max_bytes}-byte cap")
    if body.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in body:
        raise EncodingError("the body is UTF-16 or UTF-32, not UTF-8")
    state = _Fields()
    parser = expat.ParserCreate(encoding="UTF-8")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = state.start
    parser.EndElementHandler = state.end
    parser.CharacterDataHandler = state.characters
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.ExternalEntityRefHandler = _refuse_external_entity
    parser.XmlDeclHandler = _refuse_encoding
    try:
        parser.Parse(body, True)
    except expat.ExpatError as error:
        raise _classify(body, error) from None
    return state.fields


def _classify(body: bytes, error: expat.ExpatError) -> XmlError:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return EncodingError("the body is not valid UTF-8")
    if error.code == _JUNK_AFTER_ROOT:
        return MultipleRootsError("content after the root element")
    message = expat.errors.messages.get(error.code, "unknown error")
    return MalformedXmlError(f"not well-formed XML: {message} (line {error.lineno})")


def encode(fields: Mapping[str, str | int], *, root: str = "xml") -> bytes:
    """``<xml><name><![CDATA[value]]></name>...</xml>`` in UTF-8; integers are written bare.

    Raises ``ValueError`` for a name that is not a plain XML name or a value holding characters
    XML cannot carry (NUL and most C0 controls). A value containing ``]]>`` is split across two
    CDATA sections; a value containing a carriage return is written escaped instead (XML parsers
    turn a raw CR into LF).
    """
    parts = [f"<{root}>"]
    for name, value in fields.items():
        if not _NAME.match(name):
            raise ValueError(f"not an XML field name: {name[:64]!r}")
        if isinstance(value, int):
            parts.append(f"<{name}>{value}</{name}>")
            continue
        if _NOT_XML_CHAR.search(value):
            raise ValueError(f"field {name!r} holds a character XML cannot carry")
        if "\r" in value:
            escaped = (
                value.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\r", "&#13;")
            )
            parts.append(f"<{name}>{escaped}</{name}>")
        else:
            parts.append(f"<{name}><![CDATA[{value.replace(']]>', ']]]]><![CDATA[>')}]]></{name}>")
    parts.append(f"</{root}>")
    return "".join(parts).encode()
