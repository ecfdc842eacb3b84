"""What every vendor emulator provides to the sandbox server."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from sandbox.runtime import Sandbox


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response serialised with orjson (the emulators' only way to answer JSON)."""
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


class Emulator:
    """One vendor: its routes under `/<name>`, its auth check, its error shape and its ground truth.

    Subclasses derive their objects from `sandbox.world` and must answer from the world as of
    `sandbox.world.now` only (nothing created after it is visible).
    """

    name: str = ""

    def __init__(self, sandbox: "Sandbox"):
        self.sandbox = sandbox

    @property
    def world(self):
        return self.sandbox.world

    def start(self) -> None:
        """Called once the server is bound (`sandbox.base_url` and `sandbox.state_dir` are set)."""

    def routes(self) -> list[BaseRoute]:
        return []

    def check_auth(self, request: Request) -> Response | None:
        """None when the request carries the sandbox's credential, else the vendor's 401 response."""
        return None

    def error(self, status: int, message: str) -> Response:
        """An error in the vendor's wire shape (used for injected 401/429/5xx too)."""
        return json_response({"error": {"message": message}}, status)

    def truth(self) -> dict[str, Iterable[dict]]:
        """Per source table, the rows a perfect sync at `world.now` must hold (see sandbox/truth.py)."""
        return {}

    def on_advance(self, old_now: int, new_now: int) -> None:
        """Called after the world clock moved from `old_now` to `new_now`."""

    def env(self) -> dict[str, str]:
        """The environment variables a client needs to reach this emulator."""
        return {}
