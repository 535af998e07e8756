"""`./dev demo [--keep]`: start what is not running (the stack, the five processes, the demo
shop), run the four scenarios, print a summary, then stop exactly what the demo started."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

import grpc
import httpx

from devstack import stack
from devstack.apps import App, System
from devstack.demo.progress import Outcome, Progress, ScenarioFailedError, describe
from devstack.demo.scenarios import SCENARIOS
from devstack.demo.steps import CALL_TIMEOUT
from devstack.demo.stock import DemoStock
from devstack.demo.wiring import Wiring, log_to, wired
from devstack.layout import HOST
from order.reconcile.bootstrap import CannotRunError
from paystream.order.v1 import order_pb2

EXPECTED_FAILURES = (
    ScenarioFailedError,
    grpc.aio.AioRpcError,
    httpx.HTTPError,
    CannotRunError,
    RuntimeError,
    TimeoutError,
)
ROLES = {
    "sandbox": "WeChat Pay stand-in",
    "payment": "PaymentService",
    "order-api": "OrderService",
    "gateway": "notify gateway",
    "worker": "order worker + outbox relay",
    "shop": "demo shop: the cashier page",
}


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(prog="./dev demo", description=__doc__)
    parser.add_argument(
        "--keep", action="store_true", help="leave everything running and print what to open"
    )
    parser.add_argument(
        "--v3",
        action="store_true",
        help="talk WeChat Pay API v3 (JSON, RSA, AES-GCM) to the sandbox",
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="mutual TLS on every gRPC call, with certificates made under .stack/grpc-tls",
    )
    args = parser.parse_args(list(argv))
    progress = Progress()
    api = "v3" if args.v3 else "v2"
    progress.heading(
        f"paystream demo: WeChat Pay Native (QR code) payments, end to end (API {api})"
    )
    system = System.local(api_version=api, tls=args.tls)
    servers_started: list[str] = []
    apps_started: list[App] = []
    code, keep = 1, args.keep
    try:
        servers_started = start_stack(progress)
        start_apps(system, progress, apps_started)
        began = time.monotonic()
        outcomes = asyncio.run(run_scenarios(system, progress))
        progress.summary(outcomes)
        code = report(progress, outcomes, time.monotonic() - began, system)
    except SystemExit as failed:  # a process that would not start says why
        progress.line(f"\nFAILED to start: {failed}")
        code, keep = 1, False
    except KeyboardInterrupt:
        progress.line("\ninterrupted")
        code, keep = 130, False
    finally:
        if keep:
            print_urls(progress, system)
        else:
            stop(progress, system, apps_started, servers_started)
    return code


def start_stack(progress: Progress) -> list[str]:
    """Starts PostgreSQL, Redis and Kafka where they do not run; names the ones it started."""
    progress.heading("Starting")
    began = time.monotonic()
    started = stack.up()
    progress.ok(time.monotonic() - began, f"stack: {stack_state(started)}")
    return started


def stack_state(started: Sequence[str]) -> str:
    """`started PostgreSQL, Redis, Kafka`, `PostgreSQL, Redis, Kafka already running`, or both."""
    new = [stack.NAMES[name] for name in stack.NAMES if name in started]
    old = [stack.NAMES[name] for name in stack.NAMES if name not in started]
    said = [f"started {', '.join(new)}"] if new else []
    said += [f"{', '.join(old)} already running"] if old else []
    return "; ".join(said)


def start_apps(system: System, progress: Progress, started: list[App]) -> None:
    for app in system.apps():
        role = f"{app.name:<9} {ROLES.get(app.name, ''):<28} {app.url}".rstrip()
        began = time.monotonic()
        if system.start(app):
            started.append(app)
            progress.ok(time.monotonic() - began, role)
        else:
            progress.line(f"  ·  running  {role} (already; left as it is)")


async def run_scenarios(system: System, progress: Progress) -> list[Outcome]:
    with log_to(system.home / "logs" / "demo.log"):
        return await _run_all(system, progress)


async def _run_all(system: System, progress: Progress) -> list[Outcome]:
    outcomes = []
    async with wired(system) as wiring:
        for number, scenario in enumerate(SCENARIOS, 1):
            progress.heading(f"{number}. {scenario.title.capitalize()} — {scenario.story}")
            began = time.monotonic()
            try:
                what, passed = await scenario.run(wiring, progress), True
            except EXPECTED_FAILURES as error:
                what, passed = describe(error), False
            outcomes.append(Outcome(number, scenario.title, passed, time.monotonic() - began, what))
        if wiring.stock is not None:
            outcomes.append(await stock_outcome(wiring, wiring.stock, len(outcomes) + 1))
    return outcomes


async def stock_outcome(wiring: Wiring, stock: DemoStock, number: int) -> Outcome:
    """The stock line: every order's reservation ended as the order did."""
    began = time.monotonic()
    statuses = {}
    for order_id in stock.orders:
        answer = await wiring.orders.GetOrder(
            order_pb2.GetOrderRequest(id=order_id), timeout=CALL_TIMEOUT
        )
        statuses[order_id] = answer.order.status
    passed, line = await stock.settled(statuses)
    return Outcome(number, "stock", passed, time.monotonic() - began, line)


def report(progress: Progress, outcomes: list[Outcome], seconds: float, system: System) -> int:
    failed = [o for o in outcomes if not o.passed]
    progress.line()
    if failed:
        names = ", ".join(f"{o.number} ({o.title})" for o in failed)
        progress.line(
            f"FAILED: scenario {names}. The logs are in {system.home / 'logs'}/ "
            "(demo.log has the reconciler's passes)."
        )
        return 1
    progress.line(f"All {len(outcomes)} scenarios passed in {seconds:.1f} s.")
    return 0


def stop(progress: Progress, system: System, apps: list[App], servers: list[str]) -> None:
    if not apps and not servers:
        progress.line("Nothing to stop: everything was running before the demo.")
        return
    began = time.monotonic()
    for app in reversed(apps):
        system.stop(app)
    stack.stop_servers(servers)
    stopped = [a.name for a in reversed(apps)] + [
        n for n in ("kafka", "redis", "postgres") if n in servers
    ]
    progress.ok(time.monotonic() - began, f"stopped what the demo started: {', '.join(stopped)}")
    if len(servers) < len(stack.SERVERS):
        progress.line("     (what ran before the demo still runs; `./dev down` stops everything)")


def print_urls(progress: Progress, system: System) -> None:
    p = system.ports
    progress.heading("Left running (`./dev down` stops everything)")
    rows = [
        ("cashier page", f"http://{HOST}:{p.shop}/", "create an order, see its QR code"),
        ("phone page", f"http://{HOST}:{p.sandbox}/sandbox/phone", "the cashier page links it"),
        ("OrderService", f"{HOST}:{p.order}", "gRPC, reflection on (grpcurl -plaintext … list)"),
        ("PaymentService", f"{HOST}:{p.payment}", "gRPC"),
        ("gateway", f"http://{HOST}:{p.gateway}/wechatpay/v2/notify", "WeChat's notifies"),
        ("deliveries", f"http://{HOST}:{p.sandbox}/sandbox/deliveries", "every notify attempt"),
        ("logs", f"{system.home / 'logs'}/", ""),
        ("run a module", "./dev run python -m order.reconcile", 'or eval "$(./dev env)" first'),
    ]
    for name, where, what in rows:
        progress.line(f"  {name:<15} {where:<45} {what}".rstrip())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
