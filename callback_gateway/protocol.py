"""The port between the pipe and a WeChat protocol: accept a body, or reject it with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from paystream.events.v1 import events_pb2


class Rejection(Exception):  # noqa: N818 - it is an answer, not a crash
    """The notify is not accepted; nothing is produced. `reason` is a short metric label."""

    def __init__(self, reason: str, status: int, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    content_type: str
    body: bytes


class NotifyProtocol(Protocol):
    """One WeChat notify endpoint: how to verify and map its bodies, and how to answer."""

    endpoint: str

    def accept(self, body: bytes, headers: Mapping[str, str]) -> events_pb2.PaymentObserved:
        """Parses, verifies and maps a notify; raises Rejection for anything not trustworthy."""
        ...

    def success(self) -> Reply: ...

    def failure(self, status: int, reason: str) -> Reply: ...
