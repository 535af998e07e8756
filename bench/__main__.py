"""`./dev bench [--quick]`: every stage against its baselines, on the local stack.

Stages run one after another (never two loads at once on a 2-core machine); each writes its
figures to bench/results/ and prints its medians. BENCHMARKS.md explains the method.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.procs import ROOT

FULL: dict[str, list[str]] = {
    "notify_intake": [],
    "order_worker": [],
    "end_to_end": [],
    "create_native": [],
    "grpc_mtls": [],
    "reconciler": [],
}
QUICK = {
    "notify_intake": ["--runs", "1", "--seconds", "3"],
    "order_worker": ["--orders", "5000", "--runs", "1"],
    "end_to_end": ["--seconds", "3", "--runs", "1"],
    "create_native": ["--seconds", "3", "--runs", "1"],
    "grpc_mtls": ["--seconds", "3", "--runs", "1"],
    "reconciler": ["--pending", "10000", "100000", "--runs", "1"],
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="./dev bench")
    parser.add_argument("--quick", action="store_true", help="one short run of each stage")
    parser.add_argument("stages", nargs="*", help=f"some of {', '.join(FULL)}")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    stages = args.stages or list(plan)
    unknown = set(stages) - set(plan)
    if unknown:
        parser.error(f"unknown stage(s): {', '.join(sorted(unknown))}")
    failed = []
    for stage in stages:
        print(f"\n=== {stage} ===", flush=True)
        started = time.monotonic()
        code = subprocess.run(
            [sys.executable, "-m", f"bench.{stage}", *plan[stage]], cwd=ROOT, check=False
        ).returncode
        print(
            f"=== {stage}: {'done' if code == 0 else f'FAILED ({code})'} in "
            f"{time.monotonic() - started:.0f} s",
            flush=True,
        )
        if code != 0:
            failed.append(stage)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
