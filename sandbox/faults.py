"""Fault injection for the WeChat API endpoints (v2 and v3): SYSTEMERROR answers, HTTP 5xx,
added latency.

Faults are decided before a request touches any state, so a faulted call changed nothing and
the same call again is safe: what WeChat promises for SYSTEMERROR ("请用相同参数重新调用").
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

    def systemerror(self) -> bool:
        rate = self.settings.systemerror_rate
        return bool(rate) and self._rng.random() < rate
