"""`python -m examples.stock`: the stock service's consumer (the composition root)."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import psycopg
from confluent_kafka import Consumer

from examples.stock import store
from examples.stock.consumer import StockConsumer, consumer_config
from examples.stock.settings import SettingsError, StockSettings


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s stock %(message)s")
    try:
        settings = StockSettings.from_env()
    except SettingsError as error:
        print(f"stock: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        store.create_schema(conn)
        consumer = Consumer(consumer_config(settings.kafka_bootstrap_servers, settings.group))
        logging.info("consuming %s as group %s", settings.topic, settings.group)
        StockConsumer(consumer, conn, settings.topic).run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
