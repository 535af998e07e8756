"""One fault run, start to finish: private servers and a private System, the orders, the
customers paying while the faults hit, waiting until everything is quiet, then the checks."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict

from devstack.apps import System
from devstack.chaos import collect, logscan
from devstack.chaos.evidence import Evidence, Expected
from devstack.chaos.faults import FaultScript
from devstack.chaos.load import PayLog, pay_steadily
from devstack.chaos.orders import RunOrders, insert_orders, place_at_wechat
from devstack.chaos.plan import ChaosPlan
from devstack.chaos.refunds import Refunder, RefundLog
from devstack.chaos.report import RunReport
from devstack.chaos.stock import ChaosStock
from devstack.chaos.system import private_system
from devstack.chaos.verify import verify
from devstack.layout import STACK
from devstack.private import PrivateServers, private_home, private_servers
from runtime.kafka import TOPIC_ORDER_EVENTS
from sandbox import credentials

ARTIFACTS = STACK / "chaos"
"""Where each run's report (and, when it failed, its logs) is kept."""

Say = Callable[[str], None]


def run_chaos(plan: ChaosPlan, say: Say = print, keep_logs: bool = False) -> RunReport:
    """Runs `plan`; the report says what happened (its logs are kept when it failed)."""
    run_id = uuid.uuid4().hex[:8]
    report = RunReport(run_id, asdict(plan))
    began = time.monotonic()
    with private_home("chaos") as home, private_servers(home / "servers") as servers:
        report.phases["start private PostgreSQL, Redis, Kafka"] = round(time.monotonic() - began, 1)
        system = private_system(servers, home / "system", plan.time_scale, plan.api_version)
        try:
            _run(plan, run_id, servers, system, report, say)
        except BaseException:
            system.stop_all()
            _keep_logs(system, run_id, say)
            raise
        system.stop_all()
        _scan_logs(system, report)
        if keep_logs or not report.ok:
            report.notes.append(f"logs kept in {_keep_logs(system, run_id, say)}")
    report.write_json(ARTIFACTS / f"{run_id}.json")
    return report


def _keep_logs(system: System, run_id: str, say: Say) -> str:
    kept = ARTIFACTS / run_id / "logs"
    if (system.home / "logs").is_dir():
        shutil.copytree(system.home / "logs", kept, dirs_exist_ok=True)
        say(f"[chaos] logs kept in {kept}")
    return str(kept)


def _run(
    plan: ChaosPlan,
    run_id: str,
    servers: PrivateServers,
    system: System,
    report: RunReport,
    say: Say,
) -> None:
    clock = _Phases(report, say)
    for name, seconds in system.start_all():
        say(f"[chaos] {name} ready in {seconds:.1f}s")
    clock.done("start the processes")

    orders = _orders(plan, run_id)
    insert_orders(servers.database_url, orders.ids, orders.fees)
    stock = ChaosStock(servers.database_url, servers.kafka.bootstrap, TOPIC_ORDER_EVENTS, run_id)
    stock.reserve(orders.ids)
    stock.start()
    asyncio.run(
        place_at_wechat(
            f"127.0.0.1:{system.ports.payment}", orders.ids, orders.fees, plan.create_concurrency
        )
    )
    clock.done(f"create {len(orders.ids)} orders (PostgreSQL + CreateNative at WeChat)")

    script = FaultScript(plan, system, servers)
    began = time.monotonic()
    script.start(began)
    paid, refunded = asyncio.run(_pay_and_refund(plan, system, orders, say))
    script.join()
    report.faults = script.log.struck
    clock.done(
        f"pay {len(paid.modes)} orders at {plan.pay_rate:.0f}/s and refund"
        f" {len({a.order_id for a in refunded.asked.values()})} while faults hit"
    )

    settled = _settle(plan, system, servers, len(paid.modes), say)
    if not settled:
        report.notes.append(f"not quiescent after {plan.settle_timeout:.0f}s")
    clock.done("wait until quiescent")

    expected = _expected(orders, paid, refunded)
    evidence = Evidence()
    evidence.processes_down = [a.name for a in system.apps() if a.pid() is None]
    evidence.deliveries = collect.deliveries(system.app("sandbox").url)
    evidence.wechat_refunds = collect.wechat_refunds(system.app("sandbox").url)
    collect.observations(servers.kafka.bootstrap, evidence)
    collect.events(servers.kafka.bootstrap, evidence)
    collect.database(servers.database_url, evidence)
    collect.snapshots(servers.redis_url, evidence)
    report.verdict = verify(expected, evidence)
    stock.check(set(paid.modes), report.verdict)
    report.verdict.counts = {
        "orders": len(orders.ids),
        "orders paid by customers": len(paid.modes),
        "orders never paid (controls)": len(orders.controls),
        "orders the sandbox refused to pay": len(paid.refused),
        "faults injected": len(report.faults),
        **report.verdict.counts,
    }
    if paid.refused:
        report.verdict.violate("pay_refused", str(sorted(paid.refused.items())[:5]))
    _refund_figures(refunded, report)
    clock.done("collect and verify")


def _orders(plan: ChaosPlan, run_id: str) -> RunOrders:
    ids = plan.order_ids(run_id)
    fees = dict(zip(ids, plan.amounts(len(ids)), strict=True))
    controls = [order_id for n, order_id in enumerate(ids) if plan.is_control(n)]
    chosen = set(controls)
    return RunOrders(ids, fees, [i for i in ids if i not in chosen], controls)


async def _pay_and_refund(
    plan: ChaosPlan, system: System, orders: RunOrders, say: Say
) -> tuple[PayLog, RefundLog]:
    """The customers pay; the merchant refunds a share of the orders as soon as they are paid."""
    sandbox = system.app("sandbox").url
    refunder = Refunder(plan, f"127.0.0.1:{system.ports.order}", sandbox)
    planned = {
        order_id: refunds
        for position, order_id in enumerate(orders.to_pay)
        if (refunds := plan.refunds_of(position, orders.fees[order_id])) is not None
    }

    def paid(order_id: str) -> None:
        if order_id in planned:
            refunder.offer(order_id, orders.fees[order_id], planned[order_id])

    held = frozenset(order_id for order_id, r in planned.items() if r.hold_payment_notify)
    refunding = asyncio.create_task(refunder.run())
    try:
        log = await pay_steadily(plan, sandbox, orders.to_pay, _progress(say), held, paid)
    finally:
        refunder.close()
    refunded = await refunding
    say(f"[chaos] refunds done {refunded.finished - log.finished:.1f}s after the last payment")
    return log, refunded


def _expected(orders: RunOrders, paid: PayLog, refunded: RefundLog) -> Expected:
    return Expected(
        fees=orders.fees,
        paid={order_id: mode.copies for order_id, mode in paid.modes.items()},
        probed=frozenset(order_id for order_id, mode in paid.modes.items() if mode.probe),
        refunds=dict(refunded.asked),
        held=frozenset(refunded.held),
    )


def _refund_figures(refunded: RefundLog, report: RunReport) -> None:
    """What the merchant saw: its calls, the retried ones, and anything that went wrong."""
    counts = report.verdict.counts
    counts["RefundOrder calls (all attempts)"] = sum(a.attempts for a in refunded.asked.values())
    counts["RefundOrder calls answered not-yet-definite (each asked again)"] = sum(
        refunded.failed_calls.values()
    )
    for code, n in sorted(refunded.failed_calls.items()):
        counts[f"  answered {code}"] = n
    counts["CancelOrder calls for held orders"] = sum(refunded.cancel_calls.values())
    for outcome, n in sorted(refunded.cancel_calls.items()):
        counts[f"  CancelOrder {outcome}"] = n
    for step, seconds in refunded.slowest.items():
        report.notes.append(f"refunds: at most {seconds:.1f}s {step}")
    for problem in refunded.problems:
        report.verdict.violate("refund_driver_problem", problem)


def _settle(plan: ChaosPlan, system: System, servers: PrivateServers, paid: int, say: Say) -> bool:
    """Waits until no notify is pending, every paid order left PENDING and every event was
    published, and that stays so for a moment (False: not within the settle timeout)."""
    sandbox = system.app("sandbox").url
    deadline = time.monotonic() + plan.settle_timeout
    quiet_since: float | None = None
    last_said = 0.0
    while time.monotonic() < deadline:
        try:
            pending = collect.pending_deliveries(sandbox)
            moved, unpublished = collect.settled_counts(servers.database_url)
        except Exception as error:
            say(f"[chaos] not answering yet: {error!r}")
            time.sleep(1.0)
            continue
        if pending == 0 and moved >= paid and unpublished == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 3.0:
                return True
        else:
            quiet_since = None
        if time.monotonic() - last_said >= 10:
            last_said = time.monotonic()
            say(
                f"[chaos] settling: {pending} notifies pending, {moved}/{paid} orders paid, "
                f"{unpublished} events unpublished"
            )
        time.sleep(0.5)
    return False


def _scan_logs(system: System, report: RunReport) -> None:
    secrets = logscan.Secrets()
    secrets.add_value("the v2 API key", credentials.API_KEY)
    secrets.add_value("the v3 API key", credentials.V3_API_KEY)
    state = system.sandbox_state
    for pem in sorted(state.rglob("*key*.pem")) + sorted(state.rglob("*.key")):
        secrets.add_pem(f"private key {pem.name}", pem)
    lines, findings = logscan.scan([system.home / "logs"], secrets)
    report.verdict.counts["log lines scanned for secrets"] = lines
    for finding in findings:
        report.verdict.violate("secret_in_logs", f"{finding.path}:{finding.line}: {finding.what}")


def _progress(say: Say) -> Callable[[float], None]:
    shown = [0]

    def show(fraction: float) -> None:
        tenth = int(fraction * 10)
        if tenth > shown[0]:
            shown[0] = tenth
            say(f"[chaos] paid {tenth * 10}%")

    return show


class _Phases:
    def __init__(self, report: RunReport, say: Say) -> None:
        self._report = report
        self._say = say
        self._at = time.monotonic()

    def done(self, phase: str) -> None:
        now = time.monotonic()
        self._report.phases[phase] = round(now - self._at, 1)
        self._say(f"[chaos] {phase}: {now - self._at:.1f}s")
        self._at = now
