"""The checks of a fault run, over what it expected and what it found: for every order, its
final status, its events, its notifies and what Kafka holds of them. Pure: no I/O."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from devstack.chaos.evidence import Delivery, Evidence, Expected, Observed

EXAMPLES_PER_CHECK = 5


@dataclass
class Verdict:
    counts: dict[str, int] = field(default_factory=dict)
    violations: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def violate(self, check: str, detail: str) -> None:
        self.violations[check] += 1
        if len(self.examples[check]) < EXAMPLES_PER_CHECK:
            self.examples[check].append(detail)

    @property
    def ok(self) -> bool:
        return not self.violations


def verify(expected: Expected, found: Evidence) -> Verdict:
    verdict = Verdict()
    notified = _successes_by_order(expected, found, verdict)
    _check_orders(expected, found, verdict)
    _check_events(expected, found, verdict)
    _check_kafka_holds_every_success(expected, found, notified, verdict)
    _check_inbox(expected, found, verdict)
    _check_redis(found, verdict)
    _check_housekeeping(found, verdict)
    return verdict


def _successes_by_order(expected: Expected, found: Evidence, verdict: Verdict) -> Counter[str]:
    """Checks the sandbox's delivery log; returns how many SUCCESS answers each order got."""
    successes: Counter[str] = Counter()
    payments: Counter[str] = Counter()
    probes: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    probe_outcomes: Counter[str] = Counter()
    retried = failed_answers = most_attempts = 0
    for delivery in found.deliveries:
        if delivery.kind == "probe":
            probe_outcomes.update(delivery.outcomes)
            probes[delivery.out_trade_no] += 1
            if delivery.state != "rejected" or "success" in delivery.outcomes:
                verdict.violate("probe_accepted", _describe(delivery))
            continue
        outcomes.update(delivery.outcomes)
        most_attempts = max(most_attempts, len(delivery.outcomes))
        payments[delivery.out_trade_no] += 1
        successes[delivery.out_trade_no] += delivery.outcomes.count("success")
        failures = len(delivery.outcomes) - delivery.outcomes.count("success")
        failed_answers += failures
        retried += failures > 0
        if delivery.state != "delivered" or delivery.outcomes[-1:] != ("success",):
            verdict.violate("notify_not_delivered", _describe(delivery))
        elif delivery.outcomes.count("success") != 1:
            verdict.violate("notify_attempted_after_success", _describe(delivery))
    for order_id, copies in expected.paid.items():
        if payments[order_id] != copies:
            verdict.violate(
                "deliveries_missing", f"{order_id}: {payments[order_id]} of {copies} deliveries"
            )
        if (order_id in expected.probed) != (probes[order_id] == 1):
            verdict.violate("probe_missing", f"{order_id}: {probes[order_id]} probes")
    for order_id in expected.controls:
        if payments[order_id] or probes[order_id]:
            verdict.violate("control_notified", order_id)
    verdict.counts.update(
        {
            "notify deliveries (payment)": sum(payments.values()),
            "notify deliveries (probe)": sum(probes.values()),
            "extra copies of a notify (duplicates)": sum(
                max(0, copies - 1) for copies in expected.paid.values()
            ),
            "notify attempts (payment)": sum(outcomes.values()),
            **{f"  answered {name}": n for name, n in sorted(outcomes.items())},
            "deliveries retried after a non-SUCCESS answer": retried,
            "non-SUCCESS answers to real notifies (each retried)": failed_answers,
            "most attempts of one delivery": most_attempts,
            "probe attempts (each must be refused)": sum(probe_outcomes.values()),
            **{f"  probes answered {name}": n for name, n in sorted(probe_outcomes.items())},
        }
    )
    return successes


def _check_orders(expected: Expected, found: Evidence, verdict: Verdict) -> None:
    for order_id, fee in expected.fees.items():
        row = found.orders.get(order_id)
        if row is None:
            verdict.violate("order_missing", order_id)
            continue
        paid = order_id in expected.paid
        want = ("PAID", 2) if paid else ("PENDING", 1)
        if (row.status, row.version) != want:
            verdict.violate("wrong_status", f"{order_id}: {row.status} v{row.version}, want {want}")
        if row.total_fee != fee or row.anomaly is not None:
            verdict.violate("wrong_amount_or_anomaly", f"{order_id}: {row}")
        if paid != bool(row.transaction_id):
            verdict.violate("wrong_transaction", f"{order_id}: {row.transaction_id!r}")
    for order_id in set(found.orders) - set(expected.fees):
        verdict.violate("unexpected_order", order_id)
    by_status = Counter(row.status for row in found.orders.values())
    verdict.counts.update({f"orders {status}": n for status, n in sorted(by_status.items())})


def _check_events(expected: Expected, found: Evidence, verdict: Verdict) -> None:
    distinct = {e.event_id: e for e in found.events}
    per_order: defaultdict[str, list[str]] = defaultdict(list)
    for event in distinct.values():
        per_order[event.order_id].append(event.event_id)
        if event.kind != "paid" or event.order_id not in expected.paid:
            verdict.violate("unexpected_event", f"{event.order_id}: {event.kind}")
            continue
        row = found.orders.get(event.order_id)
        if event.total_fee != expected.fees[event.order_id] or (
            row is not None and event.transaction_id != row.transaction_id
        ):
            verdict.violate("event_disagrees_with_order", f"{event.order_id}: {event}")
    for order_id in expected.paid:
        count = len(per_order.get(order_id, []))
        if count == 0:
            verdict.violate("order_paid_event_lost", order_id)
        elif count > 1:
            verdict.violate("order_paid_event_doubled", f"{order_id}: {per_order[order_id]}")
    verdict.counts.update(
        {
            "order.events records": len(found.events),
            "order.events distinct event ids": len(distinct),
            "order.events redelivered (same event id, at least once)": len(found.events)
            - len(distinct),
        }
    )


def _check_kafka_holds_every_success(
    expected: Expected, found: Evidence, successes: Counter[str], verdict: Verdict
) -> None:
    """Each SUCCESS answer was given after the broker acked one record: so an order has at
    least as many NOTIFY records on payment.observations as SUCCESS answers."""
    records: Counter[str] = Counter()
    ids: defaultdict[str, set[str]] = defaultdict(set)
    for record in found.observations:
        if record.source != "NOTIFY" or record.trade_state != "SUCCESS":
            verdict.violate("unexpected_observation", _observed(record))
            continue
        records[record.out_trade_no] += 1
        ids[record.out_trade_no].add(record.observation_id)
        row = found.orders.get(record.out_trade_no)
        if row is not None and row.transaction_id not in (None, record.transaction_id):
            verdict.violate("observation_disagrees_with_order", _observed(record))
    for order_id, answered in successes.items():
        if records[order_id] < answered:
            verdict.violate(
                "success_answer_not_in_kafka",
                f"{order_id}: {answered} SUCCESS answers, {records[order_id]} records",
            )
    for order_id, distinct in ids.items():
        if len(distinct) != 1:
            verdict.violate("unstable_observation_id", f"{order_id}: {sorted(distinct)}")
        if order_id not in expected.paid:
            verdict.violate("observation_for_unpaid_order", order_id)
    if found.undecodable_observations:
        verdict.violate("undecodable_observation", f"{found.undecodable_observations} records")
    verdict.counts.update(
        {
            "SUCCESS answers": sum(successes.values()),
            "payment.observations records": len(found.observations),
            "payment.observations distinct observation ids": len(
                {r.observation_id for r in found.observations}
            ),
        }
    )


def _check_inbox(expected: Expected, found: Evidence, verdict: Verdict) -> None:
    applied: Counter[str] = Counter()
    for order_id, outcome in found.inbox:
        if outcome == "APPLIED":
            applied[order_id] += 1
        else:
            verdict.violate("unexpected_inbox_outcome", f"{order_id}: {outcome}")
    for order_id in expected.fees:
        want = 1 if order_id in expected.paid else 0
        if applied[order_id] != want:
            verdict.violate("inbox_count", f"{order_id}: {applied[order_id]} applied, want {want}")
    verdict.counts["inbox rows"] = len(found.inbox)


def _check_redis(found: Evidence, verdict: Verdict) -> None:
    """Redis is derived: a snapshot may be missing (it was restarted) but never contradict."""
    for order_id, (status, version) in found.snapshots.items():
        row = found.orders.get(order_id)
        if row is None or (row.status, row.version) != (status, version):
            verdict.violate("stale_redis_snapshot", f"{order_id}: {status} v{version}, db {row}")
    verdict.counts["redis snapshots compared with PostgreSQL"] = len(found.snapshots)


def _check_housekeeping(found: Evidence, verdict: Verdict) -> None:
    if found.dead_letters:
        verdict.violate("dead_letters", f"{found.dead_letters} records on the DLQ")
    if found.unpublished_outbox:
        verdict.violate("outbox_not_published", f"{found.unpublished_outbox} rows")
    for name in found.processes_down:
        verdict.violate("process_died", name)
    for finding in found.log_findings:
        verdict.violate("secret_in_logs", f"{finding.path}:{finding.line}: {finding.what}")
    verdict.counts["dead letters"] = found.dead_letters
    verdict.counts["log lines scanned for secrets"] = found.log_lines


def _describe(delivery: Delivery) -> str:
    return f"{delivery.out_trade_no} #{delivery.id} {delivery.state} {list(delivery.outcomes)}"


def _observed(record: Observed) -> str:
    return f"{record.out_trade_no}: {record.source} {record.trade_state} {record.observation_id}"
