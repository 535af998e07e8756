"""A caller's side of mutual TLS: a channel that presents the process's certificate and checks
the server's against the CA, or a plaintext one when the process has no certificate.

A long-lived caller (order-api's channel to the payment service) outlives its certificate, so
:class:`ReloadingChannel` looks at the files every few seconds and, when they changed and load,
opens a new channel with them: new calls go there, calls in flight on the old one get a grace
period to finish. Stubs built on it never notice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, cast

import grpc

from runtime.grpc_tls.material import KeyMaterial, TlsConfigError, TlsFiles
from runtime.logs import get_logger

log = get_logger(__name__)

Options = Sequence[tuple[str, Any]]
CHECK_EVERY_SECONDS = 5.0
OLD_CHANNEL_GRACE_SECONDS = 30.0


def channel(target: str, tls: TlsFiles | None, options: Options = ()) -> grpc.aio.Channel:
    """A channel to ``target``: mutual TLS with the process's certificate, or plaintext."""
    if tls is None:
        return grpc.aio.insecure_channel(target, options=list(options))
    return ReloadingChannel(target, tls, options)


def _secure(target: str, material: KeyMaterial, options: Options) -> grpc.aio.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=material.ca, private_key=material.key, certificate_chain=material.cert
    )
    return grpc.aio.secure_channel(target, credentials, options=list(options))


class ReloadingChannel(grpc.aio.Channel):
    """A grpc.aio.Channel over mutual TLS whose certificate follows its files."""

    def __init__(self, target: str, files: TlsFiles, options: Options = ()) -> None:
        self._target, self._files, self._options = target, files, options
        self._stamp = files.stamp()
        self._channel = _secure(target, files.load(), options)
        self._callables: dict[tuple[str, str], Any] = {}
        self._next_check = time.monotonic() + CHECK_EVERY_SECONDS
        self._retiring: dict[asyncio.Task[None], grpc.aio.Channel] = {}

    def _current(self) -> grpc.aio.Channel:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + CHECK_EVERY_SECONDS
            self._maybe_reload()
        return self._channel

    def _maybe_reload(self) -> None:
        try:
            stamp = self._files.stamp()
            if stamp == self._stamp:
                return
            material = self._files.load()
        except (OSError, TlsConfigError) as error:
            log.warning("changed certificate files do not load; kept", error=str(error))
            return
        old, self._channel = self._channel, _secure(self._target, material, self._options)
        self._stamp, self._callables = stamp, {}
        task = asyncio.get_running_loop().create_task(old.close(OLD_CHANNEL_GRACE_SECONDS))
        self._retiring[task] = old
        task.add_done_callback(self._retiring.pop)
        log.info("client certificate reloaded", identity=material.identity, target=self._target)

    def _callable(self, kind: str, method: str, codec: tuple[Any, Any, bool]) -> Any:
        key = (kind, method)
        found = self._callables.get(key)
        if found is None:
            serializer, deserializer, registered = codec
            found = getattr(self._channel, kind)(
                method, serializer, deserializer, _registered_method=registered
            )
            self._callables[key] = found
        return found

    def _proxy(self, kind: str, method: str, *codec: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self._current()
            return self._callable(kind, method, codec)(*args, **kwargs)

        return call

    def unary_unary(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: bool = False,
    ) -> grpc.aio.UnaryUnaryMultiCallable[Any, Any]:
        return cast(
            "grpc.aio.UnaryUnaryMultiCallable[Any, Any]",
            self._proxy(
                "unary_unary", method, request_serializer, response_deserializer, _registered_method
            ),
        )

    def unary_stream(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: bool = False,
    ) -> grpc.aio.UnaryStreamMultiCallable[Any, Any]:
        return cast(
            "grpc.aio.UnaryStreamMultiCallable[Any, Any]",
            self._proxy(
                "unary_stream",
                method,
                request_serializer,
                response_deserializer,
                _registered_method,
            ),
        )

    def stream_unary(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: bool = False,
    ) -> grpc.aio.StreamUnaryMultiCallable[Any, Any]:
        return cast(
            "grpc.aio.StreamUnaryMultiCallable[Any, Any]",
            self._proxy(
                "stream_unary",
                method,
                request_serializer,
                response_deserializer,
                _registered_method,
            ),
        )

    def stream_stream(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: bool = False,
    ) -> grpc.aio.StreamStreamMultiCallable[Any, Any]:
        return cast(
            "grpc.aio.StreamStreamMultiCallable[Any, Any]",
            self._proxy(
                "stream_stream",
                method,
                request_serializer,
                response_deserializer,
                _registered_method,
            ),
        )

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        return self._current().get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self._channel.wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        await self._current().channel_ready()

    async def close(self, grace: float | None = None) -> None:
        retiring = list(self._retiring.items())
        for task, _ in retiring:
            task.cancel()
        for _, old in retiring:
            await old.close(None)
        await self._channel.close(grace)

    async def __aenter__(self) -> ReloadingChannel:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close(None)
