"""structlog starts from its defaults in every test here (another test may have configured it
to print to a pytest capture stream that is closed by now)."""

from __future__ import annotations

import pytest
import structlog


@pytest.fixture(autouse=True)
def _structlog_defaults() -> None:
    structlog.reset_defaults()
