"""Mutual TLS and per-method authorization for paystream's gRPC servers and their callers.

Off by default (plaintext, as before). ``GRPC_TLS_CERT``, ``GRPC_TLS_KEY`` and ``GRPC_TLS_CA``
(PEM files, all three or none) turn it on for a process, both ways: it serves with that
certificate and asks every caller for one signed by that CA, and it presents the same
certificate when it calls another service. Changed files are read again (a Kubernetes Secret
rotated by cert-manager) for new connections, without a restart.

**Identity** is the one SPIFFE URI in the certificate's subject alternative names,
``spiffe://<trust domain>/ns/<namespace>/sa/<service account>``, in the trust domain of the
process's own certificate. A certificate the CA did not sign, an expired one, or none at all
never gets past the handshake; one without such a URI (or of another trust domain) is
UNAUTHENTICATED.

**Authorization** (servers) is a table in ``GRPC_AUTHZ``: a JSON object naming every method of
the service with the identities that may call it (``"*"``: any identity of the trust domain).
A call outside it is PERMISSION_DENIED, logged with the caller and the method (never the
request) and counted (``paystream_grpc_server_refused_total``). Health checks, and reflection
unless ``GRPC_REFLECTION=false``, are open to every caller that passed the handshake. Each
admitted call of a money-moving method is logged once with who asked.

- :mod:`.material`: the files and the identity they carry;
- :mod:`.settings`: the variables, checked at start (exit 78 naming the bad one);
- :mod:`.server`: reloading server credentials and the call guard;
- :mod:`.channels`: the caller's channel (mutual TLS or plaintext), following its files.
"""

from runtime.grpc_tls.channels import ReloadingChannel, channel
from runtime.grpc_tls.material import KeyMaterial, TlsConfigError, TlsFiles
from runtime.grpc_tls.server import CallGuard, ServerTls, caller_identity, server_tls, serving
from runtime.grpc_tls.settings import (
    ANYONE,
    GrpcServerTlsSettings,
    GrpcTlsSettings,
    method_names,
    parse_table,
)

__all__ = [
    "ANYONE",
    "CallGuard",
    "GrpcServerTlsSettings",
    "GrpcTlsSettings",
    "KeyMaterial",
    "ReloadingChannel",
    "ServerTls",
    "TlsConfigError",
    "TlsFiles",
    "caller_identity",
    "channel",
    "method_names",
    "parse_table",
    "server_tls",
    "serving",
]
