"""A server's side of mutual TLS: credentials that read changed certificate files again at the
next handshake, and the guard that admits each call by its caller's identity and the table."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from prometheus_client import Counter

from runtime.grpc_tls.material import KeyMaterial, TlsConfigError, TlsFiles, spiffe_trust_domain
from runtime.grpc_tls.settings import ANYONE, GrpcServerTlsSettings
from runtime.logs import get_logger

log = get_logger(__name__)

REFUSED = Counter(
    "paystream_grpc_server_refused_total",
    "gRPC calls refused by mutual-TLS authorization, by method and status code.",
    ["method", "code"],
)
RELOADS = Counter(
    "paystream_grpc_tls_reloads_total",
    "Changed certificate files read again, by outcome (loaded, or kept the old ones).",
    ["outcome"],
)


class ReloadingServerCredentials:
    """grpc's dynamic server credentials: at each new handshake grpc asks for the current
    certificates; changed files are read (and checked) again, a set that does not load yet —
    half rotated, say — keeps the old one and is tried again at the next handshake."""

    def __init__(self, files: TlsFiles) -> None:
        self._files = files
        self._lock = threading.Lock()  # grpc calls the fetcher from its own threads
        self._stamp = files.stamp()
        self.material = files.load()

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            _configuration(self.material),
            self._fetch,  # type: ignore[arg-type]  # None means "no change" (the stubs omit it)
            require_client_authentication=True,
        )

    def _fetch(self) -> grpc.ServerCertificateConfiguration | None:
        with self._lock:
            try:
                stamp = self._files.stamp()
                if stamp == self._stamp:
                    return None
                material = self._files.load()
            except (OSError, TlsConfigError) as error:
                RELOADS.labels("kept").inc()
                log.warning("changed certificate files do not load; kept", error=str(error))
                return None
            self._stamp, self.material = stamp, material
        RELOADS.labels("loaded").inc()
        log.info("certificate files reloaded", identity=material.identity)
        return _configuration(material)


def _configuration(material: KeyMaterial) -> grpc.ServerCertificateConfiguration:
    return grpc.ssl_server_certificate_configuration(
        [(material.key, material.cert)], root_certificates=material.ca
    )


def caller_identity(auth_context: Mapping[str, Iterable[bytes]], trust_domain: str) -> str | None:
    """The peer's one SPIFFE ID in our trust domain, from grpc's auth context, or None."""
    uris = [uri.decode("utf-8", "replace") for uri in auth_context.get("peer_uri", ())]
    ours = [uri for uri in uris if spiffe_trust_domain(uri) == trust_domain]
    return ours[0] if len(ours) == 1 and len(uris) == 1 else None


@dataclass
class CallGuard:
    """Admits a call of the service by who asks; other services' methods (health, reflection)
    are open to every caller that passed the handshake."""

    service: str
    table: Mapping[str, frozenset[str]]
    trust_domain: str
    audited: frozenset[str]
    _refusals: dict[tuple[str, str], Any] = field(default_factory=dict)

    async def admit(self, method: str, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        """Returns when the call may go on; aborts it (UNAUTHENTICATED, PERMISSION_DENIED)."""
        service, _, name = method.lstrip("/").partition("/")
        if service != self.service:
            return
        caller = caller_identity(context.auth_context(), self.trust_domain)
        if caller is None:
            self._refuse(method, grpc.StatusCode.UNAUTHENTICATED)
            log.warning("grpc call refused: no identity", method=method, peer=context.peer())
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED,
                f"the client certificate names no spiffe://{self.trust_domain}/ns/…/sa/… identity",
            )
        allowed = self.table.get(name, frozenset())
        if caller not in allowed and ANYONE not in allowed:
            self._refuse(method, grpc.StatusCode.PERMISSION_DENIED)
            log.warning("grpc call denied", caller=caller, method=method)
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{caller} may not call {name}")
        if name in self.audited:
            log.info("money-moving call admitted", caller=caller, method=method)

    def _refuse(self, method: str, code: grpc.StatusCode) -> None:
        counter = self._refusals.get((method, code.name))
        if counter is None:
            counter = self._refusals[(method, code.name)] = REFUSED.labels(method, code.name)
        counter.inc()


@dataclass(frozen=True)
class ServerTls:
    credentials: ReloadingServerCredentials
    guard: CallGuard


def server_tls(
    settings: GrpcServerTlsSettings, service: str, audited: Iterable[str] = ()
) -> ServerTls | None:
    """The server's TLS and guard from its settings (None: plaintext). ``audited``: its
    money-moving methods, each admitted call of which is logged with the caller."""
    files, table = settings.grpc_tls(), settings.authz_table()
    if files is None or table is None:
        return None
    return serving(files, table, service, frozenset(audited) & settings.grpc_methods)


def serving(
    files: TlsFiles,
    table: Mapping[str, frozenset[str]],
    service: str,
    audited: Iterable[str] = (),
) -> ServerTls:
    """Mutual TLS with these files, calls of ``service`` admitted by ``table``."""
    credentials = ReloadingServerCredentials(files)
    guard = CallGuard(service, table, credentials.material.trust_domain, frozenset(audited))
    return ServerTls(credentials, guard)
