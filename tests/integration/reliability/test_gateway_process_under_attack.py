"""A real `python -m callback_gateway` process on a real socket under hostile clients: bodies
trickled byte by byte are cut off by the read deadline (408), connections that never finish
their headers are closed, hostile bodies by the hundred are refused, and afterwards the process
is alive, healthy and still makes a real notify durable."""

from __future__ import annotations

import asyncio
import os
import random
import select
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.gateway import notify_fields, signed_body
from tests.integration.gateway.test_untrusted_input_changes_nothing import HOSTILE
from tests.integration.reliability.conftest import GatewayProcess
from tests.kafka_reader import read_records

pytestmark = pytest.mark.timeout(120)

NOTIFY_PATH = "/wechatpay/v2/notify"


def _connect(gateway: GatewayProcess) -> socket.socket:
    port = int(gateway.base_url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.settimeout(0.2)
    return sock


def _closed_or_answered(sock: socket.socket) -> bytes | None:
    """What the server sent until it closed or paused (b"" when it closed without a word), or
    None while it waits for more. An answer can arrive in more than one segment."""
    received = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            return received or None
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def _still_serves(gateway: GatewayProcess, order_id: str) -> None:
    with httpx.Client(base_url=gateway.base_url, timeout=10) as http:
        assert http.get("/healthz").status_code == 200
        assert http.get("/readyz").status_code == 200
        answer = http.post(NOTIFY_PATH, content=signed_body(notify_fields(order_id)))
    assert answer.status_code == 200, answer.text
    assert gateway.process.poll() is None


def test_a_body_trickled_byte_by_byte_gets_408_and_nothing_is_produced(
    gateway_process: GatewayProcess, kafka_bootstrap: str
) -> None:
    body = signed_body(notify_fields("order-trickled"))
    sock = _connect(gateway_process)
    try:
        sock.sendall(
            b"POST " + NOTIFY_PATH.encode() + b" HTTP/1.1\r\nHost: gateway\r\n"
            b"Content-Type: text/xml\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        answer = None
        for byte in body:  # bounded: the body is about 700 bytes, one every 50 ms
            # Read before writing again: a byte sent after the server closed would be answered
            # with a reset, which can throw away the 408 still unread.
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                answer = _closed_or_answered(sock)
                break
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                answer = _closed_or_answered(sock)
                break
    finally:
        sock.close()
    assert answer is not None, "the whole body was trickled in without a read timeout"
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"FAIL" in answer
    _still_serves(gateway_process, "order-after-trickle")
    keys = [r.key for r in read_records(kafka_bootstrap, gateway_process.topic, expect=1)]
    assert keys == [b"order-after-trickle"]


@pytest.mark.parametrize(
    ("sent", "trickle"),
    [(b"", b""), (b"POST /wechatpay/v2/notify HTTP/1.1\r\nHost: g", b"a")],
    ids=["idle-connection", "headers-trickled"],
)
def test_a_connection_that_never_finishes_its_headers_is_closed(
    gateway_process: GatewayProcess, sent: bytes, trickle: bytes
) -> None:
    """Slow-loris on the headers (or a connection that sends nothing): the process closes the
    connection instead of holding it forever."""
    sock = _connect(gateway_process)
    try:
        sock.sendall(sent)
        answer = None
        for _ in range(100):  # one header byte every 100 ms for at most 10 s
            try:
                sock.sendall(trickle)
            except (BrokenPipeError, ConnectionResetError):
                answer = b""
                break
            time.sleep(0.1)
            answer = _closed_or_answered(sock)
            if answer is not None:
                break
    finally:
        sock.close()
    assert answer is not None, "a connection without complete headers was held for 10 s"
    assert b"200 OK" not in answer
    _still_serves(gateway_process, "order-after-slow-headers")


async def test_two_hundred_slow_clients_do_not_keep_a_real_notify_out(
    gateway_process: GatewayProcess,
) -> None:
    port = int(gateway_process.base_url.rsplit(":", 1)[1])
    slow: list[asyncio.StreamWriter] = []
    try:
        for _ in range(200):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"POST /wechatpay/v2/notify HTTP/1.1\r\nHost: g\r\nContent-Length: 900\r\n\r\n<x"
            )
            slow.append(writer)
        async with httpx.AsyncClient(base_url=gateway_process.base_url, timeout=10) as http:
            answer = await http.post(
                NOTIFY_PATH, content=signed_body(notify_fields("order-among-slow"))
            )
        assert answer.status_code == 200
    finally:
        for writer in slow:
            writer.close()
    assert gateway_process.process.poll() is None


def _hostile_bodies() -> list[tuple[str, bytes]]:
    rng = random.Random(10)
    bodies = [(name, body) for name, (body, _) in HOSTILE.items()]
    bodies += [
        ("quadratic blow-up", _quadratic_blowup()),
        ("deep nesting", b"<xml>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</xml>"),
        ("1 MiB body", b"<xml><attach>" + b"A" * (1 << 20) + b"</attach></xml>"),
        ("huge field value under the cap", signed_body(notify_fields(attach="v" * 15_000))),
        ("UTF-16", signed_body(notify_fields("order-utf16")).decode().encode("utf-16")),
        ("NUL bytes", signed_body(notify_fields("order-nul")).replace(b"<appid>", b"<app\0id>")),
        ("bad UTF-8 sequence", b"<xml><attach>\xc3\x28\xa0\xa1</attach></xml>"),
    ]
    bodies += [(f"random bytes #{n}", os.urandom(rng.randint(0, 3000))) for n in range(100)]
    valid = signed_body(notify_fields("order-cut"))
    bodies += [(f"truncated at {n}", valid[:n]) for n in range(0, len(valid), 37)]
    return bodies


def _quadratic_blowup() -> bytes:
    entity = "x" * 5000
    return (
        f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "{entity}">]><xml><attach>'
        + "&a;" * 2000
        + "</attach></xml>"
    ).encode()


async def test_hundreds_of_hostile_bodies_are_refused_and_the_process_stays_healthy(
    gateway_process: GatewayProcess, kafka_bootstrap: str
) -> None:
    statuses: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=gateway_process.base_url, timeout=10) as http:
        for name, body in _hostile_bodies():
            statuses[name] = (await http.post(NOTIFY_PATH, content=body)).status_code
            # The same bodies on the refund endpoint and with other methods.
            refund = await http.post("/wechatpay/v2/refund-notify", content=body)
            assert refund.status_code in {400, 401, 403, 413}, name
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            assert (await http.request(method, NOTIFY_PATH)).status_code == 405
    accepted = {name for name, status in statuses.items() if status == 200}
    assert accepted == {"huge field value under the cap"}, "only a correctly signed body"
    assert {s for n, s in statuses.items() if n not in accepted} <= {400, 401, 403, 413}
    assert statuses["1 MiB body"] == 413
    _still_serves(gateway_process, "order-after-hostile")
    output = gateway_process.output()
    assert "Traceback" not in output
    assert "Exception in ASGI application" not in output
    keys = {r.key for r in read_records(kafka_bootstrap, gateway_process.topic, idle=1.0)}
    assert keys == {b"order-0001", b"order-after-hostile"}


def test_log_of_a_hostile_session_names_outcomes_never_bodies(
    gateway_process: GatewayProcess, tmp_path: Path
) -> None:
    forged = signed_body(notify_fields("order-forged"), key="F" * 32)
    with httpx.Client(base_url=gateway_process.base_url, timeout=10) as http:
        assert http.post(NOTIFY_PATH, content=forged).status_code == 401
    output = gateway_process.output()
    assert '"outcome": "rejected"' in output
    assert "<sign>" not in output
    assert "CDATA" not in output
