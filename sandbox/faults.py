"""Fault injection for the WeChat API endpoints (v2 and v3): SYSTEMERROR answers, HTTP 5xx,
added latency, lost answers.

SYSTEMERROR and HTTP 5xx are decided before a request touches any state, so such a call changed
nothing and the same call again is safe: what WeChat promises for SYSTEMERROR
("请用相同参数重新调用"). A lost answer is the other kind: the call was carried out, and the
caller sees only an HTTP 5xx (its outcome is unknown until it asks again with the same
parameters).
"""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FaultSettings", "Faults"]


class FaultSettings(BaseModel):
    """The body of ``PUT /sandbox/faults``; every field defaults to "no fault"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    systemerror_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of calls answered result_code=FAIL, err_code=SYSTEMERROR (signed)."""
    http_5xx_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of calls answered HTTP 500/502/503 with an HTML body."""
    lost_answer_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of calls carried out whose answer is replaced by HTTP 502 (decided after the call
    succeeded: a refund is made, a close is done)."""
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    """Added to every WeChat API call before it is answered."""

    seed: int | None = None
    """Makes the random draws repeatable."""


class Faults:
    def __init__(self) -> None:
        self.settings = FaultSettings()
        self._rng = random.Random()

    def configure(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._rng = random.Random(settings.seed)

    def reset(self) -> None:
        self.configure(FaultSettings())

    @property
    def latency_seconds(self) -> float:
        return self.settings.latency_ms / 1000

    def http_5xx(self) -> int | None:
        rate = self.settings.http_5xx_rate
        if rate and self._rng.random() < rate:
            return self._rng.choice((500, 502, 503))
        return None

    def answer_lost(self) -> bool:
        rate = self.settings.lost_answer_rate
        return bool(rate) and self._rng.random() < rate

    def systemerror(self) -> bool:
        rate = self.settings.systemerror_rate
        return bool(rate) and self._rng.random() < rate
