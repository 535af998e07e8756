"""The v3 bill download tokens: each names the bytes issued with it, for 30 s (the shorter of
the documented lifetimes, bills reference §3)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["DOWNLOAD_TTL", "BillLink", "BillLinks"]

DOWNLOAD_TTL = timedelta(seconds=30)


@dataclass(slots=True)
class BillLink:
    body: bytes
    gzipped: bool
    expires_at: datetime


@dataclass(slots=True)
class BillLinks:
    """The v3 download tokens in force: each names the bytes issued with it."""

    ttl: timedelta = DOWNLOAD_TTL
    _links: dict[str, BillLink] = field(default_factory=dict)

    def issue(self, body: bytes, gzipped: bool, now: datetime) -> str:
        for token, link in list(self._links.items()):
            if link.expires_at <= now:
                del self._links[token]
        token = secrets.token_urlsafe(24)
        self._links[token] = BillLink(body, gzipped, now + self.ttl)
        return token

    def take(self, token: str, now: datetime) -> BillLink | None:
        link = self._links.get(token)
        if link is None or link.expires_at <= now:
            return None
        return link

    def reset(self) -> None:
        self._links.clear()
        self.ttl = DOWNLOAD_TTL
