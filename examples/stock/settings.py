"""The stock service's settings, from the environment, checked at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it."""


@dataclass(frozen=True)
class StockSettings:
    database_url: str
    kafka_bootstrap_servers: str
    topic: str = "order.events"
    group: str = "stock"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> StockSettings:
        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"{name} is not set")
            return value

        url = required("STOCK_DATABASE_URL")
        if not url.startswith(("postgresql://", "postgres://")):
            raise SettingsError("STOCK_DATABASE_URL must be a postgresql:// URL")
        return cls(
            database_url=url,
            kafka_bootstrap_servers=required("STOCK_KAFKA_BOOTSTRAP_SERVERS"),
            topic=env.get("STOCK_TOPIC", cls.topic).strip() or cls.topic,
            group=env.get("STOCK_GROUP", cls.group).strip() or cls.group,
        )
