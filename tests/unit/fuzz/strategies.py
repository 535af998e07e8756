"""Hypothesis strategies for hostile notify bodies and field values."""

from __future__ import annotations

from hypothesis import strategies as st

# Values WeChat's fields could be filled with by someone trying to break a parser: digits at
# the edges of every range, dates that do not exist or overflow, long strings, XML-ish text,
# every plane of Unicode.
field_values = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789", min_size=1, max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1.00",
            "1e3",
            "٣",  # an Arabic-Indic digit: int() would take it, WeChat never sends it
            "9223372036854775808",
            "00010101000000",
            "99991231235959",
            "20261301000000",
            "20260230120000",
            "0001-01-01 00:00:00",
            "SUCCESS",
            "FAIL",
            "MD5",
            "HMAC-SHA256",
            "md5",
            "WECHATPAY/SIGNTEST/0",
            "]]>",
            "<xml>",
            "&amp;",
            "x" * 2000,
        ]
    ),
)


@st.composite
def mutated(draw: st.DrawFn, body: bytes) -> bytes:
    """`body` after one to four random byte-level edits: flips, insertions, deletions,
    duplications and truncations."""
    data = bytearray(body)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate"]))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
        else:
            del data[at:]
    return bytes(data)
