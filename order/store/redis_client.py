"""The Redis client every order process uses: short timeouts and no retries, because Redis only
holds derived state and a dead Redis must not stall a call (the caller falls back or moves on)."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

REDIS_ERRORS = (RedisError, RedisConnectionError, RedisTimeoutError, OSError)


def redis_client(url: str, timeout: float) -> Redis:
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )
