"""The reference stock service (`examples/stock`) through the fault run: one unit reserved per
order before anyone pays, consumed from `order.events` while the faults strike, restarted as its
process would be when PostgreSQL goes away. Afterwards the stock must be exactly the starting
stock minus the orders paid."""

from __future__ import annotations

import threading
import time

import psycopg
from confluent_kafka import Consumer

from devstack.chaos.verify import Verdict
from examples.stock import store
from examples.stock.consumer import StockConsumer, consumer_config


class ChaosStock:
    def __init__(self, database_url: str, bootstrap: str, topic: str, run_id: str) -> None:
        self.sku = f"chaos-{run_id}"
        self._url = database_url
        self._config = consumer_config(bootstrap, f"chaos-stock-{run_id}")
        self._topic = topic
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="stock", daemon=True)
        self.restarts = 0
        self.on_hand = 0

    def reserve(self, order_ids: list[str]) -> None:
        """Stocks one unit per order and reserves it for the order, as the shop would."""
        with psycopg.connect(self._url, autocommit=True) as conn:
            store.create_schema(conn)
            self.on_hand = len(order_ids)
            store.put_items(conn, {self.sku: self.on_hand})
            for order_id in order_ids:
                store.reserve(conn, order_id, {self.sku: 1})

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=5) as conn:
                    StockConsumer(Consumer(self._config), conn, self._topic).run(self._stop)
            except psycopg.Error:
                self.restarts += 1  # as a crashed process restarts: the replay is deduplicated
                self._stop.wait(1.0)

    def check(self, paid: set[str], verdict: Verdict, timeout: float = 60.0) -> None:
        """Waits until the paid orders' reservations are committed, then checks the stock."""
        deadline = time.monotonic() + timeout
        while True:
            states = self._states()
            committed = {o for o, s in states.items() if s == "COMMITTED"}
            if committed >= paid or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self._stop.set()
        self._thread.join(30)
        with psycopg.connect(self._url, autocommit=True) as conn:
            item = store.items(conn)[self.sku]
        expected = self.on_hand - len(paid)
        verdict.counts["stock: units at the start"] = self.on_hand
        verdict.counts["stock: units on hand at the end"] = item.on_hand
        verdict.counts["stock: consumer restarts (PostgreSQL went away)"] = self.restarts
        if item.on_hand != expected:
            verdict.violate("stock", f"on hand {item.on_hand}, expected {expected}")
        wrong = {o: s for o, s in states.items() if (s == "COMMITTED") != (o in paid)}
        if wrong:
            verdict.violate(
                "stock", f"{len(wrong)} reservations wrong: {sorted(wrong.items())[:5]}"
            )
        held = sum(1 for s in states.values() if s == "RESERVED")
        if item.reserved != held:
            verdict.violate("stock", f"reserved {item.reserved}, but {held} reservations held")

    def _states(self) -> dict[str, str]:
        with psycopg.connect(self._url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT order_id, state FROM stock_reservations WHERE sku = %s", (self.sku,)
            ).fetchall()
        return dict(rows)
