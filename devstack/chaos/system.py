"""A whole paystream (sandbox, payment, order-api, gateway, worker) over private servers, on
free loopback ports, with the sandbox's notify clock sped up."""

from __future__ import annotations

from pathlib import Path

from devstack.apps import System
from devstack.chaos.servers import PrivateServers, free_port, free_port_pair
from devstack.layout import Ports


def private_system(servers: PrivateServers, home: Path, time_scale: float) -> System:
    ports = Ports(
        postgres=servers.postgres.port,
        redis=servers.redis.port,
        kafka=servers.kafka.port,
        kafka_controller=servers.kafka.controller_port,
        sandbox=free_port_pair(),
        payment=free_port(),
        order=free_port(),
        gateway=free_port(),
        payment_metrics=free_port(),
        order_metrics=free_port(),
        worker_metrics=free_port(),
        shop=free_port(),
    )
    return System(
        ports=ports,
        home=home,
        database_url=servers.database_url,
        redis_url=servers.redis_url,
        kafka_bootstrap=servers.kafka.bootstrap,
        extra_env={
            "SANDBOX_NOTIFY_TIME_SCALE": str(time_scale),
            # A killed worker's partitions move after this long (the default is 10 s).
            "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "LOG_LEVEL": "INFO",
        },
    )
