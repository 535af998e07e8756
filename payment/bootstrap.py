"""The payment service's composition root: settings → WeChat Pay client → servicer → server.

``WECHATPAY_API_VERSION`` picks the client: v2 (:class:`WeChatPayV2Client`) or v3
(:class:`WeChatPayV3Client`, with its platform certificates kept fresh in the background when
it uses them). Both serve the same port, so the servicer never knows which one it has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from payment.service import metrics
from payment.service.operations import PaymentOperations
from payment.service.ports import WeChatPay
from payment.service.servicer import PaymentServicer
from payment.settings import ApiVersion, PaymentSettings
from payment.wechatpay import (
    ConfigurationError,
    WeChatPayConfig,
    WeChatPayV2Client,
    build_poster,
)
from payment.wechatpay_v3 import WeChatPayV3Client, WeChatPayV3Config
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc
from runtime.grpc_server import GrpcServer
from runtime.grpc_tls import server_tls

SERVICE_NAME = payment_pb2.DESCRIPTOR.services_by_name["PaymentService"].full_name
MONEY_MOVING = ("Refund", "CloseOrder")
"""Logged with their caller on each admitted call (mutual TLS)."""


def wechat_config(settings: PaymentSettings) -> WeChatPayConfig:
    """Raises payment.wechatpay.ConfigurationError when the settings do not fit together."""
    if settings.wechatpay_api_key is None:
        raise ConfigurationError("CONFIGURATION", "WECHATPAY_API_KEY is not set")
    return WeChatPayConfig(
        appid=settings.wechatpay_appid,
        mch_id=settings.wechatpay_mch_id,
        api_key=settings.wechatpay_api_key,
        notify_url=settings.wechatpay_notify_url,
        refund_notify_url=settings.wechatpay_refund_notify_url,
        base_url=settings.wechatpay_base_url,
        sign_type=settings.wechatpay_sign_type,
        spbill_create_ip=settings.wechatpay_spbill_create_ip,
        connect_timeout=settings.wechatpay_connect_timeout_seconds,
        read_timeout=settings.wechatpay_read_timeout_seconds,
        client_cert_path=settings.wechatpay_client_cert,
        client_key_path=settings.wechatpay_client_key,
        ca_bundle_path=settings.wechatpay_ca_bundle,
    )


def wechat_v3_config(settings: PaymentSettings) -> WeChatPayV3Config:
    """Loads the v3 key files; raises ConfigurationError when one is not a usable key."""
    return WeChatPayV3Config(
        appid=settings.wechatpay_appid,
        merchant=settings.v3_merchant(settings.wechatpay_mch_id),
        trust=settings.v3_trust(),
        notify_url=settings.wechatpay_notify_url,
        refund_notify_url=settings.wechatpay_refund_notify_url,
        base_url=settings.wechatpay_base_url,
        connect_timeout=settings.wechatpay_connect_timeout_seconds,
        read_timeout=settings.wechatpay_read_timeout_seconds,
        ca_bundle_path=settings.wechatpay_ca_bundle,
        client_cert_path=settings.wechatpay_client_cert,
        client_key_path=settings.wechatpay_client_key,
    )


def server_for(wechat: WeChatPay, settings: PaymentSettings) -> GrpcServer:
    servicer = PaymentServicer(PaymentOperations(wechat), settings.payment_default_deadline_seconds)
    return GrpcServer(
        lambda server: payment_pb2_grpc.add_PaymentServiceServicer_to_server(servicer, server),
        [SERVICE_NAME],
        f"{settings.payment_grpc_host}:{settings.payment_grpc_port}",
        tls=server_tls(settings, SERVICE_NAME, MONEY_MOVING),
        reflection=settings.grpc_reflection,
        health_address=settings.health_address(settings.payment_grpc_host),
    )


@asynccontextmanager
async def wechat_client(settings: PaymentSettings) -> AsyncIterator[WeChatPay]:
    """The client the settings ask for, on the one pooled HTTP client it owns."""
    if settings.wechatpay_api_version is ApiVersion.V3:
        v3_config = wechat_v3_config(settings)
        v3_poster = build_poster(v3_config)
        try:
            v3_client = WeChatPayV3Client(v3_config, v3_poster, observer=metrics.record)
            async with v3_client.running():
                yield v3_client
        finally:
            await v3_poster.aclose()
        return
    config = wechat_config(settings)
    poster = build_poster(config)
    try:
        yield WeChatPayV2Client(config, poster, observer=metrics.record)
    finally:
        await poster.aclose()


@asynccontextmanager
async def build(settings: PaymentSettings) -> AsyncIterator[GrpcServer]:
    """The whole process graph."""
    async with wechat_client(settings) as client:
        yield server_for(client, settings)
