"""Every process has its entry point, and one that is not built yet refuses to start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

NOT_BUILT_YET = [
    ("order.reconcile", "issue #7"),
]


@pytest.mark.parametrize(("module", "issue"), NOT_BUILT_YET)
def test_unbuilt_process_refuses_to_start(module: str, issue: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "refusing to start" in result.stderr
    assert issue in result.stderr


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
