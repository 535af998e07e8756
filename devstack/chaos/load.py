"""The customers: pay the orders chunk by chunk at a steady rate through the sandbox's bulk pay
endpoint, each chunk with its delivery mode, whatever else is going on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from devstack.chaos.plan import ChaosPlan, PayMode


@dataclass
class PayLog:
    modes: dict[str, PayMode] = field(default_factory=dict)
    """Every order the sandbox accepted as paid, with how its notify travels."""
    refused: dict[str, str] = field(default_factory=dict)
    """Orders the sandbox refused to pay, with its error (a run expects none)."""
    started: float = 0.0
    finished: float = 0.0


async def pay_steadily(
    plan: ChaosPlan,
    sandbox_url: str,
    to_pay: list[str],
    progress: Callable[[float], None] | None = None,
    held: frozenset[str] = frozenset(),
    paid: Callable[[str], None] | None = None,
) -> PayLog:
    """Pays `to_pay` in chunks of `plan.chunk`, one chunk every chunk / pay_rate seconds; the
    notifies of `held` orders wait at the sandbox until released. `paid` hears of each order
    the sandbox accepted as paid."""
    log = PayLog(started=time.monotonic())
    interval = plan.chunk / plan.pay_rate
    chunks = [to_pay[n : n + plan.chunk] for n in range(0, len(to_pay), plan.chunk)]
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=60.0, trust_env=False) as http:
        for index, chunk in enumerate(chunks):
            due = log.started + index * interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            mode = plan.mode_of_chunk(index)
            normal = [order_id for order_id in chunk if order_id not in held]
            holding = [order_id for order_id in chunk if order_id in held]
            for order_ids, delivery in ((normal, "normal"), (holding, "hold")):
                if not order_ids:
                    continue
                answer = await http.post(
                    "/sandbox/pay/bulk",
                    json={"out_trade_nos": order_ids, "delivery": delivery, **mode.request},
                )
                answer.raise_for_status()
                body = answer.json()
                for order_id in body["paid"]:
                    log.modes[order_id] = mode
                    if paid is not None:
                        paid(order_id)
                for refusal in body["refused"]:
                    log.refused[refusal["out_trade_no"]] = refusal["error"]
            if progress is not None:
                progress((index + 1) / len(chunks))
    log.finished = time.monotonic()
    return log
