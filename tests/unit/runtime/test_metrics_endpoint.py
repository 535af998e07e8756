"""The metrics endpoint of processes without an HTTP server of their own, and the liveness
endpoint beside it."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from devstack.ports import free_port
from runtime.metrics import serve_metrics


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def alive_flag() -> list[bool]:
    return [True]


@pytest.fixture
def port(alive_flag: list[bool]) -> Iterator[int]:
    chosen = free_port()
    server = serve_metrics("127.0.0.1", chosen, alive=lambda: alive_flag[0])
    assert server is not None
    yield chosen
    server.shutdown()
    server.server_close()


def test_healthz_follows_what_the_process_says_and_metrics_are_served_beside_it(
    port: int, alive_flag: list[bool]
) -> None:
    assert _get(port, "/healthz") == (200, b"alive\n")
    alive_flag[0] = False
    assert _get(port, "/healthz") == (503, b"stuck\n")
    status, body = _get(port, "/metrics")
    assert status == 200
    assert b"# TYPE python_info gauge" in body


def test_without_a_liveness_check_every_path_is_the_metrics() -> None:
    chosen = free_port()
    server = serve_metrics("127.0.0.1", chosen)
    assert server is not None
    try:
        status, body = _get(chosen, "/healthz")
    finally:
        server.shutdown()
        server.server_close()
    assert status == 200
    assert b"# TYPE python_info gauge" in body


def test_port_zero_serves_nothing() -> None:
    assert serve_metrics("127.0.0.1", 0, alive=lambda: True) is None
