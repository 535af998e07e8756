"""The local stack's servers: PostgreSQL, Redis and Apache Kafka, each a plain process."""

__all__: list[str] = []
