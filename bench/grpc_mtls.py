"""What mutual TLS costs: CreateNative and the no-op baseline (health Check) through two
PaymentService processes side by side in one run — one plaintext, one serving mutual TLS with
its authorization table (runtime.grpc_tls) — against the same sandbox, with the same load
generator (bench.grpc_load), alternating plaintext and mTLS in every round.

`python -m bench.grpc_mtls [--seconds S] [--runs R]`. Channels are long-lived (as order-api's
and the shop's are), so this is the per-call cost (encryption, the caller check), not the
handshake's.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from bench import common, procs
from bench.create_native import load
from bench.system import private_system
from devstack.ports import free_port

CONCURRENCY = (8, 32)
METHODS = ("health", "create_native")
TRANSPORTS = ("plaintext", "mtls")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    with private_system("grpc_mtls", apps=["sandbox", "payment"]) as plain:
        # The second PaymentService: same sandbox (its state linked), own ports, mutual TLS.
        home = plain.home / "mtls"
        home.mkdir()
        (home / "sandbox").symlink_to(plain.sandbox_state)
        ports = dataclasses.replace(plain.ports, payment=free_port(), payment_metrics=free_port())
        secure = dataclasses.replace(plain, home=home, ports=ports, tls=True)
        secure.start(secure.app("payment"))
        try:
            client = secure.certificates()["checkout"]
            targets = {
                "plaintext": (f"127.0.0.1:{plain.ports.payment}", None),
                "mtls": (f"127.0.0.1:{secure.ports.payment}", str(client.cert.parent)),
            }
            pids = {"plaintext": plain.app("payment").pid(), "mtls": secure.app("payment").pid()}
            for target, certs in targets.values():  # warm-up: connections, code paths
                load(target, "create_native", 2, 8, certs)
            for run in range(args.runs):
                for concurrency in CONCURRENCY:
                    for method in METHODS:
                        for transport in TRANSPORTS:
                            pid = pids[transport]
                            assert pid is not None
                            before = procs.cpu_seconds(pid)
                            target, certs = targets[transport]
                            result = load(target, method, args.seconds, concurrency, certs)
                            cpu = (procs.cpu_seconds(pid) - before) / args.seconds
                            row = {
                                **result,
                                "transport": transport,
                                "method": method,
                                "run": run + 1,
                                "concurrency": concurrency,
                                "payment_cpu": cpu,
                            }
                            rows.append(row)
                            print(
                                f"run {run + 1} c{concurrency:<3} {method:<14} {transport:<9} "
                                f"{result['per_second']:>7.0f}/s p50 {result['p50_ms']:.2f} ms "
                                f"p99 {result['p99_ms']:.2f} ms errors {result['errors']:.0f} "
                                f"| payment cpu {cpu:.2f}",
                                flush=True,
                            )
        finally:
            secure.stop(secure.app("payment"))
    out = Path(__file__).parent / "results" / "grpc_mtls.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"rows": rows}, indent=2))
    _summary(rows)


def _summary(rows: list[dict[str, object]]) -> None:
    def values(key: str, concurrency: int, method: str, transport: str) -> list[float]:
        return [
            float(str(r[key]))
            for r in rows
            if (r["concurrency"], r["method"], r["transport"]) == (concurrency, method, transport)
        ]

    for concurrency in CONCURRENCY:
        for method in METHODS:
            line = []
            for transport in TRANSPORTS:
                med, low, high = common.median_range(
                    values("per_second", concurrency, method, transport)
                )
                p50 = common.median_range(values("p50_ms", concurrency, method, transport))[0]
                line.append(f"{transport} {med:.0f}/s ({low:.0f}–{high:.0f}) p50 {p50:.2f} ms")
            plain = common.median_range(values("per_second", concurrency, method, "plaintext"))[0]
            mtls = common.median_range(values("per_second", concurrency, method, "mtls"))[0]
            print(
                f"c{concurrency} {method}: " + "; ".join(line) + f"; mTLS/plain {mtls / plain:.2f}"
            )


if __name__ == "__main__":
    main()
