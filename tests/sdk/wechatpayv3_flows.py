"""wechatpayv3 2.0.4 against the sandbox: run by tests/sdk/test_wechatpayv3.py in the SDK's own
venv under .stack/sdk (never the product's), so it imports nothing of this project. Reads a
config on stdin, prints what the SDK observed in every flow (or its error) as one JSON object.

The SDK is used as it is; only its fixed gateway is replaced, by a ``Core`` subclass whose
``_gate_way`` is the sandbox's HTTPS address (requests trusts the sandbox CA through
``REQUESTS_CA_BUNDLE``). Every answer goes through its own ``_verify_signature`` (it raises
on a bad one) and every notify through its ``callback``.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import wechatpayv3.core
from wechatpayv3 import WeChatPay, WeChatPayType

Observed = dict[str, Any]
TOTAL, REFUND = 101, 40


class Receiver:
    """The merchant's notify_url: each POST goes through the current SDK's ``callback``."""

    def __init__(self) -> None:
        self.pay: WeChatPay | None = None
        self.received: queue.Queue[Observed] = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                assert receiver.pay is not None
                try:
                    result = receiver.pay.callback(self.headers, body)
                except Exception as error:  # the SDK raises on an unsupported notify
                    result, refused = None, repr(error)
                else:
                    refused = "" if result else "callback() returned None"
                self.send_response(400 if refused else 204)
                self.end_headers()
                receiver.received.put(
                    {"serial": self.headers.get("Wechatpay-Serial"), "refused": refused}
                    | ({"notify": result} if result else {})
                )

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, field: str, value: str) -> Observed:
        give_up = time.monotonic() + 15
        while True:
            seen = self.received.get(timeout=max(0.01, give_up - time.monotonic()))
            if seen["refused"]:
                raise RuntimeError(f"callback refused a notify: {seen}")
            if seen["notify"]["resource"].get(field) == value:
                return seen


class Run:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.receiver = Receiver()
        self.results: dict[str, Observed] = {}
        self.count = 0
        gateway = config["api"]

        class SandboxCore(wechatpayv3.core.Core):  # type: ignore[misc]
            @property
            def _gate_way(self) -> str:
                return str(gateway)

            @_gate_way.setter
            def _gate_way(self, _: str) -> None:
                return

        wechatpayv3.core.Core = SandboxCore

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = Request(self.config["control"] + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        with urlopen(request, timeout=10) as response:  # noqa: S310 - the sandbox's own URL
            return json.loads(response.read())

    def client(self, *, public_key: bool) -> WeChatPay:
        c = self.config
        keys: dict[str, Any] = {}
        if public_key:
            keys = {
                "public_key": Path(c["public_key"]).read_text(),
                "public_key_id": c["public_key_id"],
            }
        return WeChatPay(
            wechatpay_type=WeChatPayType.NATIVE,
            mchid=c["mchid"],
            private_key=Path(c["merchant_key"]).read_text(),
            cert_serial_no=c["merchant_serial"],
            appid=c["appid"],
            apiv3_key=c["apiv3_key"],
            notify_url=self.receiver.url,
            timeout=(5, 10),
            **keys,
        )

    def flow(self, name: str, body: Callable[[], Observed]) -> None:
        try:
            self.results[name] = body()
        except Exception as error:  # every failure is the flow's result
            self.results[name] = {"error": repr(error)}

    def out_trade_no(self, tag: str) -> str:
        self.count += 1
        return f"PY{tag}{time.time_ns() % 1_000_000_000}{self.count}"

    @staticmethod
    def answer(code: int, message: Any) -> Observed:
        return {"status": code, "body": json.loads(message) if message else None}

    def order(self, pay: WeChatPay, out_trade_no: str) -> Observed:
        code, message = pay.pay(
            description="wechatpayv3 一致性", out_trade_no=out_trade_no, amount={"total": TOTAL}
        )
        return self.answer(code, message)

    def pay_and_await(self, out_trade_no: str) -> Observed:
        self.control("POST", "/sandbox/pay", {"out_trade_no": out_trade_no})
        return self.receiver.next("out_trade_no", out_trade_no)

    def mode(self, key_mode: str) -> Observed:
        described: Observed = self.control("PUT", "/sandbox/v3", {"key_mode": key_mode})
        return described

    def api_flows(self, tag: str, *, public_key: bool) -> None:
        """Every API and both notifies, with one key mode."""
        self.results[f"{tag}_platform"] = self.mode("public_key" if public_key else "certificate")
        pay = self.client(public_key=public_key)
        self.receiver.pay = pay
        out_trade_no = self.out_trade_no(tag)
        out_refund_no = "R" + out_trade_no
        paid: Observed = {}

        def prepay() -> Observed:
            return {"out_trade_no": out_trade_no} | self.order(pay, out_trade_no)

        def notified() -> Observed:
            paid.update(self.pay_and_await(out_trade_no))
            return paid

        def by_id() -> Observed:
            transaction_id = paid["notify"]["resource"]["transaction_id"]
            return self.answer(*pay.query(transaction_id=transaction_id))

        def refund() -> Observed:
            return self.answer(
                *pay.refund(
                    out_refund_no=out_refund_no,
                    amount={"refund": REFUND, "total": TOTAL, "currency": "CNY"},
                    out_trade_no=out_trade_no,
                    notify_url=self.receiver.url,
                )
            )

        def close() -> Observed:
            closing = self.out_trade_no(tag + "CL")
            self.order(pay, closing)
            closed = self.answer(*pay.close(out_trade_no=closing))
            return closed | {"after": self.answer(*pay.query(out_trade_no=closing))}

        self.flow(f"{tag}_prepay", prepay)
        self.flow(f"{tag}_query_unpaid", lambda: self.answer(*pay.query(out_trade_no=out_trade_no)))
        self.flow(f"{tag}_payment_notify", notified)
        self.flow(
            f"{tag}_query_by_out_trade_no",
            lambda: self.answer(*pay.query(out_trade_no=out_trade_no)),
        )
        self.flow(f"{tag}_query_by_id", by_id)
        self.flow(f"{tag}_refund", refund)
        self.flow(
            f"{tag}_refund_notify", lambda: self.receiver.next("out_refund_no", out_refund_no)
        )
        self.flow(
            f"{tag}_refund_query",
            lambda: self.answer(*pay.query_refund(out_refund_no=out_refund_no)),
        )
        self.flow(f"{tag}_close", close)

    def rotation(self) -> Observed:
        """Certificate mode across publish, start-signing and retire: the SDK re-downloads
        when it meets a serial it does not hold."""
        self.mode("certificate")
        pay = self.client(public_key=False)
        self.receiver.pay = pay
        observed: Observed = {}
        for name, step in (
            ("published", "rotate"),
            ("signing", "start-signing"),
            ("retired", "retire"),
        ):
            described = self.control("POST", f"/sandbox/v3/certificates/{step}")
            out_trade_no = self.out_trade_no("RT")
            seen: Observed = {"signing": described["signing_certificate_serial"]}
            observed[name] = seen
            seen["prepay"] = self.order(pay, out_trade_no)
            seen["query"] = self.answer(*pay.query(out_trade_no=out_trade_no))
            seen["notify_serial"] = self.pay_and_await(out_trade_no)["serial"]
        return observed

    def switch(self) -> Observed:
        """The switch mode: a merchant holding the public key, notifies signed with either."""
        described = self.mode("both")
        pay = self.client(public_key=True)
        self.receiver.pay = pay
        serials = []
        for _ in range(4):
            out_trade_no = self.out_trade_no("SW")
            self.order(pay, out_trade_no)
            serials.append(self.pay_and_await(out_trade_no)["serial"])
        query = self.answer(*pay.query(out_trade_no=out_trade_no))
        return {
            "notify_serials": serials,
            "query": query,
            "signing": described["signing_certificate_serial"],
        }


def main() -> None:
    run = Run(json.load(sys.stdin))
    run.api_flows("pk", public_key=True)
    run.api_flows("cert", public_key=False)
    run.flow("rotation", run.rotation)
    run.flow("switch", run.switch)
    json.dump(run.results, sys.stdout)


if __name__ == "__main__":
    main()
