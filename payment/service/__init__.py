"""The gRPC PaymentService: translation in the servicer, logic in plain functions."""

__all__: list[str] = []
