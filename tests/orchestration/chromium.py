"""Headless Chromium driven over the DevTools protocol (no extra package): open a page, click a
button by its text, take a screenshot."""
from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Chromium:
    def __init__(self, executable: str, profile_dir: Path, width: int = 1800, height: int = 1100):
        port = _free_port()
        self._proc = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile_dir}", f"--window-size={width},{height}", f"--remote-debugging-port={port}",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as resp:
                    pages = [t for t in json.loads(resp.read()) if t["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.2)
        self._ws = connect(pages[0]["webSocketDebuggerUrl"], max_size=None)
        self._id = 0

    def _call(self, method: str, **params) -> dict:
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == self._id:
                return message.get("result", {})

    def open(self, url: str, settle: float) -> None:
        self._call("Page.enable")
        self._call("Page.navigate", url=url)
        time.sleep(settle)

    def click_text(self, text: str) -> bool:
        script = f"(() => {{ const b = [...document.querySelectorAll('button')].find(e => e.textContent.trim() === {json.dumps(text)}); if (b) b.click(); return !!b; }})()"
        return bool(self._call("Runtime.evaluate", expression=script, returnByValue=True)["result"].get("value"))

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self._call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        self._ws.close()
        self._proc.terminate()
        self._proc.wait(10)
