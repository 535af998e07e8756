"""Every process checks its configuration at start: a missing or invalid setting is named and
the process exits with 78 (EX_CONFIG) before doing anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (command, environment, what stderr must say)
MISCONFIGURED = [
    ("payment", {}, "WECHATPAY_APPID is not set"),
    ("order.api", {}, "DATABASE_URL is not set"),
    ("order.worker", {}, "KAFKA_BOOTSTRAP_SERVERS is not set"),
    ("order.reconcile", {}, "REDIS_URL is not set"),
    ("callback_gateway", {}, "KAFKA_BOOTSTRAP_SERVERS is not set"),
    (
        "callback_gateway",  # the keys of neither version: the v2 key is named
        {"WECHATPAY_APPID": "wx1", "WECHATPAY_MCH_ID": "1", "KAFKA_BOOTSTRAP_SERVERS": "k:9092"},
        "WECHATPAY_API_KEY is not set",
    ),
    ("sandbox", {"SANDBOX_PORT": "not-a-port"}, "SANDBOX_PORT is invalid"),
    ("sandbox.shop", {"SHOP_PORT": "not-a-port"}, "SHOP_PORT is invalid"),
]


@pytest.mark.parametrize(("module", "env", "named"), MISCONFIGURED)
def test_a_process_names_its_bad_settings_and_exits_78(
    module: str, env: dict[str, str], named: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 78, result.stderr
    assert named in result.stderr


def test_migrate_without_database_url_names_the_missing_setting() -> None:
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "order.migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 78
    assert "DATABASE_URL is not set" in result.stderr


def test_migrate_with_an_invalid_database_url_names_it() -> None:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "mysql://nope"}
    result = subprocess.run(
        [sys.executable, "-m", "order.migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 78
    assert "DATABASE_URL is invalid" in result.stderr
