"""Reading a request body with a size cap and a deadline, without reading past the cap."""

from __future__ import annotations

import asyncio

from starlette.types import Receive


class BodyTooLargeError(Exception):
    """The body is over the cap (known from Content-Length, or counted while reading)."""


class BodyTimeoutError(Exception):
    """The client did not send its whole body in time."""


async def read_body(
    receive: Receive, content_length: str | None, limit: int, timeout: float
) -> bytes:
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            declared = -1
        if declared > limit:
            raise BodyTooLargeError(f"Content-Length {declared} over {limit}")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    break
                chunk: bytes = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise BodyTooLargeError(f"body over {limit} bytes")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError as error:
        raise BodyTimeoutError(f"body not received within {timeout:.1f}s") from error
    return b"".join(chunks)
