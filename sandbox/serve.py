"""`penguin sandbox serve`: build the world, bind a port, fill the app DB, serve until stopped."""
from __future__ import annotations

import logging
import socket
import sys
import time
from pathlib import Path

import uvicorn

from sandbox.envfile import write_env_file
from sandbox.runtime import Sandbox
from sandbox.server import TransportExposingProtocol, build_app


class _QuietAborts(logging.Filter):
    """Connections the fault injector cuts on purpose are not server errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without starting response" not in record.getMessage() and "Exception in ASGI" not in record.getMessage()


class _Server(uvicorn.Server):
    def __init__(self, config, on_ready):
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets=None):
        await super().startup(sockets)
        self._on_ready()


def serve(seed: int, scale: str, faults: str, env_file: str, port: int = 0, horizon_days: int | None = None,
          app_db_url: str | None = None) -> None:
    env_path = Path(env_file).resolve()
    state_dir = env_path.parent / f"{env_path.name.lstrip('.')}-sandbox"
    state_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"sandbox: building world seed={seed} scale={scale} faults={faults}", file=sys.stderr, flush=True)
    sb = Sandbox(seed, scale, faults, horizon_days, app_db_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sb.start(base_url, str(state_dir))

    def ready():
        write_env_file(env_path, sb.env(), header=(
            f"Written by `penguin sandbox serve --seed {seed} --scale {scale} --faults {faults}`.\n"
            f"Control API: {base_url}/_sandbox/status"))
        print(f"sandbox: serving {base_url} ({time.monotonic() - started:.1f}s to start); env file {env_path}",
              file=sys.stderr, flush=True)

    for name in ("uvicorn.error", "uvicorn"):
        logging.getLogger(name).addFilter(_QuietAborts())
    config = uvicorn.Config(build_app(sb), http=TransportExposingProtocol, loop="uvloop", log_level="warning",
                            access_log=False, date_header=False, timeout_keep_alive=60, backlog=1024)
    _Server(config, ready).run(sockets=[sock])
