"""CreateNative: gRPC calls per second through PaymentService to the sandbox (each call places a
new NATIVE order over HTTPS with the merchant certificate), against a no-op unary method on the
same gRPC server (the standard health Check), with the same load generator in the same run.

`python -m bench.create_native [--seconds S] [--runs R] [--api-version v2|v3]` (v3: the same RPC
over WeChat Pay API v3, JSON signed with the merchant's RSA key).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench import common, procs
from bench.system import private_system

CONCURRENCY = (8, 32)


def load(
    target: str, method: str, seconds: float, concurrency: int, certs: str | None = None
) -> dict[str, float]:
    """One bench.grpc_load run (``certs``: a directory of tls.crt, tls.key, ca.crt: mTLS)."""
    args = [target, method, str(seconds), str(concurrency), *([certs] if certs else [])]
    output = subprocess.run(
        [sys.executable, "-m", "bench.grpc_load", *args],
        cwd=procs.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--api-version", choices=["v2", "v3"], default="v2")
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    with private_system(
        "create_native", apps=["sandbox", "payment"], api_version=args.api_version
    ) as system:
        target = f"127.0.0.1:{system.ports.payment}"
        payment_pid = system.app("payment").pid()
        sandbox_pid = system.app("sandbox").pid()
        assert payment_pid is not None
        assert sandbox_pid is not None
        load(target, "create_native", 2, 8)  # warm-up: connections, code paths
        for run in range(args.runs):
            for concurrency in CONCURRENCY:
                for method in ("health", "create_native"):
                    before = procs.cpu_seconds(payment_pid), procs.cpu_seconds(sandbox_pid)
                    result = load(target, method, args.seconds, concurrency)
                    payment_cpu = (procs.cpu_seconds(payment_pid) - before[0]) / args.seconds
                    sandbox_cpu = (procs.cpu_seconds(sandbox_pid) - before[1]) / args.seconds
                    generator_cpu = result["generator_cpu_seconds"] / args.seconds
                    rows.append(
                        {
                            **result,
                            "method": method,
                            "run": run + 1,
                            "concurrency": concurrency,
                            "payment_cpu": payment_cpu,
                            "sandbox_cpu": sandbox_cpu,
                            "generator_cpu": generator_cpu,
                        }
                    )
                    print(
                        f"run {run + 1} c{concurrency:<3} {method:<14} "
                        f"{result['per_second']:>7.0f}/s p50 {result['p50_ms']:.1f} ms "
                        f"p99 {result['p99_ms']:.1f} ms errors {result['errors']:.0f} | cpu: "
                        f"payment {payment_cpu:.2f} sandbox {sandbox_cpu:.2f} "
                        f"generator {generator_cpu:.2f}",
                        flush=True,
                    )
        rss = {"payment": procs.peak_rss_mb(payment_pid), "sandbox": procs.peak_rss_mb(sandbox_pid)}
    suffix = "" if args.api_version == "v2" else f"_{args.api_version}"
    out = Path(__file__).parent / "results" / f"create_native{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "peak_rss_mb": rss}, indent=2))

    def rates(concurrency: int, method: str) -> list[float]:
        return [
            float(str(r["per_second"]))
            for r in rows
            if r["concurrency"] == concurrency and r["method"] == method
        ]

    for concurrency in CONCURRENCY:
        med, low, high = common.median_range(rates(concurrency, "create_native"))
        base = common.median_range(rates(concurrency, "health"))[0]
        print(
            f"c{concurrency}: CreateNative median {med:.0f}/s ({low:.0f}–{high:.0f}); "
            f"no-op median {base:.0f}/s; ratio {med / base:.2f}"
        )
    print(f"peak RSS MB: {rss}")


if __name__ == "__main__":
    main()
