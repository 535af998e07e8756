"""A private paystream for one benchmark: its own processes on free ports, its own database and
topics on the local stack, removed afterwards."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from bench import common
from devstack.apps import System
from devstack.layout import STACK
from devstack.ports import private_app_ports


@contextmanager
def private_system(
    name: str,
    apps: list[str] | None = None,
    extra_env: dict[str, str] | None = None,
    api_version: str = "v2",
) -> Iterator[System]:
    tag = common.run_id()
    db_name = f"bench_{name}_{tag}"
    database_url = common.fresh_database(db_name)
    topics = {
        "observations": f"bench.{tag}.observations",
        "events": f"bench.{tag}.events",
        "dlq": f"bench.{tag}.dlq",
    }
    common.topics({topics["observations"]: 6, topics["events"]: 6, topics["dlq"]: 1})
    home = STACK / "private" / f"bench-{name}-{tag}"
    home.mkdir(parents=True)
    system = System(
        ports=private_app_ports(),
        home=home,
        database_url=database_url,
        redis_url=common.STACK["REDIS_URL"].rsplit("/", 1)[0] + "/13",
        kafka_bootstrap=common.STACK["KAFKA_BOOTSTRAP_SERVERS"],
        api_version=api_version,
        extra_env={
            "KAFKA_TOPIC_OBSERVATIONS": topics["observations"],
            "KAFKA_TOPIC_ORDER_EVENTS": topics["events"],
            "KAFKA_TOPIC_DLQ": topics["dlq"],
            "KAFKA_CONSUMER_GROUP": f"bench-{tag}",
            **(extra_env or {}),
        },
    )
    try:
        system.start_all(apps)
        yield system
    finally:
        system.stop_all()
        common.delete_topics(topics.values())
        common.drop_database(db_name)
        shutil.rmtree(home, ignore_errors=True)
