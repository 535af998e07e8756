"""The stock service names the setting it lacks and exits, like every paystream process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from examples.stock.settings import SettingsError, StockSettings

GOOD = {
    "STOCK_DATABASE_URL": "postgresql://stock@127.0.0.1:5432/stock",
    "STOCK_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"STOCK_DATABASE_URL": ""}, "STOCK_DATABASE_URL is not set"),
        ({"STOCK_DATABASE_URL": "mysql://x"}, "STOCK_DATABASE_URL must be a postgresql:// URL"),
        ({"STOCK_KAFKA_BOOTSTRAP_SERVERS": " "}, "STOCK_KAFKA_BOOTSTRAP_SERVERS is not set"),
    ],
)
def test_a_missing_or_invalid_setting_is_named(change: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        StockSettings.from_env(GOOD | change)


def test_defaults_and_overrides() -> None:
    assert StockSettings.from_env(GOOD).topic == "order.events"
    assert StockSettings.from_env(GOOD | {"STOCK_GROUP": "stock-eu"}).group == "stock-eu"


def test_the_process_exits_naming_the_setting() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "examples.stock"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "STOCK_DATABASE_URL is not set" in done.stderr
    assert "Traceback" not in done.stderr
