"""Prometheus metrics: a scrape endpoint for processes that have no HTTP server of their own."""

from __future__ import annotations

from prometheus_client import start_http_server


def serve_metrics(host: str, port: int) -> None:
    """Serves /metrics from a daemon thread (port 0 disables it)."""
    if port:
        start_http_server(port, addr=host)
