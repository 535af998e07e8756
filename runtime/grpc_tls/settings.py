"""The mutual-TLS settings a process mixes into its own, checked at start (exit 78 naming the
variable): ``GRPC_TLS_CERT``, ``GRPC_TLS_KEY``, ``GRPC_TLS_CA`` (all three or none), and for a
server ``GRPC_AUTHZ`` (its authorization table, required with TLS) and ``GRPC_REFLECTION``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ModelWrapValidatorHandler, ValidationError, model_validator
from pydantic_core import InitErrorDetails
from pydantic_settings import BaseSettings

from runtime.grpc_tls.material import SPIFFE_ID, TlsConfigError, TlsFiles

ANYONE = "*"

TLS_FIELDS = ("grpc_tls_cert", "grpc_tls_key", "grpc_tls_ca")


def _errors(settings: type[BaseSettings], problems: Mapping[str, str | None]) -> ValidationError:
    """A ValidationError naming each field (None: "is not set"), as runtime.settings prints."""
    details = [
        InitErrorDetails(type="missing", loc=(name,), input=None)
        if message is None
        else InitErrorDetails(
            type="value_error", loc=(name,), input=None, ctx={"error": ValueError(message)}
        )
        for name, message in problems.items()
    ]
    return ValidationError.from_exception_data(settings.__name__, details)


class GrpcTlsSettings(BaseSettings):
    """The certificate a process serves and calls with (mix into its settings)."""

    grpc_tls_cert: Path | None = None
    grpc_tls_key: Path | None = None
    grpc_tls_ca: Path | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _tls_files_fit(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        settings = handler(data)
        given = {name: getattr(settings, name) for name in TLS_FIELDS}
        if any(given.values()):
            absent = {name: None for name, path in given.items() if path is None}
            if absent:
                raise _errors(cls, absent)
            files = settings.grpc_tls()
            try:
                files.load()
            except TlsConfigError as error:
                raise _errors(cls, {"grpc_tls_cert": str(error)}) from None
        return settings

    def grpc_tls(self) -> TlsFiles | None:
        if self.grpc_tls_cert is None or self.grpc_tls_key is None or self.grpc_tls_ca is None:
            return None
        return TlsFiles(self.grpc_tls_cert, self.grpc_tls_key, self.grpc_tls_ca)


class GrpcServerTlsSettings(GrpcTlsSettings):
    """A server's: its certificate, its authorization table, reflection on or off. Subclasses
    name the service's methods (``grpc_methods``) so that the table is checked at start."""

    grpc_methods: ClassVar[frozenset[str]] = frozenset()
    grpc_authz: str | None = None
    grpc_reflection: bool = True
    grpc_health_port: int = Field(default=0, ge=0, le=65535)
    """A plaintext port that serves only grpc.health.v1, for the kubelet's gRPC probes (which
    speak no TLS); 0: none."""

    @model_validator(mode="wrap")
    @classmethod
    def _table_fits(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        settings = handler(data)
        tls, raw = settings.grpc_tls(), settings.grpc_authz
        if tls is not None and raw is None:
            raise _errors(cls, {"grpc_authz": None})
        if raw is not None:
            problem = "needs GRPC_TLS_CERT, GRPC_TLS_KEY and GRPC_TLS_CA" if tls is None else None
            try:
                parse_table(raw, cls.grpc_methods)
            except ValueError as error:
                problem = str(error)
            if problem:
                raise _errors(cls, {"grpc_authz": problem})
        return settings

    def health_address(self, host: str) -> str | None:
        return f"{host}:{self.grpc_health_port}" if self.grpc_health_port else None

    def authz_table(self) -> dict[str, frozenset[str]] | None:
        """Who may call each method (None: plaintext, no table)."""
        if self.grpc_authz is None:
            return None
        return parse_table(self.grpc_authz, self.grpc_methods)


def parse_table(raw: str, methods: frozenset[str]) -> dict[str, frozenset[str]]:
    """``{"Method": ["spiffe://…", "*"], …}`` naming every method: ValueError otherwise."""
    try:
        table = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON: {error}") from None
    if not isinstance(table, dict):
        raise ValueError('must be a JSON object {"Method": ["spiffe://…"], …}')
    unknown, absent = sorted(set(table) - methods), sorted(methods - set(table))
    if unknown or absent:
        raise ValueError(
            f"must name exactly the methods {sorted(methods)}"
            + (f"; unknown {unknown}" if unknown else "")
            + (f"; missing {absent}" if absent else "")
        )
    parsed = {}
    for method, callers in table.items():
        if not isinstance(callers, list) or not all(isinstance(c, str) for c in callers):
            raise ValueError(f"{method}: must be a list of identities")
        bad = [c for c in callers if c != ANYONE and not SPIFFE_ID.match(c)]
        if bad:
            raise ValueError(f"{method}: not spiffe://<domain>/ns/<ns>/sa/<sa> identities: {bad}")
        parsed[method] = frozenset(callers)
    return parsed


def method_names(service: Any) -> frozenset[str]:
    """The method names of a protobuf ServiceDescriptor."""
    return frozenset(method.name for method in service.methods)
