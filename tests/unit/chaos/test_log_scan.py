"""The log scan finds a leaked key, a leaked line of a private key and a signed payload, and
passes ordinary log lines."""

from __future__ import annotations

from pathlib import Path

from devstack.chaos import logscan

API_KEY = "d5yjNIsoczj1PKwK9EGxUJYvceGj7q2f"
PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
    "-----END PRIVATE KEY-----\n"
)


def _secrets(tmp_path: Path) -> logscan.Secrets:
    key = tmp_path / "apiclient_key.pem"
    key.write_text(PEM)
    secrets = logscan.Secrets()
    secrets.add_value("the v2 API key", API_KEY)
    secrets.add_pem("the client key", key)
    return secrets


def test_ordinary_lines_pass(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "gateway.log").write_text(
        '{"event": "notify", "outcome": "accepted", "out_trade_no": "order-1"}\n'
        '{"event": "notify_attempt", "reply_excerpt": "<xml><return_code><![CDATA[FAIL]]>'
        '</return_code><return_msg><![CDATA[the signature does not verify]]></return_msg>"}\n'
        '{"api_key": "[redacted]", "sign": "[redacted]", "sign_type": "HMAC-SHA256"}\n'
    )
    lines, findings = logscan.scan([logs], _secrets(tmp_path))
    assert (lines, findings) == (3, [])


def test_leaks_are_found_and_named_without_repeating_the_secret(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    leaked_pem_line = PEM.splitlines()[2]
    log.write_text(
        f'{{"url": "https://x/?key={API_KEY}"}}\n'
        f'{{"detail": "{leaked_pem_line}"}}\n'
        '{"body": "<xml><appid>wx1</appid><sign>9A0A8659F005D6984697E2CA0A9CF3B7</sign></xml>"}\n'
        '{"signing": "appid=wx1&nonce_str=abc&sign=9A0A8659F005D6984697E2CA0A9CF3B7"}\n'
    )
    lines, findings = logscan.scan([log], _secrets(tmp_path))
    assert lines == 4
    assert [(f.line, f.what) for f in findings] == [
        (1, "the v2 API key"),
        (2, "the client key (line 2)"),
        (3, "a signed payload"),
        (4, "a signed payload"),
    ]
    assert all(API_KEY not in f.what for f in findings)
