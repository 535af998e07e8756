"""The short fault run (`./dev chaos`, RELIABILITY.md): a whole paystream on private servers
pays 2,000 orders while the broker is killed and restarted, PostgreSQL crashes and restarts,
Redis restarts empty, the gateway restarts, the worker is SIGKILLed three times and WeChat's API
fails for a while; meanwhile one paid order in eight is refunded (in part, in full, in two
concurrent halves, once too many) through OrderService.RefundOrder, some before their payment
notify is delivered. Every order ends right, with exactly one OrderPaid event per paid order and
one OrderRefunded per SUCCESS refund, its refunded total WeChat's, every SUCCESS answer in Kafka
and every FAIL answer retried until SUCCESS."""

from __future__ import annotations

import pytest

from devstack.chaos import ChaosPlan, run_chaos


@pytest.mark.timeout(600)
@pytest.mark.parametrize("api_version", ["v2", "v3"])
def test_two_thousand_orders_under_every_fault_end_right_with_one_event_each(
    api_version: str, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = ChaosPlan(
        orders=2000, pay_rate=40.0, chunk=20, settle_timeout=300.0, api_version=api_version
    )
    report = run_chaos(plan)
    with capsys.disabled():
        print("\n" + report.text())
    counts = report.verdict.counts
    assert report.ok, report.text()
    assert [f.name for f in report.faults] == [name for _, name in plan.faults]
    paid = ("orders PAID", "orders PARTIALLY_REFUNDED", "orders REFUNDED")
    assert sum(counts[status] for status in paid) == 1900
    assert counts["orders PENDING"] == 100
    # examples/stock consumed order.events through the faults: start minus paid, exactly
    assert counts["stock: units on hand at the end"] == counts["stock: units at the start"] - 1900
    assert counts["orders refunded (RefundOrder)"] == 1900 // plan.refund_every
    assert counts["orders PARTIALLY_REFUNDED"] > 0
    assert counts["orders REFUNDED"] > 0
    assert counts["  refused (above the total)"] > 0
    assert counts["order.events distinct event ids"] == 1900 + counts["refunds SUCCESS at WeChat"]
    assert counts["orders whose refund notifies all came before their payment notify"] > 0
    assert counts["notify deliveries (probe)"] > 0
    assert counts["extra copies of a notify (duplicates)"] > 0
    assert counts["non-SUCCESS answers to real notifies (each retried)"] > 0, (
        "the faults should have made the gateway answer something other than SUCCESS"
    )
