"""The checks of a fault run, over what it expected and what it found: for every order, its
final status, its events, its notifies and what Kafka holds of them. Pure: no I/O."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from devstack.chaos.evidence import Delivery, Event, Evidence, Expected, Observed, WeChatRefund

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
    refunds = refunded_at_wechat(found)
    notified = _successes_by_order(expected, found, verdict)
    refund_answers = _check_refund_deliveries(expected, found, refunds, verdict)
    _check_refunds(expected, found, refunds, verdict)
    _check_orders(expected, found, refunds, verdict)
    _check_events(expected, found, refunds, verdict)
    _check_kafka_holds_every_success(expected, found, notified, refund_answers, verdict)
    _check_inbox(expected, found, refunds, verdict)
    _check_redis(found, verdict)
    _check_housekeeping(found, verdict)
    return verdict


def refunded_at_wechat(found: Evidence) -> dict[str, list[WeChatRefund]]:
    by_order: defaultdict[str, list[WeChatRefund]] = defaultdict(list)
    for refund in found.wechat_refunds:
        by_order[refund.out_trade_no].append(refund)
    return by_order


def _check_refunds(
    expected: Expected, found: Evidence, refunds: dict[str, list[WeChatRefund]], verdict: Verdict
) -> None:
    """What the merchant was told agrees with what WeChat did: an accepted refund exists there,
    a refused one does not, an ambiguous one is a violation (it was never made definite) but
    counts as neither; every refund at WeChat settled SUCCESS and is in the refunds table."""
    at_wechat = {r.out_refund_no: r for rs in refunds.values() for r in rs}
    outcomes: Counter[str] = Counter()
    for number, asked in expected.refunds.items():
        outcomes[f"{asked.outcome} ({'fits' if asked.fits else 'above the total'})"] += 1
        made = at_wechat.get(number)
        if asked.outcome == "ambiguous":
            verdict.violate("refund_not_definite", f"{number}: {asked.attempts} attempts")
        elif asked.outcome == "accepted":
            if made is None or (made.out_trade_no, made.refund_fee) != (
                asked.order_id,
                asked.refund_fee,
            ):
                verdict.violate("accepted_refund_not_at_wechat", f"{number}: {made}")
            if not asked.fits:
                verdict.violate("refund_above_total_accepted", f"{number}: {asked}")
        else:
            if made is not None:
                verdict.violate("refused_refund_made_at_wechat", f"{number}: {made}")
            if asked.fits:
                verdict.violate("refund_refused", f"{number}: {asked}")
    for number, refund in at_wechat.items():
        if number not in expected.refunds:
            verdict.violate("unexpected_refund", f"{number}: {refund}")
        if refund.status != "SUCCESS":
            verdict.violate("refund_not_settled_at_wechat", f"{number}: {refund.status}")
        row = found.refund_rows.get(number)
        if row != (refund.out_trade_no, refund.refund_fee, "SUCCESS"):
            verdict.violate("refund_row_disagrees_with_wechat", f"{number}: {row} vs {refund}")
    for number in set(found.refund_rows) - set(at_wechat):
        verdict.violate("refund_row_without_refund", f"{number}: {found.refund_rows[number]}")
    orders = {a.order_id for a in expected.refunds.values()}
    succeeded = [r for r in at_wechat.values() if r.status == "SUCCESS"]
    full = sum(
        sum(r.refund_fee for r in refunds.get(o, []) if r.status == "SUCCESS") >= expected.fees[o]
        for o in orders
    )
    verdict.counts.update(
        {
            "orders refunded (RefundOrder)": len(orders),
            "  of them in full": full,
            "  of them in part": len(orders) - full,
            "refunds asked for (distinct out_refund_no)": len(expected.refunds),
            **{f"  {name}": n for name, n in sorted(outcomes.items())},
            "refunds SUCCESS at WeChat": len(succeeded),
            "fen refunded at WeChat": sum(r.refund_fee for r in succeeded),
        }
    )


def _check_refund_deliveries(
    expected: Expected, found: Evidence, refunds: dict[str, list[WeChatRefund]], verdict: Verdict
) -> Counter[str]:
    """Every refund notify delivered (retried until SUCCESS); for a held order, each before the
    order's payment notify was first sent. Returns the SUCCESS answers per out_refund_no."""
    answered: Counter[str] = Counter()
    attempts: Counter[str] = Counter()
    first_payment: dict[str, str] = {}
    refund_success: defaultdict[str, list[str]] = defaultdict(list)
    for delivery in found.deliveries:
        if delivery.kind == "payment" and delivery.first_attempt:
            earliest = first_payment.get(delivery.out_trade_no, delivery.first_attempt)
            first_payment[delivery.out_trade_no] = min(earliest, delivery.first_attempt)
        if delivery.kind != "refund":
            continue
        attempts.update(delivery.outcomes)
        answered[delivery.out_refund_no] += delivery.outcomes.count("success")
        if delivery.state != "delivered" or delivery.outcomes[-1:] != ("success",):
            verdict.violate("notify_not_delivered", _describe(delivery))
        elif delivery.outcomes.count("success") != 1:
            verdict.violate("notify_attempted_after_success", _describe(delivery))
        refund_success[delivery.out_trade_no].append(delivery.succeeded_at)
    for order_id, rs in refunds.items():
        for refund in rs:
            if refund.status == "SUCCESS" and not answered[refund.out_refund_no]:
                verdict.violate("refund_notify_missing", f"{order_id} {refund.out_refund_no}")
    first = 0
    for order_id in expected.held:
        payment = first_payment.get(order_id)
        times = refund_success.get(order_id, [])
        if payment is None:
            verdict.violate("held_notify_never_sent", order_id)
        elif times and all(t and _iso(t) < _iso(payment) for t in times):
            first += 1
        elif times:
            verdict.violate("refund_notify_not_before_payment_notify", f"{order_id}: {times}")
    verdict.counts.update(
        {
            "refund notify deliveries": sum(1 for d in found.deliveries if d.kind == "refund"),
            **{f"  refund notifies answered {name}": n for name, n in sorted(attempts.items())},
            "orders whose refund notifies all came before their payment notify": first,
        }
    )
    return answered


def _iso(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


def _successes_by_order(expected: Expected, found: Evidence, verdict: Verdict) -> Counter[str]:
    """Checks the sandbox's delivery log; returns how many SUCCESS answers each order got."""
    successes: Counter[str] = Counter()
    payments: Counter[str] = Counter()
    probes: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    probe_outcomes: Counter[str] = Counter()
    retried = failed_answers = most_attempts = 0
    for delivery in found.deliveries:
        if delivery.kind == "refund":
            continue
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


def _check_orders(
    expected: Expected, found: Evidence, refunds: dict[str, list[WeChatRefund]], verdict: Verdict
) -> None:
    for order_id, fee in expected.fees.items():
        row = found.orders.get(order_id)
        if row is None:
            verdict.violate("order_missing", order_id)
            continue
        paid = order_id in expected.paid
        succeeded = [r for r in refunds.get(order_id, []) if r.status == "SUCCESS"]
        refunded = sum(r.refund_fee for r in succeeded)
        want = ("PAID", 2) if paid else ("PENDING", 1)
        if paid and succeeded:
            status = "REFUNDED" if refunded >= fee else "PARTIALLY_REFUNDED"
            want = (status, 2 + len(succeeded))
        if (row.status, row.version) != want:
            verdict.violate("wrong_status", f"{order_id}: {row.status} v{row.version}, want {want}")
        if row.total_fee != fee or row.anomaly is not None:
            verdict.violate("wrong_amount_or_anomaly", f"{order_id}: {row}")
        if paid != bool(row.transaction_id):
            verdict.violate("wrong_transaction", f"{order_id}: {row.transaction_id!r}")
        if row.refunded_fee != refunded:
            verdict.violate(
                "refunded_fee_disagrees_with_wechat",
                f"{order_id}: {row.refunded_fee} fen here, {refunded} fen of SUCCESS refunds at "
                "WeChat",
            )
        if refunded > fee or row.refunded_fee > fee:
            verdict.violate("refunded_above_total", f"{order_id}: {refunded} of {fee} fen")
    for order_id in set(found.orders) - set(expected.fees):
        verdict.violate("unexpected_order", order_id)
    by_status = Counter(row.status for row in found.orders.values())
    verdict.counts.update({f"orders {status}": n for status, n in sorted(by_status.items())})


def _check_events(
    expected: Expected, found: Evidence, refunds: dict[str, list[WeChatRefund]], verdict: Verdict
) -> None:
    distinct = {e.event_id: e for e in found.events}
    per_order: defaultdict[str, list[str]] = defaultdict(list)
    per_refund: defaultdict[str, list[Event]] = defaultdict(list)
    for event in distinct.values():
        if event.kind == "refunded" and event.order_id in expected.paid:
            per_refund[event.out_refund_no].append(event)
            continue
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
    _check_refund_events(expected, found, refunds, per_refund, verdict)
    verdict.counts.update(
        {
            "order.events records": len(found.events),
            "order.events distinct event ids": len(distinct),
            "order.events redelivered (same event id, at least once)": len(found.events)
            - len(distinct),
            "OrderRefunded events (distinct)": sum(len(e) for e in per_refund.values()),
        }
    )


def _check_refund_events(
    expected: Expected,
    found: Evidence,
    refunds: dict[str, list[WeChatRefund]],
    per_refund: dict[str, list[Event]],
    verdict: Verdict,
) -> None:
    """Exactly one OrderRefunded per SUCCESS refund at WeChat, none for any other; each with
    the refund's amount; the order's last one with its refunded total."""
    succeeded = {r.out_refund_no: r for rs in refunds.values() for r in rs if r.status == "SUCCESS"}
    for number in set(per_refund) - set(succeeded):
        verdict.violate("refund_event_without_refund", f"{number}: {per_refund[number]}")
    for number, refund in succeeded.items():
        events = per_refund.get(number, [])
        if not events:
            verdict.violate("order_refunded_event_lost", f"{refund.out_trade_no} {number}")
            continue
        if len(events) > 1:
            verdict.violate("order_refunded_event_doubled", f"{number}: {events}")
        event = events[0]
        if event.order_id != refund.out_trade_no or event.refund_fee != refund.refund_fee:
            verdict.violate("refund_event_disagrees", f"{number}: {event} vs WeChat {refund}")
    for order_id in expected.paid:
        events = [
            e for rs in refunds.get(order_id, []) for e in per_refund.get(rs.out_refund_no, [])
        ]
        row = found.orders.get(order_id)
        if not events or row is None:
            continue
        last = max(events, key=lambda e: e.refunded_fee)
        if last.refunded_fee != row.refunded_fee or last.full != (
            row.refunded_fee >= row.total_fee
        ):
            verdict.violate("refund_event_disagrees", f"{order_id}: last {last}, order {row}")


def _check_kafka_holds_every_success(
    expected: Expected,
    found: Evidence,
    successes: Counter[str],
    refund_answers: Counter[str],
    verdict: Verdict,
) -> None:
    """Each SUCCESS answer was given after the broker acked one record: so an order has at
    least as many NOTIFY records on payment.observations as SUCCESS answers (and a refund as
    many refund records as SUCCESS answers to its refund notifies)."""
    records: Counter[str] = Counter()
    refund_records: Counter[str] = Counter()
    ids: defaultdict[str, set[str]] = defaultdict(set)
    for record in found.observations:
        if record.out_refund_no:
            if record.source != "NOTIFY" or record.refund_status != "SUCCESS":
                verdict.violate("unexpected_observation", _observed(record))
                continue
            refund_records[record.out_refund_no] += 1
            ids[f"{record.out_trade_no} {record.out_refund_no}"].add(record.observation_id)
            if record.out_refund_no not in expected.refunds:
                verdict.violate("observation_for_unasked_refund", _observed(record))
            continue
        cancelled = record.source == "CANCEL" and record.out_trade_no in expected.held
        if record.trade_state != "SUCCESS" or (record.source != "NOTIFY" and not cancelled):
            verdict.violate("unexpected_observation", _observed(record))
            continue
        records[record.out_trade_no] += record.source == "NOTIFY"
        ids[record.out_trade_no].add(record.observation_id)
        row = found.orders.get(record.out_trade_no)
        if row is not None and row.transaction_id not in (None, record.transaction_id):
            verdict.violate("observation_disagrees_with_order", _observed(record))
        if record.out_trade_no not in expected.paid:
            verdict.violate("observation_for_unpaid_order", record.out_trade_no)
    for order_id, answered in successes.items():
        if records[order_id] < answered:
            verdict.violate(
                "success_answer_not_in_kafka",
                f"{order_id}: {answered} SUCCESS answers, {records[order_id]} records",
            )
    for number, answered in refund_answers.items():
        if refund_records[number] < answered:
            verdict.violate(
                "success_answer_not_in_kafka",
                f"refund {number}: {answered} SUCCESS answers, {refund_records[number]} records",
            )
    for fact, distinct in ids.items():
        if len(distinct) != 1:
            verdict.violate("unstable_observation_id", f"{fact}: {sorted(distinct)}")
    if found.undecodable_observations:
        verdict.violate("undecodable_observation", f"{found.undecodable_observations} records")
    verdict.counts.update(
        {
            "SUCCESS answers": sum(successes.values()),
            "payment.observations records": len(found.observations),
            "payment.observations distinct observation ids": len(
                {r.observation_id for r in found.observations}
            ),
            "  of them refunds: records": sum(refund_records.values()),
            "  of them refunds: distinct observation ids": len(
                {r.observation_id for r in found.observations if r.out_refund_no}
            ),
        }
    )


def _check_inbox(
    expected: Expected, found: Evidence, refunds: dict[str, list[WeChatRefund]], verdict: Verdict
) -> None:
    applied: Counter[str] = Counter()
    for order_id, outcome in found.inbox:
        if outcome == "APPLIED":
            applied[order_id] += 1
        else:
            verdict.violate("unexpected_inbox_outcome", f"{order_id}: {outcome}")
    for order_id in expected.fees:
        want = 1 if order_id in expected.paid else 0
        want += sum(r.status == "SUCCESS" for r in refunds.get(order_id, [])) if want else 0
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
