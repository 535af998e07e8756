"""The payment service: the WeChat Pay client library (payment.wechatpay) and PaymentService."""

__all__: list[str] = []
