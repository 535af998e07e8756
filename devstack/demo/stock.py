"""The reference stock service (`examples/stock`) beside the demo: the demo, being the shop,
reserves one unit for each order it creates; the service's consumer settles the reservations from
`order.events`; the summary checks that each ended as its order did."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from types import TracebackType

import psycopg
from confluent_kafka import Consumer

from examples.stock import store
from examples.stock.consumer import StockConsumer, consumer_config
from paystream.order.v1 import order_pb2

ON_HAND = 10
SETTLES: dict[order_pb2.OrderStatus.ValueType, str] = {
    order_pb2.ORDER_STATUS_PAID: "COMMITTED",
    order_pb2.ORDER_STATUS_CLOSED: "RELEASED",
}


class DemoStock:
    def __init__(self, database_url: str, bootstrap: str, topic: str) -> None:
        self.sku = f"demo-cup-{uuid.uuid4().hex[:8]}"  # this run's own item
        self._url = database_url
        self._conn = psycopg.connect(database_url, autocommit=True)
        store.create_schema(self._conn)
        store.put_items(self._conn, {self.sku: ON_HAND})
        self._stop = threading.Event()
        # The group's committed offsets skip what earlier runs consumed; a first run reads the
        # topic's history, whose orders hold no stock of this item (NO_CHANGE).
        consumer = Consumer(consumer_config(bootstrap, "demo-stock"))
        self._consumer_conn = psycopg.connect(database_url, autocommit=True)
        self._thread = threading.Thread(
            target=StockConsumer(consumer, self._consumer_conn, topic).run,
            args=(self._stop,),
            name="stock",
            daemon=True,
        )
        self._thread.start()
        self.orders: list[str] = []

    def reserve(self, order_id: str) -> None:
        store.reserve(self._conn, order_id, {self.sku: 1})
        self.orders.append(order_id)

    def states(self) -> dict[str, str]:
        rows = self._conn.execute(
            "SELECT order_id, state FROM stock_reservations WHERE sku = %s", (self.sku,)
        ).fetchall()
        return dict(rows)

    async def settled(
        self, statuses: dict[str, order_pb2.OrderStatus.ValueType], timeout: float = 15.0
    ) -> tuple[bool, str]:
        """Waits until every reservation ended as its order did; says how the stock stands."""
        expected = {o: SETTLES.get(s, "RESERVED") for o, s in statuses.items()}
        deadline = time.monotonic() + timeout
        while (states := await asyncio.to_thread(self.states)) != expected:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        item = (await asyncio.to_thread(store.items, self._conn))[self.sku]
        counts = {s: list(states.values()).count(s) for s in ("COMMITTED", "RELEASED", "RESERVED")}
        line = (
            f"{len(states)} reserved → {counts['COMMITTED']} committed, "
            f"{counts['RELEASED']} released, {counts['RESERVED']} held; "
            f"on hand {ON_HAND} → {item.on_hand} (examples/stock)"
        )
        return states == expected, line

    def __enter__(self) -> DemoStock:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(15)
        self._consumer_conn.close()
        self._conn.close()
