"""Free loopback ports for servers started by tests, fault runs and benchmarks."""

from __future__ import annotations

import socket

from devstack.layout import HOST, Ports


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def free_port_pair() -> int:
    """A free port whose successor is free too (the sandbox listens on port and port + 1)."""
    for _ in range(100):
        port = free_port()
        if port >= 65535:
            continue
        try:
            with socket.socket() as sock:
                sock.bind((HOST, port + 1))
        except OSError:
            continue
        return port
    raise OSError("no two consecutive free ports found")


def private_app_ports(**stack: int) -> Ports:
    """Ports for a whole private set of paystream processes (stack ports given by the caller)."""
    return Ports(
        **stack,
        sandbox=free_port_pair(),
        payment=free_port(),
        order=free_port(),
        gateway=free_port(),
        payment_metrics=free_port(),
        order_metrics=free_port(),
        worker_metrics=free_port(),
        shop=free_port(),
    )
