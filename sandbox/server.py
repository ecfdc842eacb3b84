"""The HTTP server: one port, each vendor under its own root (`/stripe`, `/jira`, `/hubspot`,
`/google`), the control API under `/_sandbox`.

`VendorGate` stands in front of every vendor request: it counts it, applies a transport fault if
one is drawn, checks the credential, and stamps the vendor's `Date` header with the world clock.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import struct
from email.utils import formatdate

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sandbox.control import control_routes
from sandbox.faults import Rule
from sandbox.runtime import Sandbox

log = logging.getLogger("sandbox")


class TransportExposingProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, with the transport in the ASGI scope so faults can cut connections."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["sandbox.transport"] = self.transport  # type: ignore[typeddict-unknown-key]


def _reset(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:  # linger 0: the close sends RST, like a dropped connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class VendorGate:
    def __init__(self, app, sandbox: Sandbox):
        self.app, self.sandbox = app, sandbox

    async def __call__(self, scope, receive, send):
        vendor = scope["path"].split("/", 2)[1] if scope["type"] == "http" else ""
        emulator = self.sandbox.by_name.get(vendor)
        if emulator is None:
            return await self.app(scope, receive, send)
        path = scope["path"][len(vendor) + 1:]
        self.sandbox.stats.count(vendor, scope["method"], path)
        date = formatdate(self.sandbox.world.now, usegmt=True).encode()

        async def send_dated(message):
            if message["type"] == "http.response.start":
                message["headers"] = [h for h in message.get("headers", []) if h[0].lower() != b"date"] + [(b"date", date)]
            await send(message)

        fault = self.sandbox.faults.draw_transport(vendor, path)
        if fault is not None:
            done = await self._fault(fault, emulator, scope, receive, send_dated)
            if done:
                return
        denied = emulator.check_auth(Request(scope, receive))
        if denied is not None:
            return await denied(scope, receive, send_dated)
        await self.app(scope, receive, send_dated)

    async def _fault(self, fault: Rule, emulator, scope, receive, send) -> bool:
        """Applies `fault`; True when the request is answered (or cut) by it."""
        transport = scope.get("sandbox.transport")
        if fault.kind == "slow":
            await asyncio.sleep(fault.seconds or 1.0)
            return False
        if fault.kind == "rate_limit":
            response = emulator.error(429, "Too many requests: slow down")
            response.headers["Retry-After"] = str(int(fault.seconds or 1))
        elif fault.kind == "server_error":
            response = emulator.error(fault.status or 503, "The server had a problem; try again")
        elif fault.kind == "unauthorized":
            response = emulator.error(401, "The credential was revoked")
        elif fault.kind == "reset" and transport is not None:
            _reset(transport)
            return True
        elif fault.kind == "truncate" and transport is not None:
            await self.app(scope, receive, _Truncating(send, transport))
            return True
        else:
            return False
        await response(scope, receive, send)
        return True


class _Truncating:
    """Sends the response head and half of the body, then drops the connection."""

    def __init__(self, send, transport):
        self.send, self.transport = send, transport

    async def __call__(self, message):
        if message["type"] == "http.response.start":
            await self.send(message)
        elif message["type"] == "http.response.body" and not self.transport.is_closing():
            body = message.get("body", b"")
            await self.send({"type": "http.response.body", "body": body[: max(1, len(body) // 2)], "more_body": True})
            _reset(self.transport)


def build_app(sandbox: Sandbox) -> VendorGate:
    routes = [Mount("/_sandbox", routes=control_routes(sandbox))]
    for e in sandbox.emulators:
        if vendor_routes := e.routes():
            routes.append(Mount(f"/{e.name}", routes=vendor_routes))
    return VendorGate(Starlette(routes=routes), sandbox)
