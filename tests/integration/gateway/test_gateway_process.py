"""`python -m callback_gateway` as a process: refuses a bad configuration at start, and on
SIGTERM finishes the notify in flight (answering it only once durable) before it exits."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from devstack.ports import free_port
from tests.conftest import TopicFactory
from tests.fixtures.gateway import API_KEY, APPID, MCH_ID, notify_fields, signed_body
from tests.kafka_reader import read_records

ROOT = Path(__file__).resolve().parents[3]


def _env(**values: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **values}


def test_missing_and_invalid_settings_are_named_at_start() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "callback_gateway"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=_env(
            WECHATPAY_APPID=APPID,
            WECHATPAY_API_KEY="too-short",
            KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9",
            GATEWAY_PORT="not-a-port",
        ),
    )
    assert result.returncode == 78
    assert "WECHATPAY_MCH_ID is not set" in result.stderr
    assert "WECHATPAY_API_KEY is invalid" in result.stderr
    assert "GATEWAY_PORT is invalid" in result.stderr
    assert "too-short" not in result.stderr


async def test_sigterm_lets_the_notify_in_flight_finish(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    topic = kafka_topics("observations", partitions=1)
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "callback_gateway",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=_env(
            WECHATPAY_APPID=APPID,
            WECHATPAY_MCH_ID=MCH_ID,
            WECHATPAY_API_KEY=API_KEY,
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            KAFKA_TOPIC_OBSERVATIONS=topic,
            GATEWAY_PORT=str(port),
            GATEWAY_BODY_TIMEOUT_SECONDS="5",
        ),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            for _ in range(100):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            body = signed_body(notify_fields("order-term-1"))
            half = len(body) // 2

            async def slow_body() -> AsyncIterator[bytes]:
                yield body[:half]
                await asyncio.sleep(1.0)
                yield body[half:]

            in_flight = asyncio.ensure_future(
                client.post(
                    "/wechatpay/v2/notify",
                    content=slow_body(),
                    headers={"content-length": str(len(body))},
                )
            )
            await asyncio.sleep(0.4)
            process.send_signal(signal.SIGTERM)
            answer = await in_flight
        code = await asyncio.wait_for(process.wait(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        output = (await process.stdout.read()).decode() if process.stdout else ""
    assert answer.status_code == 200, output
    # uvicorn re-raises the SIGTERM it handled once it has drained: that is a clean exit.
    assert code in {0, -signal.SIGTERM}, output
    assert "gateway stopped" in output
    assert [r.key for r in read_records(kafka_bootstrap, topic, expect=1)] == [b"order-term-1"]
    assert API_KEY not in output
