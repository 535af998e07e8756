"""The one place where errors become gRPC statuses (google.rpc.Status with details)."""

from __future__ import annotations

from typing import Any, NoReturn

import grpc
import psycopg
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from psycopg_pool import PoolTimeout

from order.domain import (
    InvalidRequestError,
    OrderConflictError,
    OrderError,
    OrderNotFoundError,
    PaymentUnavailableError,
    RefundConflictError,
    RefundNotAllowedError,
)
from runtime.kafka import ProduceError
from runtime.logs import get_logger

log = get_logger(__name__)

HANDLED_ERRORS = (OrderError, ProduceError, psycopg.OperationalError, PoolTimeout)


def status_for(error: BaseException) -> status_pb2.Status:
    code = grpc.StatusCode.INTERNAL
    message = str(error)
    details: list[Any] = []
    match error:
        case InvalidRequestError():
            code = grpc.StatusCode.INVALID_ARGUMENT
            details.append(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=v.field, description=v.description
                        )
                        for v in error.violations
                    ]
                )
            )
        case OrderNotFoundError():
            code = grpc.StatusCode.NOT_FOUND
        case OrderConflictError() | RefundConflictError():
            code = grpc.StatusCode.ALREADY_EXISTS
        case RefundNotAllowedError():
            code = grpc.StatusCode.FAILED_PRECONDITION
        case PaymentUnavailableError():
            code = (
                grpc.StatusCode.UNAVAILABLE
                if error.retryable
                else grpc.StatusCode.FAILED_PRECONDITION
            )
        case ProduceError():
            code = grpc.StatusCode.UNAVAILABLE
            message = f"the outcome could not be reported to Kafka; call again: {error}"
        case psycopg.OperationalError() | PoolTimeout():
            code = grpc.StatusCode.UNAVAILABLE
            message = "the order database is unavailable; call again"
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    return status_pb2.Status(code=code.value[0], message=message, details=packed)


async def abort(context: grpc.aio.ServicerContext[Any, Any], error: BaseException) -> NoReturn:
    status = status_for(error)
    if status.code == grpc.StatusCode.UNAVAILABLE.value[0]:
        log.warning("call failed", error=repr(error))
    rich = rpc_status.to_status(status)
    await context.abort(rich.code, rich.details, rich.trailing_metadata)
