"""Runs the plain and the TLS listener in one event loop and stops both on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import ssl
from collections.abc import Iterator
from typing import Any

import uvicorn

from sandbox.certificates import TlsFiles
from sandbox.client_certificates import ClientCertificates

__all__ = ["Listeners"]


class _Listener(uvicorn.Server):
    """A uvicorn server that leaves signal handling to :class:`Listeners`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Listeners:
    def __init__(
        self,
        plain_app: Any,
        tls_app: Any,
        *,
        host: str,
        port: int,
        tls_port: int,
        tls: TlsFiles,
        client_certificates: ClientCertificates,
    ) -> None:
        common: dict[str, Any] = {
            "host": host,
            "lifespan": "off",
            "access_log": False,
            "log_config": None,
            "timeout_graceful_shutdown": 5,
            "server_header": False,
        }
        self.plain = _Listener(uvicorn.Config(plain_app, port=port, **common))
        self.tls = _Listener(
            uvicorn.Config(
                tls_app,
                port=tls_port,
                ssl_certfile=str(tls.server_cert),
                ssl_keyfile=str(tls.server_key),
                ssl_ca_certs=str(tls.ca_cert),
                # asked for, not required: only /secapi/ paths need one (client_certificates)
                ssl_cert_reqs=ssl.CERT_OPTIONAL,
                http=client_certificates.protocol,
                **common,
            )
        )

    def ready(self) -> bool:
        return self.plain.started and self.tls.started

    def stop(self) -> None:
        self.plain.should_exit = True
        self.tls.should_exit = True

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        try:
            await asyncio.gather(self.plain.serve(), self.tls.serve())
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
