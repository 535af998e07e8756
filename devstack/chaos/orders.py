"""The orders of a fault run: rows in PostgreSQL (as OrderService writes them) and the same
orders placed at WeChat (the sandbox) through the PaymentService, so that they can be paid."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import psycopg
from google.protobuf.timestamp_pb2 import Timestamp

from paystream.payment.v1 import payment_pb2, payment_pb2_grpc

PAYMENT_WINDOW = timedelta(hours=2)


@dataclass(frozen=True)
class RunOrders:
    ids: list[str]
    fees: dict[str, int]
    to_pay: list[str]
    controls: list[str]


def insert_orders(database_url: str, ids: list[str], fees: dict[str, int]) -> None:
    expire = datetime.now(UTC) + PAYMENT_WINDOW
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO orders (id, total_fee, description, expire_at)"
            " SELECT id, fee, 'fault run', %s FROM unnest(%s::text[], %s::bigint[]) AS t(id, fee)",
            (expire, ids, [fees[i] for i in ids]),
        )


async def place_at_wechat(
    payment_target: str, ids: list[str], fees: dict[str, int], concurrency: int
) -> None:
    """CreateNative for every order (bounded concurrency); raises on the first failure."""
    expire = Timestamp()
    expire.FromDatetime(datetime.now(UTC) + PAYMENT_WINDOW)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for order_id in ids:
        queue.put_nowait(order_id)
    async with grpc.aio.insecure_channel(payment_target) as channel:
        stub = payment_pb2_grpc.PaymentServiceStub(channel)

        async def placer() -> None:
            while not queue.empty():
                order_id = queue.get_nowait()
                await stub.CreateNative(
                    payment_pb2.CreateNativeRequest(
                        out_trade_no=order_id,
                        total_fee=fees[order_id],
                        description="fault run",
                        expire_time=expire,
                    ),
                    timeout=30,
                )

        await asyncio.gather(*(placer() for _ in range(concurrency)))
