"""The fault run's refund plan: every planned refund fits the order (so a refusal of one is a
violation), the one meant to be refused does not, and the plan has partial and full refunds,
concurrent halves and held payment notifies."""

from __future__ import annotations

from collections import Counter

from devstack.chaos.plan import ChaosPlan


def test_planned_refunds_fit_and_the_extra_one_exceeds_what_is_left() -> None:
    plan = ChaosPlan()
    kinds: Counter[str] = Counter()
    for position in range(4000):
        fee = position % 37 + 1 if position < 2000 else 99_999 - position
        refunds = plan.refunds_of(position, fee)
        if refunds is None:
            continue
        assert all(amount >= 1 for amount in refunds.amounts)
        assert sum(refunds.amounts) <= fee
        if refunds.above_total:
            assert sum(refunds.amounts) == fee, "the extra refund comes after a full one"
        kinds["full" if sum(refunds.amounts) == fee else "partial"] += 1
        kinds["concurrent"] += len(refunds.amounts) > 1
        kinds["above"] += refunds.above_total > 0
        kinds["held"] += refunds.hold_payment_notify
    assert sum(1 for p in range(4000) if plan.refunds_of(p, 100)) == 4000 // plan.refund_every
    assert min(kinds.values()) > 0, kinds
