"""Reading back what the system published, from where a topic ended when the demo began."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

METADATA_TIMEOUT = 10.0


class TopicTail:
    """A consumer assigned to every partition of one topic at its end offsets (no group, no
    commits): it sees only what is produced after it was opened, kept by record key."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"paystream-demo-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        self._by_key: dict[bytes, list[bytes]] = defaultdict(list)
        try:
            metadata = self._consumer.list_topics(topic, timeout=METADATA_TIMEOUT)
            found = metadata.topics.get(topic)
            if found is None or found.error is not None or not found.partitions:
                raise RuntimeError(f"topic {topic} does not exist (run ./dev up)")
            ends = []
            for partition in sorted(found.partitions):
                _, high = self._consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=METADATA_TIMEOUT
                )
                ends.append(TopicPartition(topic, partition, high))
            self._consumer.assign(ends)
        except BaseException:
            self._consumer.close()
            raise

    def read(
        self, key: str, enough: Callable[[list[bytes]], bool], timeout: float, settle: float = 0.0
    ) -> list[bytes]:
        """The values keyed `key` once `enough(values)` holds (then `settle` seconds more, so
        that anything extra shows), or whatever arrived when `timeout` ran out."""
        wanted = key.encode()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not enough(self._by_key[wanted]):
            self._take(self._consumer.poll(0.05))
        until = time.monotonic() + settle
        while settle and time.monotonic() < until:
            self._take(self._consumer.poll(0.05))
        return list(self._by_key[wanted])

    def _take(self, message: Message | None) -> None:
        if message is None:
            return
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                return
            raise RuntimeError(f"reading {self.topic}: {error}")
        self._by_key[message.key() or b""].append(message.value() or b"")

    def close(self) -> None:
        self._consumer.close()
