"""Log lines are JSON and never carry a registered secret or a secret-named field."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from runtime import logs


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure() is process-wide: put structlog and the root logger back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    root.handlers[:] = handlers
    root.setLevel(level)
    logs._secrets.clear()


def test_registered_secret_is_scrubbed_wherever_it_appears(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure("test-process")
    logs.register_secret("S3cr3tApiKeyValue0123456789abcd")
    log = logs.get_logger("t")
    log.info(
        "calling wechat",
        url="https://x/?k=S3cr3tApiKeyValue0123456789abcd",
        api_key="x",
        sign="ABCDEF",
        out_trade_no="order-1",
    )
    logging.getLogger("uvicorn").warning("stdlib too: S3cr3tApiKeyValue0123456789abcd")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    text = json.dumps(lines)
    assert "S3cr3tApiKeyValue0123456789abcd" not in text
    assert lines[0]["api_key"] == logs.REDACTED
    assert lines[0]["sign"] == logs.REDACTED
    assert lines[0]["out_trade_no"] == "order-1"
    assert lines[0]["process"] == "test-process"
    assert lines[1]["event"] == f"stdlib too: {logs.REDACTED}"


def test_long_values_are_truncated(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("test-process")
    logs.get_logger("t").info("big", detail="x" * 10_000)
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert len(line["detail"]) == logs.MAX_VALUE_CHARS + 1
