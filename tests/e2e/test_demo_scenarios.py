"""The four scenarios `./dev demo` shows — happy path, lost notify, timeout, duplicate storm —
and the stock they leave (the reference stock service beside them) pass against a whole
paystream on free ports, over WeChat Pay API v2 and over v3, and over v2 with mutual TLS on every
gRPC call (each process its own certificate, the local tables)."""

from __future__ import annotations

import io
import shutil
import uuid
from collections.abc import Iterator

import pytest

from devstack.apps import System
from devstack.demo.progress import Progress
from devstack.demo.run import run_scenarios
from devstack.ports import private_app_ports
from devstack.private import PRIVATE
from tests.fixtures.order import OrderTopics

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(params=["v2", "v3", "v2 with mTLS"])
def system(
    request: pytest.FixtureRequest,
    database_url: str,
    redis_url: str,
    kafka_bootstrap: str,
    order_topics: OrderTopics,
) -> Iterator[System]:
    home = PRIVATE / f"demo-{uuid.uuid4().hex[:8]}"
    system = System(
        private_app_ports(),
        home,
        database_url,
        redis_url,
        kafka_bootstrap,
        api_version=request.param.split()[0],
        tls=request.param.endswith("mTLS"),
        extra_env={
            "KAFKA_TOPIC_OBSERVATIONS": order_topics.observations,
            "KAFKA_TOPIC_ORDER_EVENTS": order_topics.events,
            "KAFKA_TOPIC_DLQ": order_topics.dlq,
            "KAFKA_CONSUMER_GROUP": order_topics.group,
        },
    )
    try:
        system.start_all()
        yield system
    finally:
        system.stop_all()
        shutil.rmtree(home, ignore_errors=True)


async def test_every_demo_scenario_passes(system: System) -> None:
    printed = io.StringIO()
    outcomes = await run_scenarios(system, Progress(printed, color=False))
    assert [(o.title, o.passed) for o in outcomes] == [(o.title, True) for o in outcomes], [
        o.what for o in outcomes if not o.passed
    ]
    assert [o.title for o in outcomes][-1] == "stock"
    assert len(outcomes) == 5
    # Each order reserved one unit: three paid, one timed out (examples/stock settled them).
    assert outcomes[-1].what.startswith(
        "4 reserved → 3 committed, 1 released, 0 held; on hand 10 → 7"
    )
    # What the storm's copies were answered, in the protocol's own words (v3 answers 204).
    answered = "16 × SUCCESS" if system.api_version == "v2" else "16 × HTTP 204"
    assert f"→ {answered} from the gateway" in printed.getvalue()
    assert "馥芮白咖啡" in printed.getvalue()
