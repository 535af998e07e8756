"""Generated protobuf code is never edited by hand and never drifts from protos/."""

from __future__ import annotations

from pathlib import Path

from devstack import protogen


def test_generated_code_matches_the_proto_files(tmp_path: Path) -> None:
    protogen.generate(tmp_path)
    fresh = protogen.generated_files(tmp_path)
    committed = protogen.generated_files(protogen.ROOT)
    assert sorted(fresh) == sorted(committed), "run ./dev proto: generated files differ"
    drifted = [name for name in fresh if fresh[name] != committed[name]]
    assert drifted == [], f"run ./dev proto: {drifted} differ from protos/"


def test_every_contract_named_in_the_architecture_exists() -> None:
    from paystream.events.v1 import events_pb2
    from paystream.order.v1 import order_pb2
    from paystream.payment.v1 import payment_pb2

    payment = payment_pb2.DESCRIPTOR.services_by_name["PaymentService"]
    assert [m.name for m in payment.methods] == [
        "CreateNative",
        "QueryStatus",
        "CloseOrder",
        "Refund",
        "QueryRefund",
        "DownloadTradeBill",
    ]
    order = order_pb2.DESCRIPTOR.services_by_name["OrderService"]
    assert [m.name for m in order.methods] == [
        "CreateOrder",
        "GetOrder",
        "CancelOrder",
        "RefundOrder",
    ]
    assert events_pb2.PaymentObserved.DESCRIPTOR.full_name == "paystream.events.v1.PaymentObserved"
    kinds = events_pb2.OrderEvent.DESCRIPTOR.oneofs_by_name["kind"].fields
    assert [f.name for f in kinds] == ["paid", "closed", "refunded", "anomaly"]
