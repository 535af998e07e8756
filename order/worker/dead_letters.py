"""The dead-letter topic: records that can never be applied, with why and where they came from.

Headers added to the original ones: `dlq-reason`, `dlq-original-topic`,
`dlq-original-partition`, `dlq-original-offset`. Key and value are the original bytes.
"""

from __future__ import annotations

from confluent_kafka import Message

from order.worker import metrics
from order.worker.records import headers_of
from runtime.kafka import AckingProducer
from runtime.logs import get_logger

log = get_logger(__name__)

HEADER_REASON = "dlq-reason"
HEADER_TOPIC = "dlq-original-topic"
HEADER_PARTITION = "dlq-original-partition"
HEADER_OFFSET = "dlq-original-offset"


class DeadLetters:
    def __init__(self, producer: AckingProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def send(self, message: Message, reason: str) -> None:
        """Returns once the broker acknowledged the dead letter (raises ProduceError if not)."""
        headers = dict(headers_of(message))
        headers[HEADER_REASON] = reason.encode()
        headers[HEADER_TOPIC] = (message.topic() or "").encode()
        headers[HEADER_PARTITION] = str(message.partition()).encode()
        headers[HEADER_OFFSET] = str(message.offset()).encode()
        await self._producer.send(
            self._topic, value=message.value() or b"", key=message.key(), headers=headers
        )
        metrics.DEAD_LETTERS.inc()
        log.warning(
            "record sent to the dead-letter topic",
            reason=reason,
            topic=message.topic(),
            partition=message.partition(),
            offset=message.offset(),
        )
