"""wechatpy 1.8.18 (v2) against the sandbox: run by tests/sdk/test_wechatpy.py in the SDK's own
venv under .stack/sdk, so it imports nothing of this project. Reads a config on stdin, prints
what the SDK observed in every flow (or its error) as one JSON object.

The SDK is used as it is, pointed at the sandbox by a subclass with the sandbox's HTTPS
``API_BASE_URL`` (its requests session trusts the sandbox CA through ``REQUESTS_CA_BUNDLE``),
with the merchant certificate for mutual TLS. ``check_signature`` is asked of every answer,
``parse_payment_result`` and ``parse_refund_notify_result`` of every notify.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.request import Request, urlopen

from wechatpy.pay import WeChatPay

Observed = dict[str, Any]
TOTAL, REFUND = 101, 40
SUCCESS = b"<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>"


class Receiver:
    """The merchant's notify_url: refund notifies (``req_info``) through
    ``parse_refund_notify_result``, payment notifies through ``parse_payment_result``."""

    def __init__(self, pay: WeChatPay) -> None:
        self.received: queue.Queue[Observed] = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                seen: Observed = {}
                try:
                    if b"<req_info>" in body:
                        seen["refund"] = pay.parse_refund_notify_result(body)
                    else:
                        seen["payment"] = pay.parse_payment_result(body)
                except Exception as error:  # the SDK raises on a bad signature
                    seen["refused"] = repr(error)
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.end_headers()
                self.wfile.write(SUCCESS)
                receiver.received.put(seen)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, kind: str, field: str, value: str) -> Observed:
        give_up = time.monotonic() + 15
        while True:
            seen = self.received.get(timeout=max(0.01, give_up - time.monotonic()))
            if "refused" in seen:
                raise RuntimeError(f"the SDK refused a notify: {seen['refused']}")
            if kind in seen and seen[kind].get(field) == value:
                parsed: Observed = seen[kind]
                return parsed


class Run:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.results: dict[str, Observed] = {}
        self.count = 0

        class SandboxPay(WeChatPay):  # type: ignore[misc]
            API_BASE_URL = config["api"] + "/"

        def client(**certificate: str) -> WeChatPay:
            return SandboxPay(
                appid=config["appid"],
                api_key=config["api_key"],
                mch_id=config["mchid"],
                timeout=10,
                **certificate,
            )

        self.pay = client(mch_cert=config["client_cert"], mch_key=config["client_key"])
        self.without_certificate = client()
        self.receiver = Receiver(self.pay)

    def control(self, path: str, body: Any) -> Any:
        request = Request(  # noqa: S310 - the sandbox's own URL
            self.config["control"] + path, data=json.dumps(body).encode(), method="POST"
        )
        request.add_header("Content-Type", "application/json")
        with urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())

    def checked(self, answer: Observed) -> Observed:
        """The answer with the verdict of the SDK's check_signature on it."""
        return {"answer": answer, "signature_valid": self.pay.check_signature(answer)}

    def flow(self, name: str, body: Callable[[], Observed]) -> None:
        try:
            self.results[name] = body()
        except Exception as error:  # every failure is the flow's result
            self.results[name] = {"error": repr(error)}

    def out_trade_no(self, tag: str) -> str:
        self.count += 1
        return f"WP{tag}{time.time_ns() % 1_000_000_000}{self.count}"

    def create(self, out_trade_no: str) -> Observed:
        return self.checked(
            self.pay.order.create(
                trade_type="NATIVE",
                body="wechatpy 一致性",
                total_fee=TOTAL,
                notify_url=self.receiver.url,
                client_ip="127.0.0.1",
                out_trade_no=out_trade_no,
                product_id=out_trade_no,
            )
        )

    def flows(self) -> None:
        out_trade_no = self.out_trade_no("V2")
        out_refund_no = "R" + out_trade_no

        def notified() -> Observed:
            self.control("/sandbox/pay", {"out_trade_no": out_trade_no})
            return self.receiver.next("payment", "out_trade_no", out_trade_no)

        def refund(pay: WeChatPay, number: str) -> Observed:
            return self.checked(
                pay.refund.apply(
                    total_fee=TOTAL,
                    refund_fee=REFUND,
                    out_refund_no=number,
                    out_trade_no=out_trade_no,
                    notify_url=self.receiver.url,
                )
            )

        def close() -> Observed:
            closing = self.out_trade_no("CL")
            self.create(closing)
            closed = self.checked(self.pay.order.close(closing))
            return closed | {"after": self.checked(self.pay.order.query(out_trade_no=closing))}

        def query() -> Observed:
            return self.checked(self.pay.order.query(out_trade_no=out_trade_no))

        self.flow("create", lambda: {"out_trade_no": out_trade_no} | self.create(out_trade_no))
        self.flow("query_unpaid", query)
        self.flow("payment_notify", notified)
        self.flow("query_paid", query)
        self.flow("refund_without_certificate", lambda: refund(self.without_certificate, "X"))
        self.flow("refund", lambda: refund(self.pay, out_refund_no))
        self.flow(
            "refund_notify",
            lambda: self.receiver.next("refund", "out_refund_no", out_refund_no),
        )
        self.flow(
            "refund_query",
            lambda: self.checked(self.pay.refund.query(out_refund_no=out_refund_no)),
        )
        self.flow("close", close)


def main() -> None:
    run = Run(json.load(sys.stdin))
    run.flows()
    json.dump(run.results, sys.stdout, default=str)


if __name__ == "__main__":
    main()
