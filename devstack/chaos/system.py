"""A whole paystream (sandbox, payment, order-api, gateway, worker) over private servers, on
free loopback ports, with the sandbox's notify clock sped up."""

from __future__ import annotations

from pathlib import Path

from devstack.apps import System
from devstack.ports import private_app_ports
from devstack.private import PrivateServers


def private_system(
    servers: PrivateServers, home: Path, time_scale: float, api_version: str = "v2"
) -> System:
    ports = private_app_ports(
        postgres=servers.postgres.port,
        redis=servers.redis.port,
        kafka=servers.kafka.port,
        kafka_controller=servers.kafka.controller_port,
    )
    return System(
        api_version=api_version,
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
