"""Loading a process's settings from the environment, validated once at start.

A missing or invalid setting stops the process at once with a message naming the variable,
instead of failing later on the first request.
"""

from __future__ import annotations

import sys
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

S = TypeVar("S", bound=BaseSettings)

EXIT_CONFIG = 78  # EX_CONFIG from sysexits.h


class SettingsError(SystemExit):
    """Raised (as a SystemExit with code 78) when the environment does not configure a process."""


def describe_errors(settings_class: type[BaseSettings], error: ValidationError) -> list[str]:
    prefix = settings_class.model_config.get("env_prefix", "") or ""
    lines = []
    for item in error.errors():
        name = (prefix + "_".join(str(part) for part in item["loc"])).upper()
        problem = "is not set" if item["type"] == "missing" else f"is invalid: {item['msg']}"
        lines.append(f"{name} {problem}")
    return lines


def load(settings_class: type[S], process: str) -> S:
    """Builds the settings from the environment, or exits naming every bad variable."""
    try:
        return settings_class()
    except ValidationError as error:
        problems = describe_errors(settings_class, error)
        message = f"{process}: configuration error:\n" + "\n".join(f"  {p}" for p in problems)
        print(message, file=sys.stderr)
        raise SettingsError(EXIT_CONFIG) from None
