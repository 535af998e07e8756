"""The QR code of a code_url, as PNG or SVG (segno: pure Python, no Pillow)."""

from __future__ import annotations

import io

import segno

from paystream.payment.v1 import payment_pb2

MEDIA_TYPES = {
    payment_pb2.QR_FORMAT_PNG: "image/png",
    payment_pb2.QR_FORMAT_SVG: "image/svg+xml",
}


def render(code_url: str, qr_format: payment_pb2.QrFormat.ValueType) -> tuple[bytes, str]:
    """(image bytes, media type), or (b"", "") when no image was asked for."""
    media_type = MEDIA_TYPES.get(qr_format)
    if media_type is None:
        return b"", ""
    code = segno.make(code_url, error="m", micro=False)
    out = io.BytesIO()
    if qr_format == payment_pb2.QR_FORMAT_PNG:
        code.save(out, kind="png", scale=8, border=2)
    else:
        code.save(out, kind="svg", scale=8, border=2, xmldecl=False, svgns=True, title="WeChat Pay")
    return out.getvalue(), media_type
