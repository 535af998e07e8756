"""Order snapshots in Redis, for GetOrder: `order:{id}`, a hash of three fields.

- `version`: the order's version (a decimal string);
- `status`: PENDING, PAID, CLOSED, REFUNDED or PARTIALLY_REFUNDED;
- `order`: the whole order as compact JSON: id, total_fee, description, attach, status, anomaly
  ("" when none), transaction_id, paid_time, expire_time, create_time, update_time (ISO 8601 UTC,
  "" when unset), refunded_fee, version.

Derived from PostgreSQL and never the truth. Writers (CreateOrder, the worker, GetOrder's read
repair) race, so a snapshot only lands when its version is newer than the stored one: an older
snapshot never overwrites a newer one. The same script takes an order that is no longer PENDING
out of the pending index, so one round trip refreshes everything Redis knows about a batch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from redis.asyncio import Redis

from order.domain import Anomaly, Order, Status
from order.store.pending_index import PENDING_KEY

KEY_PREFIX = "order:"
MAX_PER_CALL = 500

# KEYS[1]: the pending index; KEYS[2..]: snapshots. ARGV[1]: TTL (0: none); then, per
# snapshot, its version, status and JSON.
PUT_NEWER = f"""
local ttl = tonumber(ARGV[1])
local written = 0
for i = 2, #KEYS do
  local at = (i - 2) * 3 + 2
  local current = redis.call('HGET', KEYS[i], 'version')
  if not current or tonumber(current) < tonumber(ARGV[at]) then
    redis.call('HSET', KEYS[i], 'version', ARGV[at], 'status', ARGV[at + 1],
               'order', ARGV[at + 2])
    if ttl > 0 then redis.call('EXPIRE', KEYS[i], ttl) else redis.call('PERSIST', KEYS[i]) end
    written = written + 1
  end
  if ARGV[at + 1] ~= 'PENDING' then
    redis.call('ZREM', KEYS[1], string.sub(KEYS[i], {len(KEY_PREFIX) + 1}))
  end
end
return written
"""


def snapshot_key(order_id: str) -> str:
    return f"{KEY_PREFIX}{order_id}"


def _time(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def snapshot_json(order: Order) -> str:
    return json.dumps(
        {
            "id": order.id,
            "total_fee": order.total_fee,
            "description": order.description,
            "attach": order.attach,
            "status": order.status.value,
            "anomaly": order.anomaly.value if order.anomaly else "",
            "transaction_id": order.transaction_id or "",
            "paid_time": _time(order.paid_time),
            "expire_time": _time(order.expire_time),
            "create_time": _time(order.create_time),
            "update_time": _time(order.update_time),
            "refunded_fee": order.refunded_fee,
            "version": order.version,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def order_from_snapshot(raw: Mapping[bytes | str, bytes | str]) -> Order | None:
    """The order in a snapshot, or None when it is missing or unreadable (read PostgreSQL)."""
    document = raw.get(b"order", raw.get("order"))
    if not document:
        return None
    try:
        fields = json.loads(document)
        return Order(
            id=fields["id"],
            total_fee=int(fields["total_fee"]),
            description=fields["description"],
            attach=fields["attach"],
            status=Status(fields["status"]),
            anomaly=Anomaly(fields["anomaly"]) if fields["anomaly"] else None,
            transaction_id=fields["transaction_id"] or None,
            paid_time=_parse(fields["paid_time"]),
            expire_time=_required(fields["expire_time"]),
            create_time=_required(fields["create_time"]),
            update_time=_required(fields["update_time"]),
            refunded_fee=int(fields["refunded_fee"]),
            version=int(fields["version"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _parse(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _required(text: str) -> datetime:
    moment = _parse(text)
    if moment is None or moment.tzinfo is None:
        raise ValueError("a snapshot time is missing or naive")
    return moment


class Snapshots:
    """Reads and version-guarded writes of `order:{id}`; `ttl_seconds` 0 keeps them forever."""

    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._put = redis.register_script(PUT_NEWER)

    async def get(self, order_id: str) -> Order | None:
        return order_from_snapshot(await self._redis.hgetall(snapshot_key(order_id)))

    async def put(self, *orders: Order) -> int:
        """Writes the snapshots Redis does not hold at that version or newer, and takes the
        orders that left PENDING out of the pending index. Returns how many it wrote."""
        written = 0
        for start in range(0, len(orders), MAX_PER_CALL):
            written += await self._put_chunk(orders[start : start + MAX_PER_CALL])
        return written

    async def _put_chunk(self, orders: Sequence[Order]) -> int:
        keys = [PENDING_KEY]
        arguments: list[str | int] = [self._ttl]
        for order in orders:
            keys.append(snapshot_key(order.id))
            arguments += (order.version, order.status.value, snapshot_json(order))
        return int(await self._put(keys=keys, args=arguments))
