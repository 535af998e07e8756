"""`python -m sandbox`: the WeChat Pay sandbox (HTTP 127.0.0.1:8090, HTTPS 127.0.0.1:8091, a
client certificate needed on /secapi/ only). The composition root: settings, TLS files, one
notify client, the sandbox, two listeners."""

from __future__ import annotations

import ssl

import structlog
import uvloop

from payment.wechatpay.http import AiohttpPoster
from runtime import logs
from runtime.settings import load
from sandbox.app import plain_app, tls_app
from sandbox.certificates import ensure_tls_files
from sandbox.client_certificates import ClientCertificates
from sandbox.clock import SandboxClock
from sandbox.notifier import Notifier
from sandbox.server import Listeners
from sandbox.service import Sandbox
from sandbox.settings import SandboxSettings
from sandbox.v3_keys import ensure_v3_files
from sandbox.v3_platform import load_v3
from sandbox.wire import Merchant

log = structlog.get_logger("sandbox")


async def run(settings: SandboxSettings) -> None:
    tls = ensure_tls_files(settings.state_dir, host=settings.host, mch_id=settings.mch_id)
    merchant = Merchant(settings.appid, settings.mch_id, settings.api_key.get_secret_value())
    v3 = load_v3(
        ensure_v3_files(settings.state_dir, mch_id=settings.mch_id),
        appid=settings.appid,
        mch_id=settings.mch_id,
        apiv3_key=settings.v3_api_key.get_secret_value(),
        mode=settings.v3_key_mode,
    )
    in_flight = settings.notify_concurrency
    clock = SandboxClock()
    notify_http = AiohttpPoster(
        ssl.create_default_context(),
        max_connections=in_flight,
        user_agent="paystream-sandbox-notifier/1",
    )
    try:
        notifier = Notifier(
            notify_http,
            clock=clock,
            time_scale=settings.notify_time_scale,
            concurrency=in_flight,
        )
        sandbox = Sandbox(
            merchant,
            notifier,
            clock,
            refund_delay_seconds=settings.refund_delay_seconds,
            refund_notify_url=settings.refund_notify_url,
            v3=v3,
        )
        listeners: Listeners | None = None
        client_certificates = ClientCertificates()

        def ready() -> bool:
            return listeners is not None and listeners.ready()

        listeners = Listeners(
            plain_app(sandbox, ready),
            tls_app(sandbox, client_certificates),
            host=settings.host,
            port=settings.port,
            tls_port=settings.tls_port,
            tls=tls,
            client_certificates=client_certificates,
        )
        log.info(
            "sandbox_starting",
            http=f"http://{settings.host}:{settings.port}",
            https=f"https://{settings.host}:{settings.tls_port}",
            state_dir=str(settings.state_dir),
            appid=settings.appid,
            mch_id=settings.mch_id,
            notify_time_scale=settings.notify_time_scale,
            v3_key_mode=settings.v3_key_mode.value,
            v3_public_key_id=v3.platform.public_key.serial,
            v3_certificate_serial=v3.platform.current_certificate.serial,
        )
        try:
            await listeners.serve()
        finally:
            await notifier.cancel_all()
    finally:
        await notify_http.aclose()
    log.info("sandbox_stopped")


def main() -> int:
    settings = load(SandboxSettings, "sandbox")
    logs.configure("sandbox", settings.log_level)
    logs.register_secret(settings.api_key.get_secret_value())
    logs.register_secret(settings.v3_api_key.get_secret_value())
    uvloop.run(run(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
