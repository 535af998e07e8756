"""The callback gateway: verifies WeChat Pay's notifies and makes them durable in Kafka."""

__all__: list[str] = []
