"""Structured JSON logs for every process, one line per event, with secrets kept out.

`configure()` is called once by a process's composition root. It routes the standard library's
logging (uvicorn, grpc, yoyo) through the same JSON renderer. Two guards keep secrets out of logs:
keys that name secrets are dropped, and any value containing a registered secret (the API key,
say) is replaced, wherever it appears.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {
        "api_key",
        "apikey",
        "key",
        "sign",
        "signature",
        "password",
        "secret",
        "authorization",
        "req_info",
        "private_key",
        "client_key",
        "apiv3_key",
        "body",
        "raw_body",
        "payload",
    }
)
MAX_VALUE_CHARS = 512

_secrets: set[str] = set()


def register_secret(value: str) -> None:
    """Marks a value (an API key, a password) that must never appear in a log line."""
    if len(value) >= 6:
        _secrets.add(value)


def _scrub(value: object) -> object:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        for secret in _secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        if len(value) > MAX_VALUE_CHARS:
            value = value[:MAX_VALUE_CHARS] + "…"
    return value


def redact(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: drops secret-named keys, scrubs registered secrets from values."""
    for key in list(event):
        if key.lower() in SECRET_KEYS:
            event[key] = REDACTED
        else:
            event[key] = _scrub(event[key])
    return event


def configure(process: str, level: str = "INFO") -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.JSONRenderer(sort_keys=False)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(process=process)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(sort_keys=False),
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
