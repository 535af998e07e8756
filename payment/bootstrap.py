"""The payment service's composition root: settings → WeChat Pay client → servicer → server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from payment.service import metrics
from payment.service.operations import PaymentOperations
from payment.service.ports import WeChatPay
from payment.service.servicer import PaymentServicer
from payment.settings import PaymentSettings
from payment.wechatpay import WeChatPayConfig, WeChatPayV2Client, build_http_client
from paystream.payment.v1 import payment_pb2, payment_pb2_grpc
from runtime.grpc_server import GrpcServer

SERVICE_NAME = payment_pb2.DESCRIPTOR.services_by_name["PaymentService"].full_name


def wechat_config(settings: PaymentSettings) -> WeChatPayConfig:
    """Raises payment.wechatpay.ConfigurationError when the settings do not fit together."""
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


def server_for(wechat: WeChatPay, settings: PaymentSettings) -> GrpcServer:
    servicer = PaymentServicer(PaymentOperations(wechat), settings.payment_default_deadline_seconds)
    return GrpcServer(
        lambda server: payment_pb2_grpc.add_PaymentServiceServicer_to_server(servicer, server),
        [SERVICE_NAME],
        f"{settings.payment_grpc_host}:{settings.payment_grpc_port}",
    )


@asynccontextmanager
async def build(settings: PaymentSettings) -> AsyncIterator[GrpcServer]:
    """The whole process graph, with the one pooled HTTP client it owns."""
    config = wechat_config(settings)
    async with build_http_client(config) as http:
        client = WeChatPayV2Client(config, http, observer=metrics.record)
        yield server_for(client, settings)
