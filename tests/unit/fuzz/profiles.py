"""How hard the fuzz tests try: `ci` (the default, inside ./dev test's budget) or `thorough`
(`PAYSTREAM_FUZZ=thorough`, for a long run: see RELIABILITY.md)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = {"ci": 300, "thorough": 20_000}
TIMEOUTS = {"ci": 60, "thorough": 1800}
"""Seconds a fuzz test may take (pytest-timeout), by profile."""
PROFILE = os.environ.get("PAYSTREAM_FUZZ", "ci")
if PROFILE not in EXAMPLES:
    raise ValueError(f"PAYSTREAM_FUZZ must be one of {sorted(EXAMPLES)}, not {PROFILE!r}")

TIMEOUT = TIMEOUTS[PROFILE]
FUZZ = settings(
    max_examples=EXAMPLES[PROFILE],
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
