"""Notify intake: verified notifies/s through the gateway (one uvicorn worker), each answered
only after Kafka's ack, against two baselines run in the same script:
(a) a bare Starlette endpoint answering the same XML, (b) an endpoint that produces the raw body
to the same topic and awaits the ack, with no parsing or verification.

`python -m bench.notify_intake [--quick] [--runs N] [--seconds S]`
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import time
from dataclasses import asdict
from pathlib import Path

from confluent_kafka.admin import AdminClient, NewTopic

from bench import procs, wrk
from devstack.stack import KAFKA
from payment.wechatpay import xml_codec
from payment.wechatpay.signing import SignType, sign

APPID = "wxbe0c0ffee0000001"
MCH_ID = "1900054321"
API_KEY = "benchNotifyKey0123456789abcdefAB"
TOPIC = "bench.observations"
PATH = "/wechatpay/v2/notify"


def notify_body() -> bytes:
    fields = {
        "return_code": "SUCCESS",
        "appid": APPID,
        "mch_id": MCH_ID,
        "nonce_str": secrets.token_hex(16),
        "result_code": "SUCCESS",
        "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        "is_subscribe": "N",
        "trade_type": "NATIVE",
        "bank_type": "OTHERS",
        "total_fee": "100",
        "cash_fee": "100",
        "fee_type": "CNY",
        "transaction_id": "4200001234202611270000000001",
        "out_trade_no": "bench-order-0001",
        "time_end": "20261127200102",
        "sign_type": "MD5",
    }
    fields["sign"] = sign(fields, API_KEY, SignType.MD5)
    return xml_codec.encode(fields)


def ensure_topic(bootstrap: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if TOPIC not in admin.list_topics(timeout=10).topics:
        admin.create_topics([NewTopic(TOPIC, num_partitions=6, replication_factor=1)])[
            TOPIC
        ].result()


def targets(bootstrap: str, port: int) -> dict[str, tuple[list[str], dict[str, str]]]:
    return {
        "bare": (["-m", "bench.baselines.bare_endpoint", str(port)], {}),
        "raw_produce": (["-m", "bench.baselines.raw_produce", str(port), bootstrap, TOPIC], {}),
        "gateway": (
            ["-m", "callback_gateway"],
            {
                "WECHATPAY_APPID": APPID,
                "WECHATPAY_MCH_ID": MCH_ID,
                "WECHATPAY_API_KEY": API_KEY,
                "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "KAFKA_TOPIC_OBSERVATIONS": TOPIC,
                "GATEWAY_PORT": str(port),
            },
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=18080)
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    bootstrap = KAFKA.bootstrap
    ensure_topic(bootstrap)
    body = notify_body()
    url = f"http://127.0.0.1:{args.port}{PATH}"
    results: dict[str, dict[int, list[dict[str, float]]]] = {}
    for run in range(args.runs):
        for name, (argv, env) in targets(bootstrap, args.port).items():
            with procs.server(argv, env, url, body) as server:
                for connections in (8, 32):
                    wrk.run(url, body, connections, 1.0)  # warm-up
                    cpu_before = procs.cpu_seconds(server.pid)
                    result = wrk.run(url, body, connections, seconds)
                    server_cpu = procs.cpu_seconds(server.pid) - cpu_before
                    row = {
                        **asdict(result),
                        "server_cpu_seconds": server_cpu,
                        "peak_rss_mb": procs.peak_rss_mb(server.pid),
                    }
                    results.setdefault(name, {}).setdefault(connections, []).append(row)
                    print(
                        f"run {run + 1} {name:<12} c{connections:<3} "
                        f"{result.requests_per_second:>8.0f}/s p50 {result.p50_ms:.2f} ms "
                        f"p99 {result.p99_ms:.2f} ms non2xx {result.non_2xx} "
                        f"server cpu {server_cpu / seconds:.2f} wrk cpu "
                        f"{result.cpu_seconds / seconds:.2f}",
                        flush=True,
                    )
    summary = summarise(results)
    out = Path(__file__).parent / "results" / "notify_intake.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "seconds": seconds,
                "runs": results,
                "summary": summary,
            },
            indent=2,
        )
    )
    for line in summary:
        print(line)


def summarise(results: dict[str, dict[int, list[dict[str, float]]]]) -> list[str]:
    lines = []
    for connections in (8, 32):

        def median(name: str, key: str, c: int = connections) -> float:
            return statistics.median(r[key] for r in results[name][c])

        def spread(name: str, key: str, c: int = connections) -> str:
            values = [r[key] for r in results[name][c]]
            return f"{min(values):.0f}–{max(values):.0f}"

        gw, bare, raw = (
            median(n, "requests_per_second") for n in ("gateway", "bare", "raw_produce")
        )
        lines.append(
            f"c{connections}: gateway {gw:.0f}/s ({spread('gateway', 'requests_per_second')}) "
            f"p50 {median('gateway', 'p50_ms'):.2f} ms p99 {median('gateway', 'p99_ms'):.2f} ms"
            f" | bare {bare:.0f}/s | raw produce {raw:.0f}/s | gateway/raw {gw / raw:.2f}"
            f" | gateway/bare {gw / bare:.2f}"
        )
    return lines


if __name__ == "__main__":
    main()
