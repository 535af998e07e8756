"""Prometheus metrics: a scrape endpoint for processes that have no HTTP server of their own,
with a liveness endpoint beside it for a process that can tell whether it is stuck."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

from prometheus_client.exposition import MetricsHandler

LIVENESS_PATH = "/healthz"


def serve_metrics(
    host: str, port: int, alive: Callable[[], bool] | None = None
) -> ThreadingHTTPServer | None:
    """Serves the metrics from a daemon thread (port 0 disables it). With `alive`,
    `GET /healthz` answers 200 while it returns True and 503 once it returns False."""
    if not port:
        return None
    server = ThreadingHTTPServer((host, port), _handler(alive))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    return server


def _handler(alive: Callable[[], bool] | None) -> type[MetricsHandler]:
    class Handler(MetricsHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server names it so
            if alive is None or urlsplit(self.path).path != LIVENESS_PATH:
                super().do_GET()
                return
            ok = alive()
            body = b"alive\n" if ok else b"stuck\n"
            self.send_response(200 if ok else 503)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
