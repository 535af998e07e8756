"""A bounded grpc.aio load generator, run as its own process so its CPU is its own.

`python -m bench.grpc_load TARGET METHOD SECONDS CONCURRENCY [CERT_DIR]` prints one JSON line:
calls, errors, calls per second, p50/p99 latency, and the generator's CPU seconds.
METHOD is `health` (the no-op baseline on the same server) or `create_native`. With CERT_DIR
(tls.crt, tls.key, ca.crt) the calls go over mutual TLS, on the channel the services use.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
import uuid
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from paystream.payment.v1 import payment_pb2, payment_pb2_grpc
from runtime.grpc_tls import TlsFiles, channel

CHANNELS = 4


async def run(
    target: str, method: str, seconds: float, concurrency: int, tls: TlsFiles | None = None
) -> dict[str, float]:
    if not target.startswith("127.0.0.1:"):
        raise SystemExit("load targets loopback only")
    channels = [
        channel(target, tls, options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(CHANNELS)
    ]
    latencies: list[float] = []
    errors = 0
    prefix = uuid.uuid4().hex[:8]
    counter = 0
    stop_at = time.monotonic() + seconds

    async def worker(n: int) -> None:
        nonlocal errors, counter
        mine = channels[n % CHANNELS]
        health = health_pb2_grpc.HealthStub(mine)
        payments = payment_pb2_grpc.PaymentServiceStub(mine)
        while time.monotonic() < stop_at:
            counter += 1
            started = time.perf_counter()
            try:
                if method == "health":
                    await health.Check(health_pb2.HealthCheckRequest(), timeout=5)
                else:
                    await payments.CreateNative(
                        payment_pb2.CreateNativeRequest(
                            out_trade_no=f"b{prefix}{counter:010d}",
                            total_fee=100,
                            description="bench",
                        ),
                        timeout=5,
                    )
            except grpc.aio.AioRpcError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)

    began = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    elapsed = time.monotonic() - began
    for opened in channels:
        await opened.close(None)
    latencies.sort()
    usage = resource.getrusage(resource.RUSAGE_SELF)

    def pct(q: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0.0
        )

    return {
        "calls": len(latencies),
        "errors": errors,
        "per_second": len(latencies) / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "generator_cpu_seconds": usage.ru_utime + usage.ru_stime,
    }


if __name__ == "__main__":
    target, method, seconds, concurrency = (
        sys.argv[1],
        sys.argv[2],
        float(sys.argv[3]),
        int(sys.argv[4]),
    )
    certs = Path(sys.argv[5]) if len(sys.argv) > 5 else None
    files = TlsFiles(certs / "tls.crt", certs / "tls.key", certs / "ca.crt") if certs else None
    print(json.dumps(asyncio.run(run(target, method, seconds, concurrency, files))))
