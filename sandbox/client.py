"""A small client of the sandbox's control API, found through the env file the sandbox wrote."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sandbox.envfile import read_env_file


# any of these points at the sandbox's single port; the control API is under /_sandbox there
_URL_VARIABLES = ("STRIPE_API_BASE", "JIRA_URL", "HUBSPOT_API_BASE", "GOOGLE_API_ENDPOINT")


class SandboxUnreachable(RuntimeError):
    pass


class SandboxClient:
    def __init__(self, env_file: str | Path):
        env_file = Path(env_file)
        if not env_file.exists():
            raise SandboxUnreachable(f"sandbox: no env file at {env_file}; start one with `penguin sandbox serve --env-file {env_file}`")
        env = read_env_file(env_file)
        base = next((env[k] for k in _URL_VARIABLES if env.get(k)), "")
        parts = urllib.parse.urlsplit(base)
        if not parts.netloc:
            raise SandboxUnreachable(f"sandbox: {env_file} names no sandbox URL; was it written by `penguin sandbox serve`?")
        self.env_file = env_file
        self.url = f"{parts.scheme}://{parts.netloc}/_sandbox"

    def _call(self, method: str, path: str, body: dict | None = None) -> bytes:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"content-type": "application/json"} if data else {})
        try:
            with urllib.request.urlopen(req, timeout=600) as resp:
                return resp.read()
        except urllib.error.HTTPError as e:
            raise SandboxUnreachable(f"sandbox: {method} {path} failed: {e.read().decode()[:300]}") from None
        except urllib.error.URLError as e:
            raise SandboxUnreachable(f"sandbox: nothing answers at {self.url} ({e.reason}); is `penguin sandbox serve` still running?") from None

    def status(self) -> dict:
        return json.loads(self._call("GET", "/status"))

    def advance(self, days: float = 0, hours: float = 0, seconds: float = 0) -> dict:
        q = urllib.parse.urlencode({"days": days, "hours": hours, "seconds": seconds})
        return json.loads(self._call("POST", f"/advance?{q}"))

    def add_fault(self, kind: str, vendor: str = "*", path: str = "", times: int = 1, **extra) -> dict:
        return json.loads(self._call("POST", "/faults", {"kind": kind, "vendor": vendor, "path": path, "times": times, **extra}))

    def clear_faults(self) -> dict:
        return json.loads(self._call("DELETE", "/faults"))

    def start_drift(self, vendor: str) -> dict:
        return json.loads(self._call("POST", f"/drift?vendor={vendor}"))

    def stats(self, reset: bool = False) -> dict[str, dict[str, int]]:
        return json.loads(self._call("GET", "/stats?reset=1" if reset else "/stats"))

    def truth_tables(self) -> list[str]:
        return json.loads(self._call("GET", "/truth"))["tables"]

    def truth_rows(self, source: str, table: str) -> list[dict]:
        return [json.loads(line) for line in self._call("GET", f"/truth/{source}/{table}").splitlines()]

    def write_truth(self, out: str | Path) -> list[Path]:
        out, written = Path(out), []
        for name in self.truth_tables():
            path = out / f"{name}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self._call("GET", f"/truth/{name}"))
            written.append(path)
        return written
